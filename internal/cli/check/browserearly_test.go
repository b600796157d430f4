package check_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

// --browser with no Chromium, or with an origin no page can have, fails
// before anything is sent: the server sees no request.
func TestRun_browserRefusedBeforeSending(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--origin", "https://app.example", "--browser"}, "no Chromium found on PATH"},
		{[]string{"--origin", "https://app.example", "--browser", "--browser-path", t.TempDir()}, "is a directory"},
		{[]string{"--origin", "null", "--browser"}, `--browser needs an http or https --origin, not "null"`},
		{[]string{"--origin", "https://app.example:99999", "--browser"}, `invalid port "99999": want 1 to 65535`},
	} {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), append([]string{"check", srv.URL + "/"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: got exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests; want none", n)
	}
}
