package check_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

// chromiumOrSkip returns the Chromium on PATH, or skips (fails under
// CROSSGATE_E2E=1).
func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CROSSGATE_E2E") == "1" {
		t.Fatal("no chromium on PATH (CROSSGATE_E2E=1)")
	}
	t.Skip("no chromium on PATH: install it (apt-get install chromium) to run this test")
	return ""
}

// --browser leaves nothing behind: its profile, and Chromium's own
// temporary directories, are removed once every process it started has
// stopped (its network service wrote into the profile after it was
// removed, and org.chromium.Chromium.* directories were left in TMPDIR).
// A silent server makes the page give up at --timeout, as the model does,
// rather than the whole run failing.
func TestRun_browserCleansUp(t *testing.T) {
	path := chromiumOrSkip(t)
	tmp, err := os.MkdirTemp("", "cgt") // short: Chromium puts a socket under it
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/silent" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}))
	defer srv.Close()
	defer close(release)
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{"/open", "agrees with the model", 0},
		{"/silent", "TimeoutError", 2},
	} {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), []string{"check", srv.URL + tc.path, "--origin", "https://app.example", "--browser", "--browser-path", path, "--timeout", "2s"},
			strings.NewReader(""), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%s: got exit %d, %q %q; want %d and %q", tc.path, code, stdout.String(), stderr.String(), tc.code, tc.want)
		}
		left, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range left {
			t.Errorf("%s: left in TMPDIR: %s", tc.path, e.Name())
		}
	}
}
