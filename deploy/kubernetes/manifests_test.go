package kubernetes_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/policyfile"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests holds the objects of every *.yaml file in this directory.
type manifests struct {
	configMaps  []*corev1.ConfigMap
	deployments []*appsv1.Deployment
	services    []*corev1.Service
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

// decode decodes one manifest strictly: an unknown or duplicate field, or
// a value of the wrong type, is an error.
func (m *manifests) decode(name string, doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 ConfigMap":
		cm := new(corev1.ConfigMap)
		m.configMaps, obj = append(m.configMaps, cm), cm
	case "apps/v1 Deployment":
		d := new(appsv1.Deployment)
		m.deployments, obj = append(m.deployments, d), d
	case "v1 Service":
		s := new(corev1.Service)
		m.services, obj = append(m.services, s), s
	default:
		return fmt.Errorf("%s: unexpected kind %q (apiVersion %q): add it to this test", name, tm.Kind, tm.APIVersion)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}

func load(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifest: %v", err)
	}
	m := new(manifests)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docSep.Split(string(src), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			if err := m.decode(fmt.Sprintf("%s#%d", f, i), []byte(doc)); err != nil {
				t.Error(err)
			}
		}
	}
	if len(m.configMaps) != 1 || len(m.deployments) != 1 || len(m.services) != 1 {
		t.Fatalf("got %d ConfigMaps, %d Deployments, %d Services; want one each", len(m.configMaps), len(m.deployments), len(m.services))
	}
	return m
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// Strict decoding is strict: a misspelt field fails.
func TestStrictDecoding(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 2}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}], port: 80}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: [b]}\n",
	} {
		if err := new(manifests).decode("inline", []byte(doc)); err == nil {
			t.Errorf("decoded with no error:\n%s", doc)
		}
	}
}

func port(t *testing.T, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

func TestManifests(t *testing.T) {
	m := load(t)
	cm, dep, svc := m.configMaps[0], m.deployments[0], m.services[0]

	// The Deployment mounts the ConfigMap's directory and runs the proxy
	// on its policy file.
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("got %d containers; want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	i := slices.Index(c.Args, "--config")
	if len(c.Args) == 0 || c.Args[0] != "proxy" || i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("args %q: want proxy --config FILE", c.Args)
	}
	config := c.Args[i+1]
	var vol *corev1.Volume
	for j := range spec.Volumes {
		if v := &spec.Volumes[j]; v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
			vol = v
		}
	}
	if vol == nil {
		t.Fatalf("no volume of the ConfigMap %q", cm.Name)
	}
	var mount *corev1.VolumeMount
	for j := range c.VolumeMounts {
		if c.VolumeMounts[j].Name == vol.Name {
			mount = &c.VolumeMounts[j]
		}
	}
	switch {
	case mount == nil:
		t.Fatalf("the volume %q is not mounted", vol.Name)
	case mount.SubPath != "" || mount.SubPathExpr != "":
		t.Errorf("the policy is mounted with a subPath: kubelet never updates it, so no reload follows a change")
	case path.Dir(config) != mount.MountPath:
		t.Errorf("--config %s is not in the mount %s", config, mount.MountPath)
	}
	src, ok := cm.Data[path.Base(config)]
	if !ok {
		t.Fatalf("the ConfigMap has no key %q for --config %s", path.Base(config), config)
	}

	// The policy passes lint, with no warning.
	f, err := policyfile.Parse("configmap.yaml:"+path.Base(config), []byte(src))
	if err != nil {
		t.Fatalf("the ConfigMap's policy file fails lint:\n%v", err)
	}
	for _, w := range f.Warnings {
		t.Errorf("lint: %s", w)
	}
	if f.Proxy.Upstream == "" {
		t.Error("the policy file has no proxy.upstream")
	}

	// Ports: the policy's listeners are the container's ports; the probes
	// and Prometheus use the admin port; the Service only the gateway's.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if got, want := ports["http"], port(t, f.Proxy.Listen); got != want {
		t.Errorf("container port http %d; proxy.listen is on %d", got, want)
	}
	admin := port(t, f.Proxy.AdminListen)
	if ports["admin"] != admin {
		t.Errorf("container port admin %d; proxy.admin_listen is on %d", ports["admin"], admin)
	}
	if h, _, _ := net.SplitHostPort(f.Proxy.Listen); h == "127.0.0.1" || h == "localhost" {
		t.Errorf("proxy.listen %s: the Service cannot reach a loopback address", f.Proxy.Listen)
	}
	for name, pr := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		want := map[string]string{"readiness": "/readyz", "liveness": "/healthz"}[name]
		if pr == nil || pr.HTTPGet == nil {
			t.Errorf("no %s probe over HTTP", name)
			continue
		}
		if pr.HTTPGet.Path != want || pr.HTTPGet.Port.String() != "admin" {
			t.Errorf("%s probe: GET %s on port %s; want %s on admin", name, pr.HTTPGet.Path, pr.HTTPGet.Port.String(), want)
		}
	}
	ann := dep.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(int(admin)) || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("Prometheus annotations %v; want scrape true, port %d, path /metrics", ann, admin)
	}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.String() != "http" {
			t.Errorf("Service port %q targets %s; want the http port only", p.Name, p.TargetPort.String())
		}
	}
	if !labelsMatch(svc.Spec.Selector, dep.Spec.Template.Labels) || !labelsMatch(dep.Spec.Selector.MatchLabels, dep.Spec.Template.Labels) {
		t.Errorf("selectors %v and %v do not select the pods %v", svc.Spec.Selector, dep.Spec.Selector.MatchLabels, dep.Spec.Template.Labels)
	}

	// Resources and security.
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %v: want CPU and memory requests and a memory limit", c.Resources)
	}
	psc, sc := spec.SecurityContext, c.SecurityContext
	switch {
	case psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0:
		t.Error("the pod may run as root")
	case sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("the root filesystem is writable")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("privilege escalation is allowed")
	case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
		t.Error("capabilities are not all dropped")
	}
	if dockerfileUser(t) != strconv.FormatInt(*psc.RunAsUser, 10) {
		t.Errorf("runAsUser %d is not the Dockerfile's USER %s", *psc.RunAsUser, dockerfileUser(t))
	}

	// SIGTERM leaves the gateway shutdown_timeout to drain: the pod must
	// not be killed before.
	drain := f.Proxy.ShutdownTimeout
	if drain == 0 {
		drain = 30 * time.Second
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= drain {
		t.Errorf("terminationGracePeriodSeconds %v is not above proxy.shutdown_timeout %s", g, drain)
	}
}

func labelsMatch(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// dockerfileUser returns the user id of the Dockerfile's USER line.
func dockerfileUser(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(src, []byte("\n")) {
		if u, ok := bytes.CutPrefix(l, []byte("USER ")); ok {
			id, _, _ := strings.Cut(string(u), ":")
			return id
		}
	}
	t.Fatal("the Dockerfile has no USER line")
	return ""
}

// The image's default policy file passes lint and listens on every
// interface of the container.
func TestDockerPolicy(t *testing.T) {
	f, err := policyfile.Load("../docker/crossgate.yaml")
	if err != nil {
		t.Fatalf("lint:\n%v", err)
	}
	for _, w := range f.Warnings {
		t.Errorf("lint: %s", w)
	}
	for _, addr := range []string{f.Proxy.Listen, f.Proxy.AdminListen} {
		if h, _, _ := net.SplitHostPort(addr); h != "0.0.0.0" && h != "" {
			t.Errorf("listens on %s: unreachable from outside the container", addr)
		}
	}
}
