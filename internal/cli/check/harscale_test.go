package check_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

// redirectHAR writes a HAR of n cross-origin requests, each redirected
// to a second recorded request, and returns its path.
func redirectHAR(t testing.TB, n int) string {
	var b strings.Builder
	b.WriteString(`{"log":{"creator":{"name":"test"},"entries":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"startedDateTime":"2026-01-01T00:00:00Z","_resourceType":"fetch","request":{"method":"GET","url":"https://api.example/r/%d","headers":[{"name":"Origin","value":"https://app.example"}]},"response":{"status":302,"headers":[{"name":"Location","value":"https://api.example/next/%d"},{"name":"Access-Control-Allow-Origin","value":"*"}]}}`, i, i)
		fmt.Fprintf(&b, `,{"startedDateTime":"2026-01-01T00:00:00Z","_resourceType":"fetch","request":{"method":"GET","url":"https://api.example/next/%d","headers":[{"name":"Origin","value":"https://app.example"}]},"response":{"status":200,"headers":[{"name":"Access-Control-Allow-Origin","value":"*"}]}}`, i)
	}
	b.WriteString(`]}}`)
	p := filepath.Join(t.TempDir(), "redirects.har")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Diagnosing a HAR costs a bounded amount per entry: each redirect hop
// was looked for by scanning every entry, which for 100,000 entries took
// minutes.
func TestRun_harScales(t *testing.T) {
	const n = 2000
	p := redirectHAR(t, n)
	code := -1
	allocs := testing.AllocsPerRun(1, func() {
		code = cli.Main(context.Background(), []string{"check", "--har", p, "--json"}, strings.NewReader(""), io.Discard, io.Discard)
	})
	if code != 0 {
		t.Fatalf("got exit %d; want 0", code)
	}
	if per := allocs / (2 * n); per > 400 {
		t.Errorf("%.0f allocations per entry; want at most 400", per)
	}
}

// Stopped (Ctrl-C), --har says so and prints no partial table that reads
// as complete.
func TestRun_harCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr strings.Builder
	code := cli.Main(ctx, []string{"check", "--har", redirectHAR(t, 3)}, strings.NewReader(""), &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "stopped after 0 of 6 entries: context canceled") || stdout.Len() != 0 {
		t.Errorf("got exit %d, %q, stdout %q; want 2 and the entries not diagnosed", code, stderr.String(), stdout.String())
	}
}
