package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/crossgate/crossgate/internal/cli"
	"github.com/crossgate/crossgate/internal/devtools"
)

// harRecorder builds a HAR from the DevTools protocol's Network events, as
// DevTools' own HAR writer does from the same events: the request as sent
// (requestWillBeSentExtraInfo's headers, which hold Cookie), the response
// as received (responseReceivedExtraInfo's, which arrive for a response
// CORS then blocks), and the failure (loadingFailed).
type harRecorder struct {
	mu      sync.Mutex
	order   []network.RequestID
	entries map[network.RequestID]*recorded
}

type recorded struct {
	entry     devtools.HAREntry
	corsError string // loadingFailed's CorsErrorStatus, if any
	done      bool
}

func (r *harRecorder) get(id network.RequestID) *recorded {
	if r.entries == nil {
		r.entries = map[network.RequestID]*recorded{}
	}
	e := r.entries[id]
	if e == nil {
		e = &recorded{}
		r.entries[id] = e
		r.order = append(r.order, id)
	}
	return e
}

func harHeaders(h network.Headers) []devtools.HARHeader {
	var out []devtools.HARHeader
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		v, _ := h[name].(string)
		// Repeated headers arrive joined by newlines.
		for _, line := range strings.Split(v, "\n") {
			out = append(out, devtools.HARHeader{Name: name, Value: line})
		}
	}
	return out
}

func (r *harRecorder) onEvent(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if !strings.Contains(ev.Request.URL, "/har") {
			return
		}
		if ev.RedirectResponse != nil {
			// The same request id goes on after a redirect: the hop so
			// far becomes an entry of its own, as in DevTools' HAR.
			if prev, ok := r.entries[ev.RequestID]; ok {
				prev.entry.Response.Status = int(ev.RedirectResponse.Status)
				if len(prev.entry.Response.Headers) == 0 {
					prev.entry.Response.Headers = harHeaders(ev.RedirectResponse.Headers)
				}
				prev.done = true
				hop := network.RequestID(fmt.Sprintf("%s-hop%d", ev.RequestID, len(r.order)))
				r.entries[hop] = prev
				r.order[slices.Index(r.order, ev.RequestID)] = hop
				delete(r.entries, ev.RequestID)
			}
		}
		e := r.get(ev.RequestID)
		e.entry.Request.Method = ev.Request.Method
		e.entry.Request.URL = ev.Request.URL + ev.Request.URLFragment
		if len(e.entry.Request.Headers) == 0 {
			e.entry.Request.Headers = harHeaders(ev.Request.Headers)
		}
		if ev.WallTime != nil {
			e.entry.StartedDateTime = ev.WallTime.Time().UTC()
		}
		e.entry.ResourceType = strings.ToLower(string(ev.Type))
		if ev.Request.HasPostData {
			var text strings.Builder
			for _, p := range ev.Request.PostDataEntries {
				text.WriteString(p.Bytes) // base64 in the protocol; decoded below
			}
			e.entry.Request.PostData = &struct {
				MimeType string `json:"mimeType"`
				Text     string `json:"text"`
			}{Text: decodeBase64(text.String())}
		}
	case *network.EventRequestWillBeSentExtraInfo:
		// It may come before the request's own event: keep it under the
		// id (an entry without a URL is not one of the test's).
		r.get(ev.RequestID).entry.Request.Headers = harHeaders(ev.Headers)
	case *network.EventResponseReceived:
		if e, ok := r.entries[ev.RequestID]; ok {
			e.entry.Response.Status = int(ev.Response.Status)
			if len(e.entry.Response.Headers) == 0 {
				e.entry.Response.Headers = harHeaders(ev.Response.Headers)
			}
		}
	case *network.EventResponseReceivedExtraInfo:
		e := r.get(ev.RequestID)
		e.entry.Response.Status = int(ev.StatusCode)
		e.entry.Response.Headers = harHeaders(ev.Headers)
	case *network.EventLoadingFinished:
		if e, ok := r.entries[ev.RequestID]; ok {
			e.done = true
		}
	case *network.EventLoadingFailed:
		if e, ok := r.entries[ev.RequestID]; ok {
			e.done = true
			e.entry.Response.Error = ev.ErrorText
			if ev.CorsErrorStatus != nil {
				e.corsError = string(ev.CorsErrorStatus.CorsError)
			}
		}
	}
}

// har returns the HAR of the requests recorded so far, and each entry's
// CORS error as Chromium reported it.
func (r *harRecorder) har() ([]byte, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var h devtools.HAR
	h.Log.Creator.Name, h.Log.Creator.Version = "crossgate e2e (Chromium DevTools protocol)", "1"
	var cors []string
	for _, id := range r.order {
		e := r.entries[id]
		if e.entry.Request.URL == "" {
			continue
		}
		if e.entry.Request.Headers == nil {
			e.entry.Request.Headers = []devtools.HARHeader{}
		}
		if e.entry.Response.Headers == nil {
			e.entry.Response.Headers = []devtools.HARHeader{}
		}
		h.Log.Entries = append(h.Log.Entries, e.entry)
		cors = append(cors, e.corsError)
	}
	b, _ := json.MarshalIndent(h, "", "  ")
	return b, cors
}

func decodeBase64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return s
	}
	return string(b)
}

// TestChromium_har records a HAR from Chromium (allowed, blocked on the
// response, blocked on the preflight, blocked for credentials, a preflight
// that passes) and requires crossgate check --har to give, offline, the
// verdict and DevTools error Chromium gave each request.
func TestChromium_har(t *testing.T) {
	h := browser(t)
	h.navigate(t, h.origin)
	const nonce = "har"
	h.target.handle(nonce, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		switch {
		case strings.HasSuffix(r.URL.Path, "/open"):
			w.Header().Set("Access-Control-Allow-Origin", "*")
		case strings.HasSuffix(r.URL.Path, "/closed"):
		case strings.HasSuffix(r.URL.Path, "/put"):
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Allow-Headers", "content-type")
			w.Header().Set("Access-Control-Max-Age", "0")
		case strings.HasSuffix(r.URL.Path, "/token"):
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Headers", "x-other")
		case strings.HasSuffix(r.URL.Path, "/redirect"):
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Location", "open?from=redirect")
			w.WriteHeader(http.StatusFound)
			return
		case strings.HasSuffix(r.URL.Path, "/cred"):
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Set-Cookie", "sid=1; SameSite=None; Secure")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	rec := &harRecorder{}
	ctx, cancel := context.WithTimeout(h.tab, 30*time.Second)
	defer cancel()
	// On ctx, not the shared tab: chromedp drops a listener once its
	// context is done, so this one stops with the test.
	chromedp.ListenTarget(ctx, rec.onEvent)
	// Left on, as the rest of the suite (context_test) leaves it: the
	// harness reads CORS errors from the Network events too.
	if err := chromedp.Run(ctx, network.Enable()); err != nil {
		t.Fatal(err)
	}
	base := h.target.env(h.origin, nonce).Target[:strings.LastIndex(h.target.env(h.origin, nonce).Target, "/")]
	body := `{"a":1}`
	specs := []jsSpec{
		{URL: base + "/open", Method: "GET", Credentials: "same-origin", Mode: "cors", Headers: [][2]string{}},
		{URL: base + "/closed", Method: "GET", Credentials: "same-origin", Mode: "cors", Headers: [][2]string{}},
		{URL: base + "/put", Method: "PUT", Credentials: "same-origin", Mode: "cors", Headers: [][2]string{{"Content-Type", "application/json"}}, Body: &body},
		{URL: base + "/token", Method: "GET", Credentials: "same-origin", Mode: "cors", Headers: [][2]string{{"X-Token", "1"}}},
		{URL: base + "/cred", Method: "GET", Credentials: "include", Mode: "cors", Headers: [][2]string{}},
		{URL: base + "/redirect", Method: "GET", Credentials: "same-origin", Mode: "cors", Headers: [][2]string{}},
		{XHR: true, URL: base + "/closed", Method: "GET", Credentials: "same-origin", Mode: "cors", Headers: [][2]string{}},
	}
	for _, s := range specs {
		h.run(t, s, nonce)
	}
	// Wait for every recorded request to end.
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec.mu.Lock()
		done := len(rec.order) > 0
		for _, e := range rec.entries {
			done = done && (e.done || e.entry.Request.URL == "")
		}
		rec.mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, corsErrors := rec.har()
	file := filepath.Join(t.TempDir(), "chromium.har")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("CROSSGATE_HAR_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "chromium-156.har"), b, 0o644)
	}
	var stdout, stderr bytes.Buffer
	cctx, ccancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer ccancel()
	code := cli.Main(cctx, []string{"check", "--har", file, "--json"}, strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Errorf("check --har: got exit %d; want 1 (some requests blocked)\n%s", code, stderr.String())
	}
	dec := json.NewDecoder(&stdout)
	judged := 0
	for {
		var r struct {
			Entry          int    `json:"entry"`
			PreflightEntry int    `json:"preflight_entry"`
			URL            string `json:"url"`
			Allowed        bool   `json:"allowed"`
			ChromiumError  string `json:"chromium_error"`
		}
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("check --har --json: %v", err)
		}
		judged++
		want := corsErrors[r.Entry]
		if r.ChromiumError != want || r.Allowed != (want == "") {
			t.Errorf("entry %d %s: check --har says allowed %t, %q; Chromium: %q", r.Entry, r.URL, r.Allowed, r.ChromiumError, want)
		}
		if strings.HasSuffix(r.URL, "/put") && r.PreflightEntry < 0 {
			t.Errorf("entry %d %s: no preflight paired; the HAR holds it", r.Entry, r.URL)
		}
	}
	if judged != len(specs)+1 { // the redirect is two entries
		t.Errorf("check --har judged %d requests; want %d\n%s", judged, len(specs)+1, b)
	}
}
