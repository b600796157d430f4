package devtools_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/devtools"
)

// want is what a copy must read as: the headers that matter to CORS, in
// the copy's own spelling.
type want struct {
	format, url, method, body, cookie string
	header                            map[string]string // lower-case name -> value
	headerCount                       int
}

// The corpus (testdata/curl) holds copies in the formats DevTools
// writes: Chromium's bash and cmd flavours, Firefox's, with a body, with
// cookies, with quotes, $'...' escapes, ^ escapes and a newline in a
// value. Each must read as the request that was sent.
func TestParseCurl_corpus(t *testing.T) {
	t.Parallel()
	order := want{url: "https://api.example.com/v1/orders?filter[status]=open", method: "POST",
		body: `{"item":"book","qty":2}`, cookie: "session=abc123; theme=dark",
		header: map[string]string{"origin": "https://app.example.com", "content-type": "application/json",
			"x-request-id": "42", "sec-fetch-mode": "cors", "accept": "application/json"}}
	with := func(w want, f func(*want)) want {
		w.header = maps(w.header)
		f(&w)
		return w
	}
	cases := map[string]want{
		"chromium-bash-post.txt": with(order, func(w *want) {
			w.format, w.headerCount = "curl-bash", 14
			w.header["sec-ch-ua"] = `"Chromium";v="156", "Not)A;Brand";v="24"`
			w.header["priority"] = "u=1, i"
		}),
		"firefox-bash-post.txt": with(order, func(w *want) {
			w.format, w.headerCount = "curl-bash", 17
			w.header["cookie"] = "session=abc123; theme=dark"
			w.header["pragma"] = "no-cache"
		}),
		"chromium-cmd-post.txt": with(order, func(w *want) {
			w.format, w.headerCount = "curl-cmd", 6
			w.url = "https://api.example.com/v1/orders?filter[status]=open&page=2"
			w.body = `{"item":"book 100% cotton","path":"C:\temp"}`
			w.header["sec-ch-ua"] = `"Chromium";v="156"`
		}),
		"firefox-cmd-post.txt": with(order, func(w *want) {
			w.format, w.headerCount = "curl-cmd", 7
		}),
		"chromium-bash-ansi.txt": {format: "curl-bash", url: "https://api.example.com/v1/notes", method: "PUT",
			body: "line one\nline two: don't stop!", headerCount: 5,
			header: map[string]string{"x-note": "it's café", "origin": "http://localhost:3000", "content-type": "text/plain;charset=UTF-8"}},
		"chromium-cmd-newline.txt": {format: "curl-cmd", url: "https://api.example.com/v1/notes", method: "PUT",
			body: "line one\nline two %PATH%", headerCount: 3,
			header: map[string]string{"origin": "http://localhost:3000", "content-type": "text/plain"}},
	}
	for file, w := range cases {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(filepath.Join("testdata", "curl", file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := devtools.ParseCurl(string(src))
			if err != nil {
				t.Fatalf("ParseCurl: %v", err)
			}
			check(t, c, w)
		})
	}
}

func maps(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func check(t *testing.T, c *devtools.Copied, w want) {
	t.Helper()
	if c.Format != w.format || c.URL != w.url || c.Method != w.method || string(c.Body) != w.body || c.Cookie != w.cookie {
		t.Errorf("got format %q url %q method %q body %q cookie %q\nwant format %q url %q method %q body %q cookie %q",
			c.Format, c.URL, c.Method, c.Body, c.Cookie, w.format, w.url, w.method, w.body, w.cookie)
	}
	if w.body != "" && !c.HasBody {
		t.Error("HasBody false; want true")
	}
	for name, v := range w.header {
		if got, ok := c.Get(name); !ok || got != v {
			t.Errorf("header %s: got %q (%t); want %q", name, got, ok, v)
		}
	}
	if len(c.Header) != w.headerCount {
		t.Errorf("got %d headers %v; want %d", len(c.Header), c.Header, w.headerCount)
	}
}

func TestParseCurl_options(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want devtools.Copied
	}{
		{`curl -XDELETE api.example/x -H'X-A: 1' -sSL`, devtools.Copied{Format: "curl-bash", URL: "http://api.example/x", Method: "DELETE",
			Header: []devtools.Field{{"X-A", "1"}}}},
		{`curl -I 'https://a.example/'`, devtools.Copied{Format: "curl-bash", URL: "https://a.example/", Method: "HEAD"}},
		{`curl -G -d a=1 -d b=2 'https://a.example/s?q=x'`, devtools.Copied{Format: "curl-bash", URL: "https://a.example/s?q=x&a=1&b=2"}},
		{`curl --url https://a.example/ -u me:pw --data-urlencode 'q=a b'`, devtools.Copied{Format: "curl-bash", URL: "https://a.example/", Method: "POST",
			Header: []devtools.Field{{"Authorization", "Basic bWU6cHc="}}, Body: []byte("q=a+b"), HasBody: true}},
		{"curl 'https://a.example/1' ;\ncurl 'https://a.example/2'", devtools.Copied{Format: "curl-bash", URL: "https://a.example/1"}},
		{"curl ^\"https://a.example/1^\" &\r\ncurl ^\"https://a.example/2^\"", devtools.Copied{Format: "curl-cmd", URL: "https://a.example/1"}},
		{`curl https://a.example/ -H 'X-Empty;'`, devtools.Copied{Format: "curl-bash", URL: "https://a.example/", Header: []devtools.Field{{"X-Empty", ""}}}},
	}
	for _, tc := range cases {
		c, err := devtools.ParseCurl(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		c.Notes = nil
		if !reflect.DeepEqual(*c, tc.want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tc.in, *c, tc.want)
		}
	}
}

// Nothing is evaluated: substitutions and variables are refused, and so
// are inputs that are not one curl command.
func TestParseCurl_errors(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"", "empty"},
		{"wget https://a.example/", "not a cURL command"},
		{"curl https://a.example/$(id)", "command substitution"},
		{"curl https://a.example/`id`", "command substitution"},
		{"curl https://a.example/$HOME", "shell variable $HOME"},
		{"curl 'https://a.example/", "reading the cURL command as bash"},
		{"curl -b cookies.txt https://a.example/", "reads cookies from a file"},
		{"curl -d @body.json https://a.example/", "reads the body from a file"},
		{"curl -H", "needs a value"},
		{"curl -H 'nocolon' https://a.example/", "want 'Name: value'"},
		{"curl --compressed", "no URL"},
		{"curl https://a.example/ https://b.example/", "second URL"},
		{`curl ^"https://a.example/`, "not closed"},
	}
	for _, tc := range cases {
		_, err := devtools.ParseCurl(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCurl(%q): got %v; want an error containing %q", tc.in, err, tc.want)
		}
	}
}
