package devtools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/devtools"
)

// addCorpus seeds f with every file of testdata/dir, and extra.
func addCorpus(f *testing.F, dir string, extra ...string) {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus in testdata/%s: %v", dir, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range extra {
		f.Add(s)
	}
}

// A copied request is whatever the user pastes: reading it never
// panics, and a request read has a URL and holds no more than was given.
func FuzzParseCurl(f *testing.F) {
	addCorpus(f, "curl", "curl `id` http://a", "curl $(id) 'http://a'", `curl "$HOME"`, "curl ~/x",
		`curl ^"http://a/^" -H ^"a: %^PATH%^"`, "curl http://a -d @file", "curl http://a $'\\x41\\u00e9'")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 {
			return
		}
		c, err := devtools.ParseCurl(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if c.URL == "" {
			t.Fatalf("%q: read with no URL", s)
		}
		if _, err := c.Script(); err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
	})
}

func FuzzParseFetch(f *testing.F) {
	addCorpus(f, "fetch", "fetch(`http://a`)", `fetch("http://a", {[k]: 1})`, `fetch("http://a", {get headers() {return {}}})`,
		`fetch("http://a", {headers: {"a": "\u{1F600}\uD83D\uDE00"}})`, `await fetch('http://a', {body: void 0,})`)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 {
			return
		}
		c, err := devtools.ParseFetch(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if len(c.Body) > len(s) {
			t.Fatalf("%q: a body longer than the input", s)
		}
		if _, err := c.Script(); err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
	})
}

// FuzzReadHAR reads HARs grown from the recorded ones.
//
//	go test ./internal/devtools -fuzz FuzzReadHAR -fuzzminimizetime 0x
//
// Without -fuzzminimizetime 0x, minimising the first interesting input (a
// mutation of a 21 KB HAR) takes the whole run, reported as 0 execs/s.
func FuzzReadHAR(f *testing.F) {
	addCorpus(f, "har", `{"log":{"entries":[]}}`, `{"log":{"entries":[{"request":{"method":"OPTIONS","url":"http://a/","headers":[{"name":"Origin","value":"http://b"},{"name":"Access-Control-Request-Method","value":"GET"}]}}]}}`,
		`{"log":{"entries":[{"_resourceType":"fetch","request":{"method":"GET","url":"http://a/","headers":[{"name":"Referer","value":"http://b/p"}]},"response":{"status":0,"_error":"net::ERR_FAILED"}}]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<20 {
			return
		}
		h, err := devtools.ParseHAR([]byte(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "reading the HAR") {
				t.Fatalf("error %q does not say what it was reading", err)
			}
			return
		}
		pairs := h.PairPreflights()
		seen := map[int]bool{}
		for i, p := range pairs {
			if p < 0 || p >= len(h.Log.Entries) || !h.Log.Entries[p].IsPreflight() || seen[p] || !h.Log.Entries[i].IsCrossOrigin() {
				t.Fatalf("entry %d paired with %d", i, p)
			}
			seen[p] = true
		}
		for i := range h.Log.Entries {
			e := &h.Log.Entries[i]
			if e.IsCrossOrigin() {
				if _, err := e.Copied().Script(); err != nil && err.Error() == "" {
					t.Fatal("an error without a message")
				}
			}
		}
	})
}
