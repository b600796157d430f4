package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crossgate/crossgate/internal/gateway"
)

// Values an attacker sends: on the admin page they must show as text,
// and their scripts must never run (each would set window.__pwned).
const (
	adminEvilOrigin = `https://evil.example"><script>window.__pwned=1</script>'`
	adminEvilPath   = `/api/%3Cimg%20src=x%20onerror=window.__pwned=2%3E`
	adminEvilHeader = `x-a</code><img src=x onerror=window.__pwned=3>`
)

// adminSend sends a request to the gateway as written.
func adminSend(t *testing.T, addr, req string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response to %q: %v", req, err)
	}
	resp.Body.Close()
}

// artefactDir is where the screenshots go: $CROSSGATE_ARTIFACTS when set
// (CI keeps it), a temporary directory otherwise.
func artefactDir(t *testing.T) string {
	if d := os.Getenv("CROSSGATE_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestAdminPage opens the gateway's admin page in Chromium: the policies,
// the last reload, the counters and the refused requests are there, the
// hostile values are shown as text and never run, and a refusal that
// happens while the page is open appears without a reload.
func TestAdminPage(t *testing.T) {
	h := browser(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "crossgate.yaml")
	err := os.WriteFile(cfg, []byte(`policies:
  - name: app
    match: { hosts: [api.example.com], paths: [/api/] }
    allow_origins: [https://app.example.com]
    allow_credentials: true
    allow_methods: [PUT]
  - name: public
    match: { paths: [/public/] }
    allow_origins: ["*"]
proxy:
  listen: 127.0.0.1:0
  admin_listen: 127.0.0.1:0
  upstream: echo
  access_log: false
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.NewServer(gateway.ServerOptions{ConfigPath: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	addr, admin := srv.Addr().String(), "http://"+srv.AdminAddr().String()

	adminSend(t, addr, "GET /api/a HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://app.example.com\r\nConnection: close\r\n\r\n")
	adminSend(t, addr, "GET "+adminEvilPath+" HTTP/1.1\r\nHost: api.example.com\r\nOrigin: "+adminEvilOrigin+"\r\nConnection: close\r\n\r\n")
	adminSend(t, addr, "OPTIONS /api/b HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://app.example.com\r\n"+
		"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: "+adminEvilHeader+"\r\nConnection: close\r\n\r\n")

	tab, closeTab := chromedp.NewContext(h.tab)
	defer closeTab()
	tctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()

	type row struct {
		Policy, Origin, Request, Reason, Explain string
	}
	var (
		policies, origins []string
		rows              []row
		reload            string
		pwned             bool
		scripts, imgs     int
		counters          []string
		count             string
	)
	readRows := chromedp.Evaluate(`Array.from(document.querySelectorAll("#refusals tbody tr")).map(tr => ({
		Policy: tr.cells[1].textContent, Origin: tr.cells[2].textContent, Request: tr.cells[3].textContent,
		Reason: tr.cells[4].textContent, Explain: tr.cells[5].textContent}))`, &rows)
	err = chromedp.Run(tctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(admin+"/admin"),
		chromedp.WaitVisible("#refusals", chromedp.ByQuery),
		// The script has drawn the tables at least once.
		chromedp.WaitVisible(`//span[@id="updated"][starts-with(text(), "updated")]`, chromedp.BySearch),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#policies tbody tr td:first-child")).map(td => td.textContent)`, &policies),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#policies tbody tr:first-child td:nth-child(4) div")).map(d => d.textContent)`, &origins),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#counters tbody tr")).map(tr => tr.textContent)`, &counters),
		chromedp.Text("#reload-result", &reload, chromedp.ByQuery),
		readRows,
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(policies, ",") != "app,public" || strings.Join(origins, ",") != "https://app.example.com" {
		t.Errorf("policies: got %q with origins %q; want app,public and https://app.example.com", policies, origins)
	}
	if reload != "ok" {
		t.Errorf("last reload: got %q; want ok", reload)
	}
	if !strings.Contains(strings.Join(counters, "|"), "invalid-origin: 1") {
		t.Errorf("counters: got %q; want app's invalid-origin: 1", counters)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d refused requests; want 2: %+v", len(rows), rows)
	}
	if rows[1].Origin != adminEvilOrigin || rows[1].Reason != "invalid-origin" || rows[1].Policy != "app" ||
		rows[1].Request != "GET http://api.example.com"+adminEvilPath {
		t.Errorf("hostile origin's row: got %+v", rows[1])
	}
	// Refused as malformed or as longer than the policy allows, depending
	// on the policy's headers: the row says what the gateway decided.
	if !strings.HasPrefix(rows[0].Reason, "request-headers-") && rows[0].Reason != "invalid-request-headers" || !strings.Contains(rows[0].Explain, adminEvilHeader) {
		t.Errorf("hostile header's row: got %+v", rows[0])
	}

	// The command lines are those of the JSON state.
	resp, err := http.Get(admin + "/admin/state.json")
	if err != nil {
		t.Fatal(err)
	}
	var st gateway.AdminState
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Refusals) != len(rows) {
		t.Fatalf("the page shows %d refusals; the state has %d", len(rows), len(st.Refusals))
	}
	for i, rf := range st.Refusals {
		if rows[i].Explain != rf.Explain || rows[i].Reason != rf.Reason || rows[i].Origin != rf.Origin {
			t.Errorf("row %d: %+v; the state says %+v", i, rows[i], rf)
		}
	}

	// A refusal while the page is open shows up by itself.
	adminSend(t, addr, "GET /api/c HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://other.example\r\nConnection: close\r\n\r\n")
	err = chromedp.Run(tctx,
		chromedp.WaitVisible(`#refusals tbody tr:nth-child(3)`, chromedp.ByQuery),
		readRows,
		chromedp.Evaluate(`window.__pwned !== undefined`, &pwned),
		chromedp.Text("#refusal-count", &count, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("script").length`, &scripts),
		chromedp.Evaluate(`document.querySelectorAll("body img").length`, &imgs),
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Origin != "https://other.example" || rows[0].Reason != "origin-not-allowed" {
		t.Errorf("after a new refusal: got %+v; want it first", rows)
	}
	if count != "3" {
		t.Errorf("refusal count: got %q; want 3", count)
	}
	if pwned || scripts != 1 || imgs != 0 {
		t.Errorf("hostile values ran or became markup: __pwned %v, %d scripts (want 1), %d images (want 0)", pwned, scripts, imgs)
	}

	var png []byte
	if err := chromedp.Run(tctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artefactDir(t), "admin-page.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}
