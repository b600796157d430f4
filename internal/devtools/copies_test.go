package devtools_test

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/devtools"
)

// copiedRequest is one request of testdata/copies as it would be given to
// crossgate check with flags (--method, --url, --origin, --header,
// --body, --credentials): what the page's script asked for.
type copiedRequest struct {
	method, url, body string
	header            [][2]string // the script's own headers
	cookie            string
	credentials       fetch.Credentials
}

const (
	copyAPI    = "http://127.0.0.1:9001"
	copyOrigin = "http://127.0.0.1:9000"
)

// The requests e2e's TestChromium_devtoolsCopies makes (copyRequests
// there) and has Chromium 156's own DevTools frontend copy in four
// formats; the copies are in testdata/copies/NAME.FORMAT.txt.
var copiedRequests = map[string]copiedRequest{
	"put-json": {method: "PUT", url: copyAPI + "/copy/put-json?x=1&y=[2]", body: `{"item":"book","qty":2}`,
		header: [][2]string{{"Content-Type", "application/json"}, {"X-Request-Id", "42"}}, credentials: fetch.SameOrigin},
	"post-quotes": {method: "POST", url: copyAPI + "/copy/post-quotes",
		body:   "line one\nline two: don't stop! \"q\" café 😀 $HOME `id` \\ %PATH% ^ &",
		header: [][2]string{{"Content-Type", "text/plain;charset=UTF-8"}, {"X-Note", `it's "quoted"`}}, credentials: fetch.SameOrigin},
	"get-cookies": {method: "GET", url: copyAPI + "/copy/get-cookies", cookie: `sid=abc123; theme="dark mode"`, credentials: fetch.Include},
	"form-post": {method: "POST", url: copyAPI + "/copy/form-post", body: "name=A+B&note=x%26y%3Dz",
		header: [][2]string{{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"}}, credentials: fetch.SameOrigin},
}

// TestCopies_corpus parses every real copy and requires it to read as
// the request given with flags, with the departures each format has:
// every copy holds the browser's Accept and Accept-Language; "Copy as
// fetch" writes credentials "omit" for a request that sent no cookie
// (fetch()'s default, same-origin, is not recorded); "Copy as fetch
// (Node.js)" has no credentials member, so they are inferred from its
// cookie header; the cmd flavour writes each non-ASCII UTF-16 unit as a
// space (DevTools' escapeStringWin), so the body read has spaces there.
func TestCopies_corpus(t *testing.T) {
	t.Parallel()
	formats := []string{"curl-bash", "curl-cmd", "fetch", "fetch-node"}
	cases := maps(nil)
	for name := range copiedRequests {
		cases[name] = name
	}
	// "Copy all as ...": the first request is read.
	cases["all"] = "put-json"
	for file, name := range cases {
		req := copiedRequests[name]
		for _, format := range formats {
			t.Run(file+"."+format, func(t *testing.T) {
				t.Parallel()
				src, err := os.ReadFile(filepath.Join("testdata", "copies", file+"."+format+".txt"))
				if err != nil {
					t.Fatal(err)
				}
				var c *devtools.Copied
				if strings.HasPrefix(format, "curl") {
					c, err = devtools.ParseCurl(string(src))
				} else {
					c, err = devtools.ParseFetch(string(src))
				}
				if err != nil {
					t.Fatalf("parsing: %v", err)
				}
				if c.Format != format {
					t.Errorf("format %q; want %q", c.Format, format)
				}
				s, err := c.Script()
				if err != nil {
					t.Fatalf("Script: %v", err)
				}
				want := fetch.Request{Method: req.method, URL: req.url, Origin: copyOrigin, Header: http.Header{},
					Credentials: req.credentials}
				want.Header.Set("Accept", "*/*")
				want.Header.Set("Accept-Language", "en-US,en;q=0.9")
				for _, h := range req.header {
					want.Header.Add(h[0], h[1])
				}
				if req.body != "" {
					want.Body = []byte(req.body)
					if format == "curl-cmd" {
						want.Body = []byte(strings.NewReplacer("é", " ", "😀", "  ").Replace(req.body))
					}
				}
				wantInferred := true
				if format == "fetch" {
					want.Mode = fetch.CORS
					wantInferred = false
					if req.credentials == fetch.SameOrigin {
						want.Credentials = fetch.Omit
					}
				}
				got := s.Request
				if got.Mode == "" {
					got.Mode = want.Mode
				}
				if got.Credentials == "" {
					got.Credentials = fetch.SameOrigin // fetch()'s default
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("read as\n  %+v\nwant\n  %+v", got, want)
				}
				if format != "fetch" && s.Cookie != req.cookie {
					t.Errorf("cookie %q; want %q", s.Cookie, req.cookie)
				}
				if s.CredentialsInferred != wantInferred {
					t.Errorf("credentials inferred %t; want %t (notes %q)", s.CredentialsInferred, wantInferred, s.Notes)
				}
			})
		}
	}
}

// A real copy of a preflight reads as the request it was sent for: the
// method of Access-Control-Request-Method and the headers it names.
func TestCopies_preflight(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		method  string
		headers []string
	}{
		"put-json-preflight":    {"PUT", []string{"Content-Type", "X-Request-Id"}},
		"post-quotes-preflight": {"POST", []string{"X-Note"}},
	}
	for name, w := range cases {
		for _, format := range []string{"curl-bash", "curl-cmd"} {
			src, err := os.ReadFile(filepath.Join("testdata", "copies", name+"."+format+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := devtools.ParseCurl(string(src))
			if err != nil {
				t.Fatalf("%s.%s: %v", name, format, err)
			}
			s, err := c.Script()
			if err != nil {
				t.Fatalf("%s.%s: %v", name, format, err)
			}
			if s.Request.Method != w.method || s.Request.Origin != copyOrigin {
				t.Errorf("%s.%s: method %q origin %q; want %q %q", name, format, s.Request.Method, s.Request.Origin, w.method, copyOrigin)
			}
			for _, h := range w.headers {
				if s.Request.Header.Get(h) == "" {
					t.Errorf("%s.%s: no %s header in %v", name, format, h, s.Request.Header)
				}
			}
		}
	}
}
