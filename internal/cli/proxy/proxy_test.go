package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/proxy"
)

// When CROSSGATE_TEST_PROXY is set, the test binary is the proxy command,
// so that TestProxy_signals can send it real signals.
func TestMain(m *testing.M) {
	if os.Getenv("CROSSGATE_TEST_PROXY") == "1" {
		cmd := proxy.NewCmdProxy(cmdutil.IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, nil)
		cmd.SetArgs(os.Args[1:])
		if err := cmd.Execute(); err != nil {
			var exit *cmdutil.ExitError
			if errors.As(err, &exit) {
				os.Exit(exit.Code)
			}
			os.Exit(cmdutil.ExitUsage)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestNewCmdProxy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc      string
		cli       string
		want      proxy.Options
		wantUsage bool
		wantErr   bool
	}{
		{desc: "config", cli: "--config p.yaml", want: proxy.Options{Config: "p.yaml"}},
		{desc: "every flag", cli: "--config p.yaml --listen 127.0.0.1:9 --upstream echo",
			want: proxy.Options{Config: "p.yaml", Listen: "127.0.0.1:9", Upstream: "echo"}},
		{desc: "no config", cli: "--listen :8080", wantUsage: true},
		{desc: "an argument", cli: "--config p.yaml extra", wantUsage: true},
		{desc: "unknown flag", cli: "--config p.yaml --port 8080", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			got, err := clitest.Parse(t, proxy.NewCmdProxy, strings.Fields(tc.cli))
			if !clitest.CheckErr(t, err, tc.wantUsage, tc.wantErr) {
				return
			}
			if got.Config != tc.want.Config || got.Listen != tc.want.Listen || got.Upstream != tc.want.Upstream {
				t.Errorf("got %+v; want %+v", *got, tc.want)
			}
		})
	}
}

// A gateway that cannot start says why, and exits 2 for bad input, 1 for
// a failure to listen.
func TestRun_startErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("policies:\n  - name: a\n    allow_origins: [\"null\"]\n    upstream: localhost\n"), 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("policies:\n  - name: a\n    allow_origins: [\"*\"]\nproxy:\n  admin_listen: \"off\"\n"), 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		desc       string
		opts       proxy.Options
		wantCode   int
		wantStderr []string
	}{
		{"invalid file", proxy.Options{Config: bad}, cmdutil.ExitUsage, []string{
			bad + `:3:21: policies[0].allow_origins[0]: cors: prohibited value "null"`,
			bad + `:4:15: policies[0].upstream: upstream "localhost": want "echo"`,
		}},
		{"missing file", proxy.Options{Config: filepath.Join(dir, "none.yaml")}, cmdutil.ExitUsage, nil},
		{"no upstream", proxy.Options{Config: good}, cmdutil.ExitUsage, nil},
		{"bad flag value", proxy.Options{Config: good, Upstream: "ftp://x"}, -1, nil},
		{"cannot listen", proxy.Options{Config: good, Upstream: "echo", Listen: busy.Addr().String()}, cmdutil.ExitFail, []string{}},
	}
	for _, tc := range cases {
		var stderr bytes.Buffer
		tc.opts.IO = cmdutil.IO{Out: io.Discard, ErrOut: &stderr}
		err := proxy.Run(context.Background(), &tc.opts)
		var exit *cmdutil.ExitError
		var usage *cmdutil.UsageError
		switch {
		case tc.wantCode == -1:
			if !errors.As(err, &usage) {
				t.Errorf("%s: got %v; want a usage error", tc.desc, err)
			}
		case !errors.As(err, &exit) || exit.Code != tc.wantCode:
			t.Errorf("%s: got %v; want exit code %d", tc.desc, err, tc.wantCode)
		}
		for _, w := range tc.wantStderr {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.desc, w, stderr.String())
			}
		}
	}
}

// The command as run: SIGHUP reloads the file, SIGTERM drains and exits 0.
func TestProxy_signals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a subprocess")
	}
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	policy := func(origin string) []byte {
		return []byte("policies:\n  - name: app\n    allow_origins: [" + origin + "]\n" +
			"proxy:\n  upstream: echo\n  admin_listen: \"off\"\n")
	}
	os.WriteFile(path, policy("https://a.example"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "--config", path, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "CROSSGATE_TEST_PROXY=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(re *regexp.Regexp) []string {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the proxy exited before logging %s", re)
				}
				if m := re.FindStringSubmatch(l); m != nil {
					return m
				}
			case <-ctx.Done():
				t.Fatalf("timed out waiting for a log line matching %s", re)
			}
		}
	}
	addr := waitLine(regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`))[1]
	acao := func() string {
		req, _ := http.NewRequest("GET", "http://"+addr+"/x", nil)
		req.Header.Set("Origin", "https://b.example")
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	if got := acao(); got != "" {
		t.Fatalf("before the reload: got ACAO %q; want none", got)
	}
	// Write the file in place, then signal: the watcher or the signal
	// (whichever comes first) reloads it.
	os.WriteFile(path, policy("https://b.example"), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitLine(regexp.MustCompile(`"msg":"reloaded"`))
	if got := acao(); got != "https://b.example" {
		t.Errorf("after SIGHUP: got ACAO %q; want https://b.example", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	waitLine(regexp.MustCompile(`"msg":"stopped"`))
	if err := cmd.Wait(); err != nil {
		t.Errorf("the proxy exited with %v; want exit status 0", err)
	}
}

// Missing TLS files are named as such, not as a problem reading the
// policy file (issue 8, defect 8).
func TestRun_missingTLSFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "tls.yaml")
	os.WriteFile(path, []byte("policies:\n  - name: a\n    allow_origins: [\"*\"]\nproxy:\n  upstream: echo\n  admin_listen: \"off\"\n  tls_cert: nope.pem\n  tls_key: nope.key\n"), 0o644)
	err := proxy.Run(context.Background(), &proxy.Options{Config: path, IO: cmdutil.IO{Out: io.Discard, ErrOut: io.Discard}})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != cmdutil.ExitUsage {
		t.Fatalf("got %v; want exit code %d", err, cmdutil.ExitUsage)
	}
	msg := err.Error()
	if strings.Contains(msg, "reading the policy file") || !strings.Contains(msg, "proxy.tls_cert, proxy.tls_key: loading TLS certificate") ||
		!strings.Contains(msg, filepath.Join(dir, "nope.pem")) {
		t.Errorf("got error %q; want one about the TLS files", msg)
	}
}
