package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// revalidation is one request of the cors/304.htm sequence: what the
// server's 304 carries, and what the WPT test asserts of it.
type revalidation struct {
	desc   string
	header http.Header // the 304's fields, beyond A and B
}

const etag = `"r304"`

// TestChromium_revalidation304 transcribes WPT cors/304.htm (with
// resources/304.py) for fetch(): the page requests one URL again and
// again, each time with Content-Language: n (safelisted, so no
// preflight). The first answer is a 200 with ACAO *, an ETag and
// Cache-Control: no-cache, so that Chromium stores it and revalidates it
// every time (304.py's "private, max-age=3600" lets Chromium 156 use the
// stored response without asking, and the server never sees requests 2
// and later). Each 304 carries A: n and B: n, and, by n, no CORS header
// (the stored ones apply), an ACEH that widens or narrows what the page
// reads, or an invalid ACAO that fails the CORS check. The model predicts
// each verdict and the readable headers from the stored response updated
// by the 304 ([fetch.Revalidated]).
func TestChromium_revalidation304(t *testing.T) {
	h := browser(t)
	h.navigate(t, h.origin)
	const nonce = "r304"
	seq := []revalidation{
		{desc: "304.htm: a 304 with no CORS headers inherits from the stored response"},
		{desc: "304.htm: a 304 can expand Access-Control-Expose-Headers", header: scenarios.H("Access-Control-Expose-Headers", "a, b")},
		{desc: "304.htm: a 304 can contract Access-Control-Expose-Headers", header: scenarios.H("Access-Control-Expose-Headers", "a")},
		{desc: "304.py case 4: a 304 with an invalid ACAO fails the CORS check", header: scenarios.H("Access-Control-Allow-Origin", "other.origin.example")},
	}
	stored := http.Header{
		"Access-Control-Allow-Origin": {"*"}, "Content-Type": {"text/plain"}, "Cache-Control": {"no-cache"},
		"Etag": {etag}, "A": {"1"}, "B": {"1"}, "Content-Length": {"7"},
	}
	var (
		mu          sync.Mutex
		conditional []bool // per request: whether it carried If-None-Match: etag
	)
	h.target.handle(nonce, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.Header.Get("Content-Language"))
		cond := r.Header.Get("If-None-Match") == etag
		mu.Lock()
		conditional = append(conditional, cond)
		mu.Unlock()
		switch {
		case err != nil || n < 1 || n > len(seq)+1:
			http.Error(w, "bad request number", 400)
		case n == 1 || !cond:
			for k, v := range stored {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.Write([]byte("Success"))
		default:
			for k, v := range seq[n-2].header {
				w.Header()[k] = v
			}
			w.Header().Set("A", strconv.Itoa(n))
			w.Header().Set("B", strconv.Itoa(n))
			w.WriteHeader(http.StatusNotModified)
		}
	}))
	url := h.target.env(h.origin, nonce).Target
	for n := 1; n <= len(seq)+1; n++ {
		req := fetch.Request{URL: url, Origin: h.origin, Header: scenarios.H("Content-Language", strconv.Itoa(n))}
		desc := "the first request stores the response"
		if n > 1 {
			desc = seq[n-2].desc
		}
		t.Run(fmt.Sprintf("%d %s", n, desc), func(t *testing.T) {
			got := h.run(t, specFor(req), nonce)
			mu.Lock()
			seen := slices.Clone(conditional)
			mu.Unlock()
			if len(seen) != n {
				t.Fatalf("the server saw %d requests after request %d; want %d (Chromium must revalidate each time)", len(seen), n, n)
			}
			if seen[n-1] != (n > 1) {
				t.Fatalf("request %d: got If-None-Match %t; want %t", n, seen[n-1], n > 1)
			}
			// The model: the CORS check and the filtering run on the stored
			// response as the 304 updates it.
			if n > 1 {
				nm := seq[n-2].header.Clone()
				if nm == nil {
					nm = http.Header{}
				}
				nm.Set("A", strconv.Itoa(n))
				nm.Set("B", strconv.Itoa(n))
				stored = fetch.Revalidated(stored, nm)
			}
			p, err := fetch.Chromium.Classify(req)
			if err != nil {
				t.Fatal(err)
			}
			if p.NeedsPreflight() {
				t.Fatal("the model wants a preflight; the sequence must have none")
			}
			f := fetch.Chromium.CheckResponse(p, fetch.Response{Status: 200, Header: stored})
			if got.JS.OK != (f == nil) {
				t.Errorf("got allowed %t; the model says %t (console %q)", got.JS.OK, f == nil, got.Console)
			}
			if f != nil {
				if got.CorsError != string(f.ID) || got.Console != f.ConsoleMessage() {
					t.Errorf("got error %q, console\n\t%q\nthe model: %q,\n\t%q", got.CorsError, got.Console, f.ID, f.ConsoleMessage())
				}
				return
			}
			want := fetch.ReadableHeaders(stored, fetch.Cors, fetch.SameOrigin)
			if bh := slices.Compact(slices.Sorted(slices.Values(got.JS.Headers))); !slices.Equal(bh, want) {
				t.Errorf("got readable headers %q; the model says %q", bh, want)
			}
			if got.JS.Status != 200 {
				t.Errorf("got status %d; want the stored 200", got.JS.Status)
			}
		})
	}
}
