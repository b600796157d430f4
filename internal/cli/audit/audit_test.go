package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	iaudit "github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/cli/audit"
	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/lint"
	"github.com/crossgate/crossgate/internal/report"
)

func execute(t *testing.T, args []string) (*audit.Options, error) {
	t.Helper()
	return clitest.Parse(t, audit.NewCmdAudit, args)
}

func TestNewCmdAudit(t *testing.T) {
	t.Parallel()
	o, err := execute(t, []string{"https://a.example/x", "--format", "sarif", "--fail-on", "high", "--rate", "2.5/s",
		"--concurrency", "9", "--timeout", "3s", "-H", "X-A: 1", "-H", "x-a:2", "--credentials-header", "Cookie: s=1",
		"--policy", "p.yaml", "--targets", "-", "--thorough", "--exposure", "public"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Format != report.SARIF || o.FailOn != iaudit.High || o.Rate != 2.5 || o.Concurrency != 9 || o.Timeout != 3*time.Second ||
		o.PolicyFile != "p.yaml" || o.TargetsFile != "-" || len(o.URLs) != 1 || o.Progress || !o.Thorough || o.Exposure != iaudit.ExposurePublic {
		t.Errorf("got options %+v", o)
	}
	if got := o.Header.Values("X-A"); len(got) != 2 || got[1] != "2" {
		t.Errorf("got -H values %q", got)
	}
	if got := o.Credentials.Get("Cookie"); got != "s=1" {
		t.Errorf("got credentials %q", got)
	}
	o, err = execute(t, []string{"https://a.example/"})
	if err != nil || o.Format != report.Text || o.FailOn != iaudit.Low || o.Rate != iaudit.DefaultRate || o.Concurrency != 4 || o.Thorough {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}

func TestNewCmdAuditUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc string
		args []string
		want string
	}{
		{"no target", nil, "no URL to audit"},
		{"bad format", []string{"--format", "xml", "https://a.example"}, "invalid --format"},
		{"bad fail-on", []string{"--fail-on", "critical", "https://a.example"}, "invalid --fail-on"},
		{"bad exposure", []string{"--exposure", "intranet", "https://a.example"}, "invalid --exposure"},
		{"base without openapi", []string{"--openapi-base", "https://a.example/", "https://a.example"}, "--openapi-base without --openapi"},
		{"relative base", []string{"--openapi", "a.yaml", "--openapi-base", "/v1"}, "invalid --openapi-base"},
		{"bad rate", []string{"--rate", "fast", "https://a.example"}, "invalid --rate"},
		{"zero concurrency", []string{"--concurrency", "0", "https://a.example"}, "invalid --concurrency"},
		{"bad header", []string{"-H", "no colon", "https://a.example"}, "invalid -H"},
		{"origin header", []string{"-H", "Origin: x", "https://a.example"}, "sets Origin itself"},
		{"bad credentials", []string{"--credentials-header", "Cookie", "https://a.example"}, "invalid --credentials-header"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			_, err := execute(t, tc.args)
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want a usage error containing %q", err, tc.want)
			}
		})
	}
}

// reflecting is a server that reflects any origin, with credentials when
// creds is true.
func reflecting(creds bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			if creds {
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
		}
		fmt.Fprintln(w, "data")
	}))
}

func TestRun(t *testing.T) {
	t.Parallel()
	srv := reflecting(false) // origin-reflected, uncredentialed: medium
	t.Cleanup(srv.Close)
	cases := []struct {
		desc     string
		failOn   iaudit.Severity
		wantCode int // 0 for a nil error
	}{
		{"fail on low", iaudit.Low, audit.ExitFindings},
		{"fail on medium", iaudit.Medium, audit.ExitFindings},
		{"fail on high", iaudit.High, 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := audit.Run(context.Background(), &audit.Options{
				IO: cmdutil.IO{Out: &out, ErrOut: new(bytes.Buffer)}, URLs: []string{srv.URL + "/api"},
				Format: report.JSON, FailOn: tc.failOn, Concurrency: 2, Timeout: 5 * time.Second,
			})
			code := 0
			var exit *cmdutil.ExitError
			if errors.As(err, &exit) {
				code = exit.Code
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Errorf("got exit %d; want %d", code, tc.wantCode)
			}
			var doc struct {
				Findings []map[string]any `json:"findings"`
				Summary  struct{ Requests int }
			}
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Findings) == 0 || doc.Summary.Requests == 0 {
				t.Fatalf("no findings in %s", out.String())
			}
			f := doc.Findings[0]
			for _, k := range []string{"url", "class", "severity", "probe_origin", "evidence", "fix"} {
				if _, ok := f[k]; !ok {
					t.Errorf("finding has no %q key", k)
				}
			}
			if f["class"] != "origin-reflected" || f["severity"] != "medium" {
				t.Errorf("first finding %v %v; want origin-reflected medium", f["class"], f["severity"])
			}
		})
	}
}

func TestRunNetworkError(t *testing.T) {
	t.Parallel()
	srv := reflecting(true)
	srv.Close() // nothing listens any more
	var out bytes.Buffer
	err := audit.Run(context.Background(), &audit.Options{
		IO: cmdutil.IO{Out: &out, ErrOut: new(bytes.Buffer)}, URLs: []string{srv.URL},
		Format: report.Text, FailOn: iaudit.Low, Concurrency: 1, Timeout: 2 * time.Second,
	})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != cmdutil.ExitUsage {
		t.Fatalf("got %v; want exit 2", err)
	}
	if !strings.Contains(out.String(), "1 target with network errors") {
		t.Errorf("output %q does not report the network error", out.String())
	}
}

func TestRunTargetsFromStdin(t *testing.T) {
	t.Parallel()
	srv := reflecting(true)
	defer srv.Close()
	var out bytes.Buffer
	in := strings.NewReader("# targets\n\n" + srv.URL + "/a\n" + srv.URL + "/a\n" + srv.URL + "/b\n")
	err := audit.Run(context.Background(), &audit.Options{
		IO: cmdutil.IO{In: in, Out: &out, ErrOut: new(bytes.Buffer)}, TargetsFile: "-",
		Format: report.SARIF, FailOn: iaudit.High, Concurrency: 2, Timeout: 5 * time.Second,
	})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != audit.ExitFindings {
		t.Fatalf("got %v; want exit 3 (high findings)", err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("not a SARIF 2.1.0 log: %s", out.String()[:200])
	}
	uris := map[string]int{}
	for _, r := range log.Runs[0].Results {
		uris[r.Locations[0].PhysicalLocation.ArtifactLocation.URI]++
	}
	if len(uris) != 2 || uris[srv.URL+"/a"] != uris[srv.URL+"/b"] {
		t.Errorf("results per URL %v; want /a (once, duplicates dropped) and /b alike", uris)
	}
}

// --openapi and --har: the targets come from the files (relative servers
// resolved against --openapi-base), merged with the URLs given, each
// audited once.
func TestRunOpenAPIAndHAR(t *testing.T) {
	t.Parallel()
	srv := reflecting(true)
	defer srv.Close()
	dir := t.TempDir()
	spec := dir + "/api.yaml"
	if err := os.WriteFile(spec, []byte(`openapi: 3.1.0
info: {title: t, version: "1"}
servers: [{url: /v1}]
paths:
  /items/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: integer, examples: [7]}}]
    delete: {responses: {"204": {description: gone}}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	har := dir + "/s.har"
	if err := os.WriteFile(har, []byte(`{"log":{"entries":[{"request":{"method":"GET","url":"`+srv.URL+`/v1/items/7",
		"headers":[{"name":"Origin","value":"https://app.example"},{"name":"X-Client","value":"1"}]}}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := audit.Run(context.Background(), &audit.Options{
		IO: cmdutil.IO{Out: &out, ErrOut: new(bytes.Buffer)}, OpenAPIFile: spec, OpenAPIBase: srv.URL + "/", HARFile: har,
		URLs: []string{srv.URL + "/v1/items/7"}, Format: report.JSON, FailOn: iaudit.High, Concurrency: 2, Timeout: 5 * time.Second,
	})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != audit.ExitFindings {
		t.Fatalf("got %v; want exit 3", err)
	}
	var doc struct {
		Targets []struct{ URL string } `json:"targets"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Targets) != 1 || doc.Targets[0].URL != srv.URL+"/v1/items/7" {
		t.Errorf("targets %+v; want the one URL, once", doc.Targets)
	}

	for _, tc := range []struct {
		opts audit.Options
		want string
	}{
		{audit.Options{OpenAPIFile: dir + "/missing.yaml"}, "reading --openapi"},
		{audit.Options{OpenAPIFile: spec}, "is relative"},
		{audit.Options{HARFile: spec}, "reading the HAR"},
	} {
		tc.opts.IO = cmdutil.IO{Out: new(bytes.Buffer), ErrOut: new(bytes.Buffer)}
		tc.opts.Concurrency, tc.opts.Timeout = 1, time.Second
		err := audit.Run(context.Background(), &tc.opts)
		if !errors.As(err, &exit) || exit.Code != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v; want exit 2 with %q", err, tc.want)
		}
	}
}

// --infer-policy writes what the server enforces: for a server that
// reflects every origin with credentials, "*" with credentials, which
// crossgate lint refuses with the reason; for a strict server, a policy
// that lint accepts and that the audit with --policy finds conformant.
func TestRunInferPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	infer := func(t *testing.T, url, file string) {
		t.Helper()
		err := audit.Run(context.Background(), &audit.Options{
			IO: cmdutil.IO{Out: new(bytes.Buffer), ErrOut: new(bytes.Buffer)}, URLs: []string{url}, InferPolicy: file,
			Format: report.JSON, FailOn: iaudit.High, Concurrency: 1, Timeout: 5 * time.Second,
		})
		var exit *cmdutil.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.Code == audit.ExitFindings) {
			t.Fatal(err)
		}
	}
	lintFile := func(file string) (string, error) {
		var out bytes.Buffer
		err := lint.Run(context.Background(), &lint.Options{IO: cmdutil.IO{Out: &out, ErrOut: new(bytes.Buffer)}, File: file})
		return out.String(), err
	}

	srv := reflecting(true)
	defer srv.Close()
	file := dir + "/reflecting.yaml"
	infer(t, srv.URL+"/api", file)
	out, err := lintFile(file)
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != 1 || !strings.Contains(out, `"*" cannot be used with allow_credentials`) {
		t.Errorf("lint of the inferred policy of a reflecting server: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "every probe origin was reflected") {
		t.Errorf("the inferred file does not say why it allows any origin:\n%s", b)
	}

	var own string
	strict := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o == own {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Expose-Headers", "X-Total-Count")
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, PUT, DELETE")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer strict.Close()
	own = strict.URL
	file = dir + "/strict.yaml"
	infer(t, strict.URL+"/v1/", file)
	b, _ := os.ReadFile(file)
	if out, err := lintFile(file); err != nil {
		t.Fatalf("lint of the inferred policy of a strict server: %v\n%s\n%s", err, out, b)
	}
	for _, want := range []string{"allow_origins: ['" + own + "']", "allow_credentials: true", "max_age: 10m0s", "expose_headers: [X-Total-Count]", "# Access-Control-Max-Age: 600"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the inferred policy has no %q:\n%s", want, b)
		}
	}
	var rep bytes.Buffer
	err = audit.Run(context.Background(), &audit.Options{
		IO: cmdutil.IO{Out: &rep, ErrOut: new(bytes.Buffer)}, URLs: []string{strict.URL + "/v1/"}, PolicyFile: file,
		Format: report.JSON, FailOn: iaudit.Info, Concurrency: 1, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Errorf("audit --policy with the inferred policy: %v\n%s", err, rep.String())
	}
}

// On a terminal, a progress bar on standard error shows the targets done
// of the total, the requests sent and the findings so far, and is
// cleared before the report.
func TestRunProgress(t *testing.T) {
	audit.SetProgressThrottle(t, 0)
	srv := reflecting(true)
	defer srv.Close()
	var out, errOut bytes.Buffer
	err := audit.Run(context.Background(), &audit.Options{
		IO: cmdutil.IO{Out: &out, ErrOut: &errOut}, URLs: []string{srv.URL + "/a", srv.URL + "/b"}, Progress: true,
		Format: report.Text, FailOn: iaudit.High, Concurrency: 1, Timeout: 5 * time.Second,
	})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != audit.ExitFindings {
		t.Fatalf("got %v; want exit 3", err)
	}
	e := errOut.String()
	for _, want := range []string{"(0/2", "(1/2", "requests sent", "findings"} {
		if !strings.Contains(e, want) {
			t.Errorf("the progress bar never showed %q: %q", want, e)
		}
	}
	if !strings.HasSuffix(strings.TrimRight(e, " "), "\r") {
		t.Errorf("the progress bar is not cleared at the end: %q", e[max(0, len(e)-80):])
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("the progress bar went to standard output")
	}
}
