package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// contextCase is a request whose verdict depends on the page's context
// (its URL's scheme, its address space) rather than on any response.
type contextCase struct {
	name  string // the subtest's
	nonce string
	req   fetch.Request
	// check is crossgate check's command line for req, after "check URL".
	check []string
	// servers are the targets that must see nothing under nonce.
	servers []*target
}

// runContextCase runs c in Chromium, through the fetch model and through
// crossgate check, and requires them to agree, the request to be blocked
// as the model says, and nothing to reach the servers.
func runContextCase(t *testing.T, h *harness, c contextCase) {
	t.Helper()
	got := h.run(t, specFor(c.req), c.nonce)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := (&fetch.Client{Transport: rawTransport{}}).Do(ctx, c.req)
	if res == nil {
		t.Fatalf("model: %v", err)
	}
	compare(t, "model", got, nil, res, nil, c.nonce, c.nonce)
	if got.JS.OK || got.CorsError == "" {
		t.Errorf("Chromium: got allowed %t, error %q; want the request blocked with a CORS error", got.JS.OK, got.CorsError)
	}
	cres, code := runCheck(t, append([]string{"check", c.req.URL}, c.check...))
	compare(t, "crossgate check", got, nil, cres, nil, c.nonce, c.nonce)
	if code != 1 {
		t.Errorf("crossgate check: got exit %d; want 1", code)
	}
	for _, s := range c.servers {
		if seen := s.requests(c.nonce); len(seen) > 0 {
			t.Errorf("the server saw %v; want nothing sent", seen)
		}
	}
}

// TestChromium_pageContext runs rows 54 and 55 of the reference's matrix
// in a second Chromium, started with --ip-address-space-overrides so that
// it sees the page's address as public. Row 55: a fetch from the page to a
// loopback server, and to one overridden as private (local), is denied by
// Local Network Access before anything is sent, although the server would
// allow it. Row 54: see fileScheme.
func TestChromium_pageContext(t *testing.T) {
	h := browser(t)
	local, err := newTarget()
	if err != nil {
		t.Fatal(err)
	}
	defer local.close()
	overrides := "127.0.0.1:" + h.pagePort + "=public,127.0.0.1:" + local.port + "=private"
	start := time.Now()
	lna, err := h.withBrowser(chromedp.Flag("ip-address-space-overrides", overrides))
	if err != nil {
		t.Fatalf("starting Chromium with --ip-address-space-overrides: %v", err)
	}
	defer lna.close()
	t.Logf("second Chromium started in %v", time.Since(start).Round(time.Millisecond))

	const loopNonce, localNonce = "row55", "row55local"
	loopURL := h.target.env(h.origin, loopNonce).Target
	localURL := local.env(h.origin, localNonce).Target
	allowAll := scenarios.Route{Preflight: scenarios.OK("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "*"),
		Actual: scenarios.OK("Access-Control-Allow-Origin", "*")}
	putURL := h.target.env(h.origin, loopNonce+"put").Target
	h.target.addRoutes(map[string]scenarios.Route{loopURL: allowAll, putURL: allowAll})
	local.addRoutes(map[string]scenarios.Route{localURL: allowAll})

	cases := []contextCase{
		{
			name: "§6#55 loopback", nonce: loopNonce,
			req:   fetch.Request{URL: loopURL, Origin: h.origin, AddressSpace: fetch.PublicAddressSpace},
			check: []string{"--origin", h.origin, "--address-space", "public", "--json"},
		}, {
			name: "§6#55 local (a server overridden as private)", nonce: localNonce,
			req: fetch.Request{URL: localURL, Origin: h.origin, AddressSpace: fetch.PublicAddressSpace,
				TargetAddressSpace: fetch.LocalAddressSpace},
			check: []string{"--origin", h.origin, "--address-space", "public", "--target-address-space", "local", "--json"},
		}, {
			name: "§6#55 loopback, preflighted PUT", nonce: loopNonce + "put",
			req:   fetch.Request{Method: http.MethodPut, URL: putURL, Origin: h.origin, AddressSpace: fetch.PublicAddressSpace},
			check: []string{"--origin", h.origin, "--method", "PUT", "--address-space", "public", "--json"},
		},
	}
	for _, c := range cases {
		c.servers = []*target{h.target, local}
		t.Run(c.name, func(t *testing.T) { runContextCase(t, lna, c) })
	}
	t.Run("§6#54 a file: page fetches a file: URL", func(t *testing.T) { fileScheme(t, lna) })
}

// fileScheme is row 54 of the reference's matrix: a page loaded from a
// file: URL, whose origin is "null", fetches a file: URL. Chromium runs no
// CORS for file: URLs and refuses it with CorsDisabledScheme. It raises no
// CorsIssue for it: the error id comes with the Network domain's
// loadingFailed event. A tab that has shown a file: page reports no
// CorsIssue again, so this runs last, in the browser of the page-context
// rows.
func fileScheme(t *testing.T, h *harness) {
	const nonce = "row54"
	dir := filepath.Join(t.TempDir(), nonce)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"page.html": pageHTML, "data.txt": "local data\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fileURL := func(name string) string {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, name))}).String()
	}
	ctx, cancel := context.WithTimeout(h.tab, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, network.Enable(), chromedp.Navigate(fileURL("page.html")), chromedp.WaitReady("body", chromedp.ByQuery)); err != nil {
		t.Fatalf("opening the file: page: %v", err)
	}
	runContextCase(t, h, contextCase{
		nonce: nonce,
		req:   fetch.Request{URL: fileURL("data.txt"), Origin: "null", PageScheme: "file"},
		check: []string{"--origin", "null", "--page-scheme", "file", "--json"},
	})
}
