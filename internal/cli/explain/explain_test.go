package explain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/explain"
	"github.com/crossgate/crossgate/internal/policyfile"
)

var example = filepath.Join("..", "..", "..", "examples", "crossgate.yaml")

func execute(t *testing.T, args []string) (*explain.Options, error) {
	t.Helper()
	return clitest.Parse(t, explain.NewCmdExplain, args)
}

func TestNewCmdExplain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc          string
		args          []string
		wantMethod    string
		wantOrigin    string
		wantHeader    http.Header
		wantPreflight bool
		wantURL       string
	}{
		{
			desc:       "defaults",
			args:       []string{"--config", "p.yaml", "https://api.example.com/x"},
			wantMethod: "GET", wantHeader: http.Header{}, wantURL: "https://api.example.com/x",
		}, {
			desc: "every flag, flags after the URL",
			args: []string{"https://api.example.com/x?q=1", "--config", "p.yaml", "--method", "PATCH",
				"--origin", "https://app.example.com", "--header", "X-A: 1", "--header", "x-a:2",
				"--header", "Content-Type:  text/plain  ", "--json"},
			wantMethod: "PATCH", wantOrigin: "https://app.example.com",
			wantHeader: http.Header{"X-A": {"1", "2"}, "Content-Type": {"text/plain"}},
			wantURL:    "https://api.example.com/x?q=1",
		}, {
			desc:       "preflight normalises the method as browsers do",
			args:       []string{"--config", "p.yaml", "--preflight", "--method", "put", "--origin", "https://a.example", "http://b.example/"},
			wantMethod: "PUT", wantOrigin: "https://a.example", wantHeader: http.Header{}, wantPreflight: true,
			wantURL: "http://b.example/",
		}, {
			desc:       "preflight keeps the case of other methods",
			args:       []string{"--config", "p.yaml", "--preflight", "--method", "patch", "--origin", "https://a.example", "http://b.example/"},
			wantMethod: "patch", wantOrigin: "https://a.example", wantHeader: http.Header{}, wantPreflight: true,
			wantURL: "http://b.example/",
		},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			got, err := execute(t, tc.args)
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			if got.Config != "p.yaml" {
				t.Errorf("got config %q; want %q", got.Config, "p.yaml")
			}
			if got.Method != tc.wantMethod {
				t.Errorf("got method %q; want %q", got.Method, tc.wantMethod)
			}
			if got.Origin != tc.wantOrigin {
				t.Errorf("got origin %q; want %q", got.Origin, tc.wantOrigin)
			}
			if !equalHeader(got.Header, tc.wantHeader) {
				t.Errorf("got header %v; want %v", got.Header, tc.wantHeader)
			}
			if got.Preflight != tc.wantPreflight {
				t.Errorf("got preflight %t; want %t", got.Preflight, tc.wantPreflight)
			}
			if got.URL.String() != tc.wantURL {
				t.Errorf("got URL %q; want %q", got.URL, tc.wantURL)
			}
		})
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestNewCmdExplain_usageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc    string
		args    []string
		wantMsg string
	}{
		{"no URL", []string{"--config", "p.yaml"}, "missing the request URL"},
		{"relative URL", []string{"--config", "p.yaml", "/api"}, `invalid URL "/api": want an absolute http or https URL`},
		{"other scheme", []string{"--config", "p.yaml", "ftp://x.example/"}, `invalid URL "ftp://x.example/": want an absolute http or https URL`},
		{"header without colon", []string{"--config", "p.yaml", "--header", "X-A 1", "http://x.example/"}, `invalid --header "X-A 1": want 'Name: value'`},
		{"header with space before colon", []string{"--config", "p.yaml", "--header", "X-A : 1", "http://x.example/"}, `invalid --header "X-A : 1": "X-A " is not a header name`},
		{"header with empty name", []string{"--config", "p.yaml", "--header", ": 1", "http://x.example/"}, `invalid --header ": 1": "" is not a header name`},
		{"header with control character", []string{"--config", "p.yaml", "--header", "X-A: a\rb", "http://x.example/"}, `invalid --header "X-A: a\rb": the value holds a control character, which cannot be sent`},
		{"origin as a header", []string{"--config", "p.yaml", "--header", "Origin: https://a.example", "http://x.example/"}, `invalid --header "Origin: https://a.example": set the origin with --origin`},
		{"host as a header", []string{"--config", "p.yaml", "--header", "host: a.example", "http://x.example/"}, `invalid --header "host: a.example": the host comes from the URL`},
		{"invalid method", []string{"--config", "p.yaml", "--method", "GE T", "http://x.example/"}, `invalid --method "GE T": a method is a token (RFC 9110 §9.1)`},
		{"preflight without origin", []string{"--config", "p.yaml", "--preflight", "http://x.example/"}, "--preflight needs --origin: browsers only send preflights for cross-origin requests"},
		{"preflight of a forbidden method", []string{"--config", "p.yaml", "--preflight", "--origin", "https://a.example", "--method", "trace", "http://x.example/"}, `invalid --method "trace": browsers never send CONNECT, TRACE or TRACK`},
		{"preflight with a forbidden header", []string{"--config", "p.yaml", "--preflight", "--origin", "https://a.example", "--header", "Cookie: a=b", "http://x.example/"}, `invalid --header "Cookie: a=b": scripts cannot set Cookie, so it plays no part in the preflight`},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			_, err := execute(t, tc.args)
			var usage *cmdutil.UsageError
			if !errors.As(err, &usage) {
				t.Fatalf("got error %v; want a usage error", err)
			}
			if got := err.Error(); got != tc.wantMsg {
				t.Errorf("got message %q; want %q", got, tc.wantMsg)
			}
		})
	}
}

func TestNewCmdExplain_missingConfig(t *testing.T) {
	t.Parallel()
	cmd := explain.NewCmdExplain(cmdutil.IO{}, func(context.Context, *explain.Options) error {
		t.Error("run function called without --config")
		return nil
	})
	cmd.SetArgs([]string{"http://x.example/"})
	cmd.SetOut(new(bytes.Buffer))
	cmd.SetErr(new(bytes.Buffer))
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), `"config"`) {
		t.Errorf("got error %v; want one about the missing --config", err)
	}
}

type jsonResult struct {
	Policy     string            `json:"policy"`
	Preflight  bool              `json:"preflight"`
	Kind       string            `json:"kind"`
	Allowed    bool              `json:"allowed"`
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Reason     string            `json:"reason"`
	ReasonCode string            `json:"reason_code"`
	Request    struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	} `json:"request"`
	Notes []string `json:"notes"`
}

// run runs explain on the bundled example with --json and decodes the
// result.
func run(t *testing.T, args ...string) (jsonResult, int) {
	t.Helper()
	opts, err := execute(t, append([]string{"--config", example, "--json"}, args...))
	if err != nil {
		t.Fatalf("command line %q: %v", args, err)
	}
	var stdout, stderr bytes.Buffer
	opts.IO = cmdutil.IO{Out: &stdout, ErrOut: &stderr}
	code := cmdutil.ExitOK
	if err := explain.Run(context.Background(), opts); err != nil {
		var exit *cmdutil.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("got error %v; want an exit code", err)
		}
		code = exit.Code
	}
	var res jsonResult
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("decoding the output: %v (stderr: %s)", err, stderr.String())
	}
	if dec.More() {
		t.Error("got more than one JSON value")
	}
	return res, code
}

// TestPreflightRequestHeaders checks the Access-Control-Request-Headers of
// the preflights that --preflight builds: the sorted, lower-case names of
// the headers that are not CORS-safelisted.
func TestPreflightRequestHeaders(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 129)
	cases := []struct {
		desc    string
		headers []string
		want    string // "" for no Access-Control-Request-Headers
	}{
		{"no headers", nil, ""},
		{"safelisted content type", []string{"Content-Type: text/plain;charset=utf-8"}, ""},
		{"safelisted content type in odd case", []string{"Content-Type: Text/Plain"}, ""},
		{"form content type", []string{"Content-Type: multipart/form-data; boundary=x"}, ""},
		{"json content type", []string{"Content-Type: application/json"}, "content-type"},
		{"content type with an unsafe byte", []string{"Content-Type: text/plain; x=\"y\""}, "content-type"},
		{"accept", []string{"Accept: application/json, */*"}, ""},
		{"accept with an unsafe byte", []string{"Accept: a{b"}, "accept"},
		{"accept longer than 128 bytes", []string{"Accept: " + long}, "accept"},
		{"accept-language", []string{"Accept-Language: fr-CH, fr;q=0.9"}, ""},
		{"content-language with a slash", []string{"Content-Language: en/us"}, "content-language"},
		{"simple range", []string{"Range: bytes=100-200"}, ""},
		{"open range", []string{"Range: bytes=100-"}, ""},
		{"suffix range", []string{"Range: bytes=-500"}, "range"},
		{"two ranges", []string{"Range: bytes=1-2,3-4"}, "range"},
		{"backwards range", []string{"Range: bytes=200-100"}, "range"},
		{"custom headers, sorted, lower case, once", []string{"X-B: 1", "X-A: 2", "x-b: 3", "Authorization: Bearer t"}, "authorization,x-a,x-b"},
		{"safelisted values above 1024 bytes in all", []string{
			"Accept: " + long[:128], "Accept: " + long[:128], "Accept: " + long[:128], "Accept: " + long[:128],
			"Accept-Language: " + long[:128], "Accept-Language: " + long[:128], "Accept-Language: " + long[:128],
			"Content-Language: " + long[:128], "Content-Language: a",
		}, "accept,accept-language,content-language"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			args := []string{"--preflight", "--origin", "https://app.example.com", "--method", "PUT"}
			for _, h := range tc.headers {
				args = append(args, "--header", h)
			}
			res, _ := run(t, append(args, "https://api.example.com/v1/orders")...)
			if got := res.Request.Headers["Access-Control-Request-Headers"]; got != tc.want {
				t.Errorf("got Access-Control-Request-Headers %q; want %q", got, tc.want)
			}
			if got := res.Request.Method; got != http.MethodOptions {
				t.Errorf("got method %q; want OPTIONS", got)
			}
			if got := res.Request.Headers["Access-Control-Request-Method"]; got != "PUT" {
				t.Errorf("got Access-Control-Request-Method %q; want PUT", got)
			}
		})
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc       string
		args       []string
		wantPolicy string
		wantKind   string
		wantAllow  bool
		wantStatus int
		wantReason string
		wantHeader map[string]string
		wantCode   int
	}{
		{
			desc:       "allowed credentialed request",
			args:       []string{"--origin", "https://app.example.com", "https://api.example.com/v1/orders"},
			wantPolicy: "app", wantKind: "actual", wantAllow: true, wantReason: "allowed",
			wantHeader: map[string]string{
				"Access-Control-Allow-Origin":      "https://app.example.com",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers":    "x-total-count,x-request-id",
				"Vary":                             "Origin",
			},
		}, {
			desc:       "refused origin",
			args:       []string{"--origin", "https://evil.example", "https://api.example.com/v1/orders"},
			wantPolicy: "app", wantKind: "actual", wantReason: "origin-not-allowed", wantCode: cmdutil.ExitFail,
			wantHeader: map[string]string{"Vary": "Origin"},
		}, {
			desc:       "preflight refused for a method",
			args:       []string{"--preflight", "--method", "PATCH", "--origin", "https://admin.example.com", "https://api.example.com/v1/admin/users"},
			wantPolicy: "admin", wantKind: "preflight", wantStatus: 204, wantReason: "method-not-allowed", wantCode: cmdutil.ExitFail,
			wantHeader: map[string]string{
				"Access-Control-Allow-Origin":      "https://admin.example.com",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "GET,POST,PUT,DELETE",
				"Access-Control-Allow-Headers":     "authorization,content-type",
			},
		}, {
			desc:     "no policy for a CORS request",
			args:     []string{"--origin", "https://app.example.com", "https://api.example.com/other"},
			wantKind: "actual", wantReason: "no-policy", wantCode: cmdutil.ExitFail,
			wantHeader: map[string]string{},
		}, {
			desc:     "no policy, not a CORS request",
			args:     []string{"https://api.example.com/other"},
			wantKind: "not-cors", wantAllow: true, wantReason: "not-cors",
			wantHeader: map[string]string{},
		}, {
			desc:       "public API without Origin",
			args:       []string{"https://api.example.com/public/data"},
			wantPolicy: "public-api", wantKind: "not-cors", wantAllow: true, wantReason: "not-cors",
			wantHeader: map[string]string{
				"Access-Control-Allow-Origin":   "*",
				"Access-Control-Expose-Headers": "x-total-count,link",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			res, code := run(t, tc.args...)
			if res.Policy != tc.wantPolicy {
				t.Errorf("got policy %q; want %q", res.Policy, tc.wantPolicy)
			}
			if res.Kind != tc.wantKind || res.Preflight != (tc.wantKind == "preflight") {
				t.Errorf("got kind %q, preflight %t; want kind %q", res.Kind, res.Preflight, tc.wantKind)
			}
			if res.Allowed != tc.wantAllow {
				t.Errorf("got allowed %t; want %t", res.Allowed, tc.wantAllow)
			}
			if res.Status != tc.wantStatus {
				t.Errorf("got status %d; want %d", res.Status, tc.wantStatus)
			}
			if res.ReasonCode != tc.wantReason {
				t.Errorf("got reason code %q; want %q", res.ReasonCode, tc.wantReason)
			}
			if res.Reason == "" {
				t.Error("got an empty reason")
			}
			if len(res.Headers) != len(tc.wantHeader) {
				t.Errorf("got headers %v; want %v", res.Headers, tc.wantHeader)
			}
			for name, want := range tc.wantHeader {
				if got := res.Headers[name]; got != want {
					t.Errorf("got %s %q; want %q", name, got, want)
				}
			}
			if code != tc.wantCode {
				t.Errorf("got exit code %d; want %d", code, tc.wantCode)
			}
		})
	}
}

// A policy file past the size limit is refused, as lint and proxy refuse
// it: /dev/zero never ends (issue 8, defect 4).
func TestRun_configTooLarge(t *testing.T) {
	t.Parallel()
	opts, err := execute(t, []string{"--config", "/dev/zero", "https://api.example.com/"})
	if err != nil {
		t.Fatalf("command line: %v", err)
	}
	opts.IO = cmdutil.IO{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	err = explain.Run(context.Background(), opts)
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != cmdutil.ExitUsage || !errors.Is(err, policyfile.ErrTooLarge) {
		t.Errorf("got %v; want exit code %d for a file too large", err, cmdutil.ExitUsage)
	}
}
