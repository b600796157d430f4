package lint_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/lint"
	"github.com/crossgate/crossgate/internal/policyfile"
)

func TestNewCmdLint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc      string
		cli       string
		want      lint.Options
		wantUsage bool // a *cmdutil.UsageError
		wantErr   bool // any other error from the command line
	}{
		{desc: "file", cli: "policy.yaml", want: lint.Options{File: "policy.yaml"}},
		{desc: "json flag first", cli: "--json policy.yaml", want: lint.Options{File: "policy.yaml", JSON: true}},
		{desc: "json flag last", cli: "policy.yaml --json", want: lint.Options{File: "policy.yaml", JSON: true}},
		{desc: "standard input", cli: "-", want: lint.Options{File: "-"}},
		{desc: "no file", cli: "", wantUsage: true},
		{desc: "two files", cli: "a.yaml b.yaml", wantUsage: true},
		{desc: "unknown flag", cli: "--jsn a.yaml", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			got, err := clitest.Parse(t, lint.NewCmdLint, strings.Fields(tc.cli))
			if !clitest.CheckErr(t, err, tc.wantUsage, tc.wantErr) {
				return
			}
			if got.File != tc.want.File || got.JSON != tc.want.JSON {
				t.Errorf("got File %q, JSON %t; want File %q, JSON %t", got.File, got.JSON, tc.want.File, tc.want.JSON)
			}
		})
	}
}

func TestRun_stdin(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	ios := cmdutil.IO{In: strings.NewReader("policies:\n  - name: a\n    allow_origins: [\"null\"]\n"), Out: &stdout}
	err := lint.Run(context.Background(), &lint.Options{IO: ios, File: "-"})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != cmdutil.ExitFail {
		t.Fatalf("got error %v; want exit code %d", err, cmdutil.ExitFail)
	}
	want := `<stdin>:3:21: policies[0].allow_origins[0]: cors: prohibited value "null": ` +
		"the null origin is sent by sandboxed iframes, file: pages and redirected requests, so any attacker can forge it\n" +
		"<stdin>: 1 error\n"
	if got := stdout.String(); got != want {
		t.Errorf("got output\n%s\nwant\n%s", got, want)
	}
}

func TestRun_target(t *testing.T) {
	t.Parallel()
	src := "policies:\n  - name: app\n    allow_origins: [\"*\"]\n    preflight_status: 200\n"
	cases := []struct {
		target string
		json   bool
		code   int // 0 for no error
		want   string
	}{
		{"nginx", false, 0, "<stdin>: ok, 1 policy\n"},
		{"apache", false, cmdutil.ExitFail, `<stdin>:2:5: policies[0].preflight_status: export --format apache: value "200": a preflight_status other than 204 is answered by mod_rewrite's R=NNN, which sends Apache's error-page body with it (approximated)` + "\n" +
			"<stdin>: valid, 1 policy, 1 difference for the target\n"},
		{"apache", true, cmdutil.ExitFail, `"path": "policies[0].preflight_status"`},
	}
	for _, tc := range cases {
		var stdout bytes.Buffer
		ios := cmdutil.IO{In: strings.NewReader(src), Out: &stdout}
		err := lint.Run(context.Background(), &lint.Options{IO: ios, File: "-", Target: tc.target, JSON: tc.json})
		code := 0
		var exit *cmdutil.ExitError
		if errors.As(err, &exit) {
			code = exit.Code
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("--target %s (json %t): exit %d; want %d\n%s\nwant %s", tc.target, tc.json, code, tc.code, stdout.String(), tc.want)
		}
	}
	_, err := clitest.Parse(t, lint.NewCmdLint, []string{"--target", "iis", "p.yaml"})
	clitest.CheckErr(t, err, true, false)
	got, err := clitest.Parse(t, lint.NewCmdLint, []string{"--target", "nginx", "p.yaml"})
	if clitest.CheckErr(t, err, false, false) && got.Target != "nginx" {
		t.Errorf("Target %q", got.Target)
	}
}

// An endless standard input (yes | crossgate lint -) and a device that
// never ends are refused at the size limit, with exit code 2.
func TestRun_tooLarge(t *testing.T) {
	t.Parallel()
	files := []string{"-"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		files = append(files, "/dev/zero")
	}
	for _, file := range files {
		var stdout bytes.Buffer
		yes := io.MultiReader(strings.NewReader("policies: []\n"), endless{})
		ios := cmdutil.IO{In: yes, Out: &stdout}
		err := lint.Run(context.Background(), &lint.Options{IO: ios, File: file})
		var exit *cmdutil.ExitError
		if !errors.As(err, &exit) || exit.Code != cmdutil.ExitUsage || !errors.Is(err, policyfile.ErrTooLarge) {
			t.Errorf("lint %s: got error %v; want exit code %d for a file too large", file, err, cmdutil.ExitUsage)
		}
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "y\n"[i%2]
	}
	return len(p), nil
}

// lint checks what the gateway would read at start: TLS files that do not
// exist, or do not make a pair, are errors at the key naming them.
func TestRun_TLSFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("not a key\n"), 0o600)
	const head = "policies:\n  - name: a\n    allow_origins: [\"*\"]\nproxy:\n"
	cases := []struct {
		desc, proxy string
		wantCode    int // 0 for a valid file
		want        string
	}{
		{"both load", "  tls_cert: cert.pem\n  tls_key: key.pem\n", 0, "ok, 1 policy"},
		{"missing cert", "  tls_cert: nope.pem\n  tls_key: key.pem\n", cmdutil.ExitFail,
			`:5:13: proxy.tls_cert: file "` + filepath.Join(dir, "nope.pem") + `" does not exist`},
		{"missing key", "  tls_cert: cert.pem\n  tls_key: nope.key\n", cmdutil.ExitFail,
			`:6:12: proxy.tls_key: file "` + filepath.Join(dir, "nope.key") + `" does not exist`},
		{"bad key", "  tls_cert: cert.pem\n  tls_key: bad.pem\n", cmdutil.ExitFail,
			`:5:13: proxy.tls_cert: TLS certificate "` + filepath.Join(dir, "cert.pem") + `" and key "` + filepath.Join(dir, "bad.pem") + `" do not load: `},
	}
	for i, tc := range cases {
		path := filepath.Join(dir, fmt.Sprintf("p%d.yaml", i))
		os.WriteFile(path, []byte(head+tc.proxy), 0o644)
		var stdout bytes.Buffer
		err := lint.Run(context.Background(), &lint.Options{IO: cmdutil.IO{Out: &stdout}, File: path})
		var exit *cmdutil.ExitError
		switch {
		case tc.wantCode == 0 && err != nil:
			t.Errorf("%s: got %v; want a valid file", tc.desc, err)
		case tc.wantCode != 0 && (!errors.As(err, &exit) || exit.Code != tc.wantCode):
			t.Errorf("%s: got %v; want exit code %d", tc.desc, err, tc.wantCode)
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%s: output lacks %q:\n%s", tc.desc, tc.want, stdout.String())
		}
	}
}

// lint refuses an upstream that is the file's own proxy.listen: the
// gateway would forward every request to itself.
func TestRun_selfUpstream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const head = "policies:\n  - name: a\n    allow_origins: [\"*\"]\n"
	cases := []struct {
		desc, src string
		wantCode  int // 0 for a valid file
		want      string
	}{
		{"proxy.upstream", head + "proxy:\n  listen: 127.0.0.1:8080\n  upstream: http://localhost:8080\n", cmdutil.ExitFail,
			`:6:13: proxy.upstream: upstream "http://localhost:8080" is the gateway's own listener 127.0.0.1:8080 (proxy.listen)`},
		{"a policy's upstream", head + "    upstream: http://127.0.0.1:8080/api\nproxy:\n  listen: 0.0.0.0:8080\n", cmdutil.ExitFail,
			`:2:5: policies[0].upstream: upstream "http://127.0.0.1:8080/api" is the gateway's own listener 0.0.0.0:8080 (proxy.listen)`},
		{"another port", head + "proxy:\n  listen: 127.0.0.1:8080\n  upstream: http://localhost:9000\n", 0, "ok, 1 policy"},
	}
	for i, tc := range cases {
		path := filepath.Join(dir, fmt.Sprintf("p%d.yaml", i))
		os.WriteFile(path, []byte(tc.src), 0o644)
		var stdout bytes.Buffer
		err := lint.Run(context.Background(), &lint.Options{IO: cmdutil.IO{Out: &stdout}, File: path})
		var exit *cmdutil.ExitError
		switch {
		case tc.wantCode == 0 && err != nil:
			t.Errorf("%s: got %v; want a valid file", tc.desc, err)
		case tc.wantCode != 0 && (!errors.As(err, &exit) || exit.Code != tc.wantCode):
			t.Errorf("%s: got %v; want exit code %d", tc.desc, err, tc.wantCode)
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%s: output lacks %q:\n%s", tc.desc, tc.want, stdout.String())
		}
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// The warnings of cors.Validate reach lint with their position: a response
// header among allow_headers, a request header among expose_headers.
func TestRun_headersOnTheWrongSide(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	src := "policies:\n  - name: a\n    allow_origins: [https://app.example.com]\n" +
		"    allow_headers: [Content-Type, Access-Control-Allow-Origin]\n" +
		"    expose_headers: [Access-Control-Request-Method]\n"
	ios := cmdutil.IO{In: strings.NewReader(src), Out: &stdout}
	if err := lint.Run(context.Background(), &lint.Options{IO: ios, File: "-"}); err != nil {
		t.Fatalf("got error %v; want none (warnings only)", err)
	}
	got := stdout.String()
	for _, want := range []string{
		`<stdin>:4:35: warning: policies[0].allow_headers[1]: cors: ineffective value "Access-Control-Allow-Origin": a CORS response header`,
		`<stdin>:5:22: warning: policies[0].expose_headers[0]: cors: ineffective value "Access-Control-Request-Method": a request header`,
		"<stdin>: ok, 1 policy, 2 warnings\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q; got\n%s", want, got)
		}
	}
}

// Lint prints the first policyfile.MaxPrinted diagnostics and counts the
// rest; the summary counts them all.
func TestRun_capsDiagnostics(t *testing.T) {
	t.Parallel()
	var src strings.Builder
	src.WriteString("policies:\n  - name: a\n    allow_origins:\n")
	for i := range 1000 {
		src.WriteString("      - https://" + strings.Repeat("x", i%50+1) + ".example/" + "\n")
	}
	var stdout bytes.Buffer
	ios := cmdutil.IO{In: strings.NewReader(src.String()), Out: &stdout}
	err := lint.Run(context.Background(), &lint.Options{IO: ios, File: "-"})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != cmdutil.ExitFail {
		t.Fatalf("got error %v; want exit code %d", err, cmdutil.ExitFail)
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 102 {
		t.Fatalf("got %d lines; want 100 diagnostics, a count and a summary:\n%.500s", len(lines), stdout.String())
	}
	if want := "... and 900 more (900 errors, 0 warnings)"; lines[100] != want {
		t.Errorf("line 101: got %q; want %q", lines[100], want)
	}
	if want := "<stdin>: 1000 errors"; lines[101] != want {
		t.Errorf("summary: got %q; want %q", lines[101], want)
	}
}
