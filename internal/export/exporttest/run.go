package exporttest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// StartFunc starts a server on the export conf (a file written in the
// test's temporary directory) of pl, listening on pl.Listen, and stops it
// when the test ends. It returns once the server accepts connections.
type StartFunc func(t *testing.T, pl *export.Plan, conf string)

// Options tune [Run].
type Options struct {
	// IgnorePath leaves out of the comparison the path the upstream got,
	// for targets that forward the raw path (say so in their Caps).
	IgnorePath bool
	// Approximate lets the export have approximate differences (none
	// unsupported): the browser must still see the same.
	Approximate bool
	// DecodedPath compares the paths the upstream got once
	// percent-decoded, for a server that forwards reserved characters
	// decoded (Apache's mod_proxy sends %2B as +). Otherwise the paths are
	// compared in the normal form of RFC 3986 §6.2.2 (unreserved
	// characters decoded), in which %7E and ~ are one.
	DecodedPath bool
	// StatusClass compares the statuses by class (5xx and 5xx are one),
	// for a test of the server's own errors: crossgate proxy answers an
	// upstream that is down with 502, Apache and HAProxy with 503.
	StatusClass bool
	// Collect records the mismatches in Result.Mismatches instead of
	// failing the test (for the harness's own tests).
	Collect bool
}

// Result is what Run sent and got.
type Result struct {
	Plan      *export.Plan
	Conf      string // the export's file
	ExportURL string // http://127.0.0.1:PORT of the server under test
	// GatewayAddr is the 127.0.0.1:PORT of crossgate's gateway on the
	// same file, for comparisons after Run (it stops with the test).
	GatewayAddr     string
	Cases           []Case
	Export, Gateway []Outcome
	// Mismatches are the failures found, when Options.Collect is set.
	Mismatches []string
}

// Run exports the policy file with tg, starts the server with start in
// front of a misbehaving upstream, runs crossgate's gateway on the same
// file in front of the same upstream, sends the battery to both and fails
// t for every case on which what a browser sees differs, and for any
// duplicate Access-Control-* header or preflight that reaches the
// upstream. The export must be exact (no Difference for tg).
func Run(t *testing.T, file string, tg *export.Target, start StartFunc, opts Options) *Result {
	t.Helper()
	f, err := policyfile.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	up := NewUpstream(t)
	listen := "127.0.0.1:" + FreePort(t)
	pl, err := export.NewPlan(f, export.Overrides{Listen: listen, Upstream: up.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Validate(pl); err != nil {
		t.Fatal(err)
	}
	for _, d := range export.Check(pl, tg.Caps) {
		if d.Level != export.Approximate || !opts.Approximate {
			t.Fatalf("%s cannot express %s exactly: %v", tg.Name, file, d)
		}
	}
	var buf bytes.Buffer
	if err := tg.Render(pl, &buf); err != nil {
		t.Fatal(err)
	}
	conf, gsrv, client := StartBoth(t, f, pl, tg, buf.Bytes(), start, up)
	res := &Result{Plan: pl, Conf: conf, ExportURL: "http://" + listen, GatewayAddr: strings.TrimPrefix(gsrv.URL, "http://"), Cases: Battery(pl)}
	run := runs.Add(1) // case ids are unique in the process
	for _, c := range res.Cases {
		want, err := Send(client, gsrv.URL, fmt.Sprintf("gw%d-", run), c)
		if err != nil {
			t.Fatalf("gateway: %s: %v", c.Name, err)
		}
		got, err := Send(client, res.ExportURL, fmt.Sprintf("ex%d-", run), c)
		if err != nil {
			t.Fatalf("%s: %s: %v", tg.Name, c.Name, err)
		}
		res.Gateway = append(res.Gateway, want)
		res.Export = append(res.Export, got)
		if opts.StatusClass {
			want.Status, got.Status = want.Status/100*100, got.Status/100*100
		}
		switch {
		case opts.IgnorePath:
			want.Path, got.Path = "", ""
		case opts.DecodedPath:
			want.Path, got.Path = decoded(want.Path), decoded(got.Path)
		default:
			want.Path, got.Path = policyfile.NormalizePath(want.Path), policyfile.NormalizePath(got.Path)
		}
		fail := func(format string, args ...any) {
			if opts.Collect {
				res.Mismatches = append(res.Mismatches, fmt.Sprintf(format, args...))
				return
			}
			t.Errorf(format, args...)
		}
		if !equal(want, got) {
			fail("%s: %s (%s %s, Host %s, Origin %q):\n  %s: %s\n  crossgate proxy: %s",
				tg.Name, c.Name, c.Method, c.Target, c.Host, c.Origin, tg.Name, got, want)
		}
		if len(got.Duplicates) > 0 {
			fail("%s: %s: duplicate headers %v", tg.Name, c.Name, got.Duplicates)
		}
		if c.Preflight != nil && got.Reached {
			fail("%s: %s: the preflight reached the upstream", tg.Name, c.Name)
		}
	}
	if t.Failed() {
		t.Logf("export (%s):\n%s", conf, buf.String())
	}
	return res
}

var runs atomic.Int64

func decoded(p string) string {
	if d, err := url.PathUnescape(p); err == nil {
		return d
	}
	return p
}

func equal(a, b Outcome) bool {
	return a.Status == b.Status && a.Omit == b.Omit && a.Include == b.Include &&
		slices.Equal(a.ReadOmit, b.ReadOmit) && slices.Equal(a.ReadInclude, b.ReadInclude) &&
		a.MaxAge == b.MaxAge && slices.Equal(a.Vary, b.Vary) && a.ACAO == b.ACAO &&
		slices.Equal(a.Duplicates, b.Duplicates) && a.Reached == b.Reached && a.Path == b.Path && a.Upstream == b.Upstream
}

// Binary returns the path of the named program, or skips t with a message
// that says how to install it; under CROSSGATE_E2E=1 a missing program
// fails t instead.
func Binary(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	msg := fmt.Sprintf("%s not installed (Debian: apt-get install -y %s)", name, pkg)
	if os.Getenv("CROSSGATE_E2E") == "1" {
		t.Fatal(msg + "; CROSSGATE_E2E=1 requires it")
	}
	t.Skip(msg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Process starts cmd and stops it (SIGTERM, then SIGKILL after 5 s) at
// the end of the test; its output goes to logFile, shown if the test fails.
func Process(t *testing.T, cmd *exec.Cmd, logFile string) {
	t.Helper()
	lf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		lf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), b)
		}
	})
}

// WaitListening waits until addr accepts HTTP requests, or fails t after
// 10 s.
func WaitListening(t *testing.T, addr string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/crossgate-wait")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after 10 s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Lines returns s's lines that contain sub, for error messages.
func Lines(s, sub string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// StartBoth writes the export out as a file and starts the server under
// test on it with start, and crossgate's gateway on f in front of the same
// upstream. It returns the export's file, the gateway's server and a
// client for both that keeps redirects and encodings as they are; all of
// them stop with the test.
func StartBoth(t *testing.T, f *policyfile.File, pl *export.Plan, tg *export.Target, out []byte, start StartFunc, up *Upstream) (conf string, gsrv *httptest.Server, client *http.Client) {
	t.Helper()
	conf = filepath.Join(t.TempDir(), "export-"+tg.Name+".conf")
	if err := os.WriteFile(conf, out, 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, pl, conf)

	gw, err := gateway.New(f, gateway.Resolve(f.Proxy, gateway.Overrides{Upstream: up.URL}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	gsrv = httptest.NewServer(gw)
	t.Cleanup(gsrv.Close)
	client = &http.Client{
		Transport: &http.Transport{DisableCompression: true, Proxy: nil},
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	t.Cleanup(client.CloseIdleConnections)
	return conf, gsrv, client
}
