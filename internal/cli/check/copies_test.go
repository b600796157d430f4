package check_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

// The real copies (internal/devtools/testdata/copies, written by Chromium
// 156's own DevTools frontend in e2e's TestChromium_devtoolsCopies):
// check --curl and --fetch of each must be the same request as check
// with flags, credentials included (include inferred from a Cookie;
// "omit" as "Copy as fetch" writes it when no cookie was sent).
func TestNewCmdCheck_realCopiesAreFlags(t *testing.T) {
	t.Parallel()
	const api, origin = "http://127.0.0.1:9001", "http://127.0.0.1:9000"
	common := []string{"--origin", origin, "-H", "Accept: */*", "-H", "Accept-Language: en-US,en;q=0.9"}
	requests := map[string]struct {
		flags []string
		body  string
	}{
		"put-json": {[]string{api + "/copy/put-json?x=1&y=[2]", "--method", "PUT", "-H", "Content-Type: application/json",
			"-H", "X-Request-Id: 42"}, `{"item":"book","qty":2}`},
		"post-quotes": {[]string{api + "/copy/post-quotes", "--method", "POST", "-H", "Content-Type: text/plain;charset=UTF-8",
			"-H", `X-Note: it's "quoted"`}, "line one\nline two: don't stop! \"q\" café 😀 $HOME `id` \\ %PATH% ^ &"},
		"get-cookies": {[]string{api + "/copy/get-cookies", "--credentials", "include"}, ""},
		"form-post": {[]string{api + "/copy/form-post", "--method", "POST",
			"-H", "Content-Type: application/x-www-form-urlencoded;charset=UTF-8"}, "name=A+B&note=x%26y%3Dz"},
	}
	// "Copy all as ...": the first request is read.
	requests["all"] = requests["put-json"]
	for name, req := range requests {
		for _, format := range []string{"curl-bash", "curl-cmd", "fetch", "fetch-node"} {
			t.Run(name+"."+format, func(t *testing.T) {
				t.Parallel()
				flag := "--curl"
				if strings.HasPrefix(format, "fetch") {
					flag = "--fetch"
				}
				fromCopy, err := execute(t, []string{flag, readCorpus(t, "copies", name+"."+format+".txt")})
				if err != nil {
					t.Fatal(err)
				}
				flags := append(append([]string{}, req.flags...), common...)
				if format == "fetch" && name != "get-cookies" {
					flags = append(flags, "--credentials", "omit")
				}
				fromFlags, err := execute(t, flags)
				if err != nil {
					t.Fatal(err)
				}
				want := fromFlags.Request
				if req.body != "" {
					want.Body = []byte(req.body)
					if format == "curl-cmd" {
						// DevTools' cmd flavour writes each non-ASCII
						// UTF-16 unit as a space.
						want.Body = []byte(strings.NewReplacer("é", " ", "😀", "  ").Replace(req.body))
					}
				}
				got := fromCopy.Request
				if got.Mode == "cors" && want.Mode == "" {
					got.Mode = ""
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s gives\n%+v\nflags give\n%+v", flag, got, want)
				}
			})
		}
	}
}

// The real copy's cookies go out byte for byte as Chromium sent them: a
// quoted value keeps its quotes (RFC 6265 section 4.1.1 makes the
// DQUOTEs part of cookie-value; Chromium stores and sends them).
func TestRun_realCopyCookiesAsSent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Cookie"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}))
	defer srv.Close()
	for _, format := range []string{"curl-bash", "curl-cmd", "fetch-node"} {
		flag := "--curl"
		if format == "fetch-node" {
			flag = "--fetch"
		}
		src := strings.ReplaceAll(readCorpus(t, "copies", "get-cookies."+format+".txt"), "http://127.0.0.1:9001", srv.URL)
		var stdout, stderr bytes.Buffer
		if code := cli.Main(context.Background(), []string{"check", flag, "-"}, strings.NewReader(src), &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", format, code, stdout.String(), stderr.String())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	const want = `sid=abc123; theme="dark mode"`
	if len(seen) != 3 {
		t.Fatalf("server saw %q; want 3 requests", seen)
	}
	for _, got := range seen {
		if got != want {
			t.Errorf("server saw Cookie %q; want %q, as Chromium sent it", got, want)
		}
	}
}
