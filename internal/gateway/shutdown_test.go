package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
)

// A shutdown does not wait for a reload in progress, and /readyz fails
// as soon as it starts (issue 8, reliability defect 6). The reload here
// is stuck reading a FIFO that nobody writes to, the slowest reload
// there can be.
func TestServer_shutdownDuringReload(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		io.WriteString(w, "done")
	})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the upstream's Close, which waits for its handlers
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: up.URL})
	res := make(chan string, 1)
	go func() {
		resp, err := g.try(request{path: "/slow", origin: "https://app.example.com"})
		if err != nil {
			res <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()
	<-arrived

	fifo := filepath.Join(filepath.Dir(g.path), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	if err := os.Rename(fifo, g.path); err != nil {
		t.Fatal(err)
	}
	g.srv.Reload()
	// Opening the FIFO for writing without blocking succeeds once the
	// reload has it open for reading; the reload then waits for bytes
	// that never come, until w is closed.
	var w *os.File
	waitFor(t, "the reload to open the FIFO", func() bool {
		var err error
		w, err = os.OpenFile(g.path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		return err == nil
	})
	defer w.Close()

	g.stop()
	waitFor(t, "/readyz to fail", func() bool {
		resp, err := client.Get(g.admin + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	unblock()
	if got := <-res; got != "200 done" {
		t.Errorf("in-flight request: got %q; want %q", got, "200 done")
	}
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		g.done <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5s of the last request: it waits for the reload")
	}
}

// A refused reload logs each diagnostic once, at most 100 of them, each
// clipped, then the count of the others; the "reload refused" record
// holds a summary, not the diagnostics again.
func TestServer_reloadLogsBounded(t *testing.T) {
	t.Parallel()
	g := startGateway(t, versionPolicy("a"), gateway.Overrides{Upstream: "echo"})
	var b strings.Builder
	b.WriteString("policies:\n  - name: app\n    allow_origins:\n")
	fmt.Fprintf(&b, "      - \"https://%s.example\"\n", strings.Repeat("A", 100<<10)) // one huge value
	for i := range 250 {
		fmt.Fprintf(&b, "      - \"HTTPS://%d.example\"\n", i) // upper case: refused
	}
	writeFile(t, g.path, b.String()+proxySection)
	g.srv.Reload()
	logs := g.waitLogs("reload refused", "more policy file problems, not logged")
	var problems int
	for line := range strings.Lines(logs) {
		if len(line) > 2048 {
			t.Errorf("a log line of %d bytes: %.200s...", len(line), line)
		}
		if strings.Contains(line, `"msg":"policy file problem"`) {
			problems++
		}
		if strings.Contains(line, "reload refused") {
			if !strings.Contains(line, `"error":"invalid policy file: 251 errors, 0 warnings"`) {
				t.Errorf("reload refused record: %s", line)
			}
		}
		if strings.Contains(line, "more policy file problems") && !strings.Contains(line, `"count":151`) {
			t.Errorf("count record: %s", line)
		}
	}
	// The watcher may reload the same file too: count per refusal.
	if refusals := strings.Count(logs, "reload refused"); problems != 100*refusals {
		t.Errorf("%d diagnostics logged for %d refusals; want 100 each", problems, refusals)
	}
	// The diagnostic quotes the value cut (policyfile), and the gateway
	// clips what is left past maxLogValue: either way not whole.
	if strings.Contains(logs, strings.Repeat("A", 4096)) {
		t.Error("the huge value was not clipped")
	}
}
