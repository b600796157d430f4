package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// copyRequests are the requests whose DevTools copies make the corpus of
// internal/devtools/testdata/copies. Each is run from a page on
// http://127.0.0.1:9000 against http://127.0.0.1:9001 (same site, another
// origin), whose "/" set two cookies. internal/devtools's
// TestCopies_corpus holds the same requests as flags; keep the two in step.
var copyRequests = []struct {
	name string
	js   string // a statement run in the page; API is the API origin
}{
	{"put-json", `await fetch(API + "/copy/put-json?x=1&y=[2]", {method: "PUT", headers: {"Content-Type": "application/json", "X-Request-Id": "42"}, body: JSON.stringify({item: "book", qty: 2})})`},
	{"post-quotes", `await fetch(API + "/copy/post-quotes", {method: "POST", headers: {"Content-Type": "text/plain;charset=UTF-8", "X-Note": "it's \"quoted\""}, body: "line one\nline two: don't stop! \"q\" café 😀 $HOME ` + "`id`" + ` \\ %PATH% ^ &"})`},
	{"get-cookies", `await fetch(API + "/copy/get-cookies", {credentials: "include"})`},
	{"form-post", `await fetch(API + "/copy/form-post", {method: "POST", body: new URLSearchParams({name: "A B", note: "x&y=z"})})`},
}

// copyNames are the names of the saved copies: each request's, the
// preflights of put-json and post-quotes (DevTools lists preflights as requests of their
// own), and "all" ("Copy all as cURL", "Copy all as fetch").
func copyNames() []string {
	var names []string
	for _, r := range copyRequests {
		names = append(names, r.name)
	}
	return append(names, "put-json-preflight", "post-quotes-preflight", "all")
}

// copyFormats are the frontend's four copies of one request.
var copyFormats = []string{"curl-bash", "curl-cmd", "fetch", "fetch-node"}

// TestChromium_devtoolsCopies makes each of copyRequests from a page,
// opens the DevTools frontend bundled with that Chromium on the page (the
// real "Copy as cURL" and "Copy as fetch" code, not a copy of it), and
// has the frontend write its copies of each request. With
// CROSSGATE_UPDATE_COPIES=1 it writes them to
// internal/devtools/testdata/copies; otherwise it requires the saved ones
// to equal what this Chromium writes.
func TestChromium_devtoolsCopies(t *testing.T) {
	path, err := findChromium()
	if err != nil {
		if os.Getenv("CROSSGATE_E2E") != "1" {
			t.Skipf("skipping: %v (install Debian's chromium, or set CROSSGATE_E2E=1 to make this a failure)", err)
		}
		t.Fatal(err)
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.Header().Set("Access-Control-Allow-Headers", "content-type, x-request-id, x-note")
		fmt.Fprint(w, "ok")
	}))
	defer api.Close()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=abc123; Path=/")
		w.Header().Add("Set-Cookie", `theme="dark mode"; Path=/`)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>copies</title><body>copies</body>")
	}))
	defer page.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	profile, err := os.MkdirTemp("", "crossgate-e2e-copies-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for range 20 { // a closing browser may still write for a moment
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("removing the profile %s: still written to", profile)
	}()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("remote-debugging-port", fmt.Sprint(port)),
		chromedp.Flag("remote-allow-origins", "*"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// Cancelling the allocator kills Chromium and waits for it to exit
	// (chromedp.Cancel on the tab hangs once the frontend has attached).
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.Navigate(page.URL+"/"), chromedp.WaitReady("body", chromedp.ByQuery)); err != nil {
		t.Fatalf("opening the page: %v", err)
	}
	targetID := chromedp.FromContext(tab).Target.TargetID

	// The frontend, in a tab of its own, attached to the page over the
	// remote debugging port.
	front, cancelFront := chromedp.NewContext(tab)
	defer cancelFront()
	fctx, fcancel := context.WithTimeout(front, 60*time.Second)
	defer fcancel()
	frontURL := fmt.Sprintf("devtools://devtools/bundled/devtools_app.html?ws=127.0.0.1:%d/devtools/page/%s", port, targetID)
	if err := chromedp.Run(fctx, chromedp.Navigate(frontURL)); err != nil {
		t.Fatalf("opening the DevTools frontend %s: %v", frontURL, err)
	}
	await := func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }
	// Wait for the frontend's network log to follow the page.
	var ready bool
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := chromedp.Run(fctx, chromedp.Evaluate(`(async () => {
			const SDK = await import('./core/sdk/sdk.js');
			const t = SDK.TargetManager.TargetManager.instance().primaryPageTarget();
			return !!t && !!t.model(SDK.NetworkManager.NetworkManager);
		})()`, &ready, await))
		if err == nil && ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the DevTools frontend did not attach to the page: ready %t, %v", ready, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	for _, r := range copyRequests {
		var out string
		js := fmt.Sprintf(`(async () => { const API = %q; const res = %s; return String(res.status); })()`, api.URL, r.js)
		if err := chromedp.Run(ctx, chromedp.Evaluate(js, &out, await)); err != nil || out != "200" {
			t.Fatalf("request %s: status %q, %v", r.name, out, err)
		}
	}

	// The frontend's own copy functions, on its own records of the
	// requests (NetworkLogView.generateCurlCommand, generateFetchCall:
	// panels/network/NetworkLogView.ts).
	var copies map[string]map[string]string
	for deadline := time.Now().Add(20 * time.Second); ; {
		var raw string
		err := chromedp.Run(fctx, chromedp.Evaluate(fmt.Sprintf(`(async () => {
			const Logs = await import('./models/logs/logs.js');
			const Network = await import('./panels/network/network.js');
			const V = Network.NetworkLogView.NetworkLogView;
			const out = {};
			// generateFetchCall is an instance method that uses nothing
			// of its instance.
			const fetchCall = (req, style) => V.prototype.generateFetchCall.call(Object.create(V.prototype), req, style);
			const all = [];
			for (const req of Logs.NetworkLog.NetworkLog.instance().requests()) {
				const u = req.url();
				if (!u.startsWith(%q + '/copy/') || !req.finished) continue;
				let name = new URL(u).pathname.slice('/copy/'.length);
				if (req.requestMethod === 'OPTIONS') {
					name += '-preflight';
				} else {
					all.push(req);
				}
				out[name] = {
					'curl-bash': await V.generateCurlCommand(req, 'unix'),
					'curl-cmd': await V.generateCurlCommand(req, 'win'),
					'fetch': await fetchCall(req, 0),
					'fetch-node': await fetchCall(req, 1),
				};
			}
			// "Copy all as ...", of the requests in the order made.
			if (all.length === %d) {
				const inst = Object.create(V.prototype);
				out['all'] = {
					'curl-bash': await V.prototype.generateAllCurlCommand.call(inst, all, 'unix'),
					'curl-cmd': await V.prototype.generateAllCurlCommand.call(inst, all, 'win'),
					'fetch': await V.prototype.generateAllFetchCall.call(inst, all, 0),
					'fetch-node': await V.prototype.generateAllFetchCall.call(inst, all, 1),
				};
			}
			return JSON.stringify(out);
		})()`, api.URL, len(copyRequests)), &raw, await))
		if err != nil {
			t.Fatalf("calling the frontend's copy functions: %v", err)
		}
		if err := json.Unmarshal([]byte(raw), &copies); err != nil {
			t.Fatal(err)
		}
		if len(copies) == len(copyNames()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the frontend recorded %d of the %d requests: %s", len(copies), len(copyRequests), raw)
		}
		time.Sleep(200 * time.Millisecond)
	}

	dir := filepath.Join("..", "internal", "devtools", "testdata", "copies")
	update := os.Getenv("CROSSGATE_UPDATE_COPIES") == "1"
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The ports change from run to run: the saved copies have the API's
	// as 9001 and the page's as 9000.
	apiPort := api.URL[strings.LastIndexByte(api.URL, ':')+1:]
	pagePort := page.URL[strings.LastIndexByte(page.URL, ':')+1:]
	norm := strings.NewReplacer("127.0.0.1:"+apiPort, "127.0.0.1:9001", "127.0.0.1:"+pagePort, "127.0.0.1:9000")
	for _, name := range copyNames() {
		for _, f := range copyFormats {
			got, ok := copies[name][f]
			if !ok || got == "" {
				t.Errorf("%s: no %s copy", name, f)
				continue
			}
			got = norm.Replace(got)
			file := filepath.Join(dir, name+"."+f+".txt")
			if update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			saved, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("%v (run with CROSSGATE_UPDATE_COPIES=1 to write it)", err)
				continue
			}
			if withoutVersion(string(saved)) != withoutVersion(got) {
				t.Errorf("%s: this Chromium's DevTools copies it differently from the saved copy:\n%s\nsaved:\n%s", file, got, saved)
			}
		}
	}
}

// withoutVersion drops the lines that name the browser's version
// (User-Agent, the sec-ch-ua client hints): a Chromium update changes them
// and nothing else, and the parsers' tests run on the saved copies anyway.
// Each header of a copy is on a line of its own in every format.
func withoutVersion(copy string) string {
	var b strings.Builder
	for line := range strings.Lines(copy) {
		l := strings.ToLower(line)
		if strings.Contains(l, "user-agent") || strings.Contains(l, "sec-ch-ua:") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}
