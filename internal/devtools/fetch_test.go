package devtools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/devtools"
)

// The corpus (testdata/fetch) holds "Copy as fetch" from Chromium (and
// its Node.js flavour) and Firefox, and a call as a person writes it.
func TestParseFetch_corpus(t *testing.T) {
	t.Parallel()
	order := want{url: "https://api.example.com/v1/orders?filter[status]=open", method: "POST", body: `{"item":"book","qty":2}`,
		header: map[string]string{"content-type": "application/json", "x-request-id": "42", "accept": "application/json", "referer": "https://app.example.com/"}}
	with := func(w want, f func(*want)) want {
		w.header = maps(w.header)
		f(&w)
		return w
	}
	cases := map[string]struct {
		w                 want
		mode, credentials string
	}{
		"chromium-fetch.txt": {with(order, func(w *want) { w.format, w.headerCount = "fetch", 12 }), "cors", "include"},
		"chromium-fetch-node.txt": {with(order, func(w *want) {
			w.format, w.headerCount, w.cookie = "fetch-node", 8, "session=abc123; theme=dark"
		}), "", ""},
		"firefox-fetch.txt": {with(order, func(w *want) { w.format, w.headerCount = "fetch", 10 }), "cors", "include"},
		"handwritten.txt": {want{format: "fetch", url: "https://api.example.com/v1/notes", method: "PUT", body: "line one\nline two", headerCount: 2,
			header: map[string]string{"x-note": "it's café 😀", "content-type": "text/plain"}}, "cors", "omit"},
	}
	for file, tc := range cases {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(filepath.Join("testdata", "fetch", file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := devtools.ParseFetch(string(src))
			if err != nil {
				t.Fatalf("ParseFetch: %v", err)
			}
			check(t, c, tc.w)
			if c.Mode != tc.mode || c.Credentials != tc.credentials {
				t.Errorf("got mode %q credentials %q; want %q %q", c.Mode, c.Credentials, tc.mode, tc.credentials)
			}
		})
	}
}

// Nothing is evaluated: identifiers, calls and template strings are
// refused with their name.
func TestParseFetch_errors(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"", "not a fetch() call"},
		{"axios.get('x')", "not a fetch() call"},
		{"fetch(url)", `"url" is not a literal`},
		{"fetch('https://a.example/', {headers})", "shorthand properties"},
		{"fetch('https://a.example/', {body: JSON.stringify({a: 1})})", `"JSON" is not a literal`},
		{"fetch(`https://a.example/${id}`)", "template string"},
		{"fetch('https://a.example/', {method: 'PUT'}", `want ")"`},
		{"fetch('https://a.example/)", "not closed"},
		{"fetch('https://a.example/', {mode: 'navigate'})", "navigate"},
		{"fetch('https://a.example/', {credentials: 'yes'})", `init.credentials "yes"`},
		{"fetch('https://a.example/', {body: 42})", "init.body is not a string"},
		{"fetch('https://a.example/'); alert(1)", "unexpected text"},
		{"fetch('https://a.example/', " + strings.Repeat("[", 100) + ")", "nested too deep"},
	}
	for _, tc := range cases {
		_, err := devtools.ParseFetch(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFetch(%q): got %v; want an error containing %q", tc.in, err, tc.want)
		}
	}
}
