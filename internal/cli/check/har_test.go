package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

var harFile = filepath.Join("..", "..", "devtools", "testdata", "har", "chromium-156.har")

// The HAR recorded from Chromium 156 by e2e's TestChromium_har: each
// cross-origin request gets Chromium's verdict offline, its preflight
// paired (Chromium records it after the request), the request blocked at
// its preflight found though Chromium recorded it without Origin, and
// credentials include inferred from the net::ERR_FAILED recorded.
func TestRun_har(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"check", "--har", harFile}, strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("got exit %d; want 1\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"7 entries", "5 cross-origin requests",
		"/har/open    http://127.0.0.1:32895  -          allowed",
		"/har/closed  http://127.0.0.1:32895  -          blocked: MissingAllowOriginHeader",
		"/har/put     http://127.0.0.1:32895  entry 3    allowed",
		"/har/token   http://127.0.0.1:32895  entry 5    blocked: HeaderDisallowedByPreflightResponse",
		"/har/cred    http://127.0.0.1:32895  -          blocked: WildcardOriginNotAllowed",
		"chromium: Access to fetch at 'http://127.0.0.1:37125/har/token' from origin 'http://127.0.0.1:32895' has been blocked by CORS policy: Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response.",
		"judged with credentials include",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// --json: one object per cross-origin request, with check --json's keys
// and the entry's index.
func TestRun_harJSON(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	cli.Main(context.Background(), []string{"check", "--har", harFile, "--json"}, strings.NewReader(""), &stdout, &stderr)
	dec := json.NewDecoder(&stdout)
	var entries []int
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"engine", "allowed", "preflight_sent", "chromium_error", "console_message", "firefox_error", "fix", "steps", "entry", "preflight_entry", "url", "origin"} {
			if _, ok := m[k]; !ok {
				t.Errorf("object %v lacks %q", m, k)
			}
		}
		entries = append(entries, int(m["entry"].(float64)))
	}
	if want := []int{0, 1, 2, 4, 6}; len(entries) != len(want) {
		t.Errorf("got entries %v; want %v", entries, want)
	}
}

func TestRun_harErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--har", filepath.Join(dir, "missing.har")}, "no such file"},
		{[]string{"check", "--har", harFile, "http://a.example/"}, "give no URL"},
		{[]string{"check", "--har", "/dev/null"}, "reading the HAR"},
	} {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: got exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// A HAR in Firefox's shape (no _resourceType or _error; hand-made, not
// recorded): the preflight is paired though it is listed first, the
// DELETE it refused is judged on it, and the cookie makes the next
// request credentialed, which ACAO * refuses.
func TestRun_harFirefoxShaped(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"check", "--har", filepath.Join("..", "..", "devtools", "testdata", "har", "firefox-shaped.har")},
		strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("got exit %d; want 1\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"4 entries (from Firefox 140.0), 2 cross-origin requests",
		"1      DELETE  https://api.example.net/v1/items/7  https://shop.example.com  entry 0    blocked: MethodDisallowedByPreflightResponse",
		"2      GET     https://api.example.net/v1/items    https://shop.example.com  -          blocked: WildcardOriginNotAllowed",
		"credentials include: inferred from the cookies sent",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
