package export_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// startNginx runs nginx in the foreground on the export, as an
// unprivileged configuration with its own prefix, pid, log and temp files.
func startNginx(t *testing.T, pl *export.Plan, conf string) {
	bin := exporttest.Binary(t, "nginx", "nginx")
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	var temps string
	for _, n := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		temps += fmt.Sprintf("    %s_temp_path %s;\n", n, filepath.Join(dir, n))
	}
	src := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
pid %s;
error_log %s warn;
events { worker_connections 256; }
http {
    access_log off;
%s    include %s;
}
`, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "error.log"), temps, conf)
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", dir, "-c", main, "-e", filepath.Join(dir, "error.log")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	exporttest.Process(t, exec.Command(bin, "-p", dir, "-c", main, "-e", filepath.Join(dir, "error.log")), filepath.Join(dir, "stderr.log"))
	exporttest.WaitListening(t, pl.Listen)
}

// liveFiles returns the policy files a live test of tg runs: the examples,
// testdata/live/features.yaml, and keep.yaml where tg can keep the
// upstream's CORS headers.
func liveFiles(t *testing.T, tg *export.Target) []string {
	files := append(examples(t), "testdata/live/features.yaml")
	if tg.Caps.KeepUpstreamCORS.Level == export.Exact {
		files = append(files, "testdata/live/keep.yaml")
	}
	return files
}

// unsupported returns the first difference of tg on file that is not an
// approximation, or "".
func unsupported(t *testing.T, tg *export.Target, file string) string {
	pl, err := export.NewPlan(load(t, file), export.Overrides{Upstream: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range export.Check(pl, tg.Caps) {
		if d.Level != export.Approximate {
			return d.String()
		}
	}
	return ""
}

// runLive runs the differential and the audit of tg on every live file.
func runLive(t *testing.T, name string, start exporttest.StartFunc) {
	runLiveOpts(t, name, start, exporttest.Options{Approximate: true})
}

func runLiveOpts(t *testing.T, name string, start exporttest.StartFunc, opts exporttest.Options) {
	tg, ok := export.Lookup(name)
	if !ok {
		t.Fatalf("no target %q", name)
	}
	for _, file := range liveFiles(t, tg) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if d := unsupported(t, tg, file); d != "" {
				t.Skipf("%s cannot express %s: %s", tg.Name, file, d)
			}
			res := exporttest.Run(t, file, tg, start, opts)
			exporttest.AuditExport(t, file, res)
		})
	}
}

// proxy_pass with a URI part forwards the normalised path, re-encoded
// only where it must be: %2B arrives as +; the comparison decodes both.
func TestLiveNginx(t *testing.T) {
	runLiveOpts(t, "nginx", startNginx, exporttest.Options{Approximate: true, DecodedPath: true})
}

// The guide's own nginx recipe, in front of the same misbehaving upstream,
// is what the audit must catch: the upstream's Access-Control-Allow-Origin
// next to the recipe's, its credentials leaking to any origin.
func TestLiveNginxGuideRecipe(t *testing.T) {
	up := exporttest.NewUpstream(t)
	listen := "127.0.0.1:" + exporttest.FreePort(t)
	src, err := os.ReadFile("testdata/guide/nginx-002.conf")
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.NewReplacer("LISTEN", listen, "UPSTREAM", up.URL).Replace(string(src)))
	conf := filepath.Join(t.TempDir(), "guide.conf")
	if err := os.WriteFile(conf, src, 0o644); err != nil {
		t.Fatal(err)
	}
	startNginx(t, &export.Plan{Listen: listen}, conf)
	f := load(t, "testdata/guide/guide-002.yaml")
	_, port, _ := strings.Cut(listen, ":")
	findings := exporttest.Audit(t, f, listen, []string{"http://api.myapp.com:" + port + "/api/orders"})
	classes := map[string]bool{}
	for _, fd := range findings {
		classes[fd.Class.String()] = true
	}
	t.Logf("audit found %d findings: %v", len(findings), classes)
	if len(findings) == 0 {
		t.Fatal("audit --policy found nothing wrong with the guide's recipe")
	}
	// The upstream's "*" and the recipe's reflected origin make two
	// Access-Control-Allow-Origin values.
	if !classes["invalid-allow-origin"] {
		t.Errorf("no invalid-allow-origin finding (two Access-Control-Allow-Origin): got %v", classes)
	}
}
