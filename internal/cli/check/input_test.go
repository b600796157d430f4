package check_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/cli"
)

func readCorpus(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "devtools", "testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Each copy from the corpus reads as the same request given with flags:
// the script's headers only (the browser's own left out), the page's
// origin from Origin, credentials include inferred from the cookies.
func TestNewCmdCheck_curlIsFlags(t *testing.T) {
	t.Parallel()
	order := []string{"https://api.example.com/v1/orders?filter[status]=open", "--origin", "https://app.example.com", "--method", "POST",
		"-H", "Accept: application/json", "-H", "Content-Type: application/json", "-H", "X-Request-Id: 42", "--credentials", "include"}
	cases := []struct {
		file  string
		flags []string
		body  string
	}{
		{"chromium-bash-post.txt", append(order, "-H", "Accept-Language: en-US,en;q=0.9"), `{"item":"book","qty":2}`},
		{"firefox-bash-post.txt", append(order, "-H", "Accept-Language: en-US,en;q=0.5"), `{"item":"book","qty":2}`},
		{"firefox-cmd-post.txt", order, `{"item":"book","qty":2}`},
		{"chromium-bash-ansi.txt", []string{"https://api.example.com/v1/notes", "--origin", "http://localhost:3000", "--method", "PUT",
			"-H", "Accept: */*", "-H", "Content-Type: text/plain;charset=UTF-8", "-H", "X-Note: it's café"}, "line one\nline two: don't stop!"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			fromCurl, err := execute(t, []string{"--curl", readCorpus(t, "curl", tc.file)})
			if err != nil {
				t.Fatal(err)
			}
			fromFlags, err := execute(t, tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			want := fromFlags.Request
			want.Body = []byte(tc.body)
			if !reflect.DeepEqual(fromCurl.Request, want) {
				t.Errorf("--curl gives\n%+v\nflags give\n%+v", fromCurl.Request, want)
			}
		})
	}
}

// Flags beside --curl win over what the copy says.
func TestNewCmdCheck_curlFlagsWin(t *testing.T) {
	t.Parallel()
	got, err := execute(t, []string{"--curl", readCorpus(t, "curl", "chromium-bash-post.txt"),
		"--credentials", "omit", "--origin", "https://other.example", "-H", "X-Request-Id: 7", "--method", "PATCH", "https://api.example.com/v2"})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Request
	if r.Credentials != fetch.Omit || r.Origin != "https://other.example" || r.Method != "PATCH" || r.URL != "https://api.example.com/v2" ||
		!reflect.DeepEqual(r.Header["X-Request-Id"], []string{"7"}) {
		t.Errorf("got %+v; want the flags' credentials, origin, method, URL and X-Request-Id", r)
	}
	for _, n := range got.Input.Notes {
		if strings.HasPrefix(n, "credentials ") {
			t.Errorf("note %q stays though --credentials was given", n)
		}
	}
}

func TestNewCmdCheck_curlErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--curl", "curl https://a.example/$(id)"}, "--curl: the cURL command uses a command substitution"},
		{[]string{"--curl", "curl https://a.example/"}, "no Origin header"},
		{[]string{"--curl", "curl https://a.example/ -H 'Sec-Fetch-Mode: navigate' -H 'Origin: https://b.example'"}, "navigation"},
		{[]string{"--curl", "curl https://a.example/", "--fetch", "fetch('https://a.example/')"}, "give one copied request"},
		{[]string{"--curl", "curl https://a.example/", "x", "y"}, "too many arguments"},
	}
	for _, tc := range cases {
		_, err := execute(t, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v; want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// --curl - reads standard input; the copy's cookies go to the server,
// and the output says credentials include was inferred.
func TestRun_curlStdin(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var cookies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookies = append(cookies, r.Method+" "+r.Header.Get("Cookie"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example.com")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Access-Control-Allow-Headers", "content-type, x-request-id")
	}))
	defer srv.Close()
	src := strings.ReplaceAll(readCorpus(t, "curl", "chromium-bash-post.txt"), "https://api.example.com", srv.URL)
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"check", "--curl", "-"}, strings.NewReader(src), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("got exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"input:     a request copied as cURL (bash)", "credentials include: inferred from the cookies",
		"left out as the browser's own, not the script's: origin, priority, referer, sec-ch-ua, sec-ch-ua-mobile, sec-ch-ua-platform, sec-fetch-dest, sec-fetch-mode, sec-fetch-site, user-agent",
		"> Cookie: session=abc123; theme=dark", "allowed: the page reads the response"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"OPTIONS ", "POST session=abc123; theme=dark"}; !reflect.DeepEqual(cookies, want) {
		t.Errorf("server saw %q; want %q (no cookie on the preflight)", cookies, want)
	}
}

// Each "Copy as fetch" from the corpus reads as the same request given
// with flags; the origin comes from the referrer, and the Node.js
// flavour's cookie makes credentials include.
func TestNewCmdCheck_fetchIsFlags(t *testing.T) {
	t.Parallel()
	order := []string{"https://api.example.com/v1/orders?filter[status]=open", "--origin", "https://app.example.com", "--method", "POST",
		"-H", "Accept: application/json", "-H", "Content-Type: application/json", "-H", "X-Request-Id: 42", "--credentials", "include"}
	cases := []struct {
		file  string
		flags []string
		body  string
	}{
		{"chromium-fetch.txt", append(order, "-H", "Accept-Language: en-US,en;q=0.9"), `{"item":"book","qty":2}`},
		{"chromium-fetch-node.txt", append(order, "-H", "Accept-Language: en-US,en;q=0.9"), `{"item":"book","qty":2}`},
		{"firefox-fetch.txt", append(order, "-H", "Accept-Language: en-US,en;q=0.5"), `{"item":"book","qty":2}`},
		{"handwritten.txt", []string{"https://api.example.com/v1/notes", "--origin", "https://app.example.com", "--method", "PUT",
			"-H", "Content-Type: text/plain", "-H", "X-Note: it's café 😀", "--credentials", "omit"}, "line one\nline two"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			args := []string{"--fetch", readCorpus(t, "fetch", tc.file)}
			if tc.file == "handwritten.txt" {
				args = append(args, "--origin", "https://app.example.com")
			}
			fromFetch, err := execute(t, args)
			if err != nil {
				t.Fatal(err)
			}
			fromFlags, err := execute(t, tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			want := fromFlags.Request
			want.Body = []byte(tc.body)
			if !reflect.DeepEqual(fromFetch.Request, want) {
				t.Errorf("--fetch gives\n%+v\nflags give\n%+v", fromFetch.Request, want)
			}
		})
	}
}

// A copied preflight is checked as the request it was sent for; a copy
// in mode no-cors keeps its mode; Disable cache's headers are the
// browser's.
func TestNewCmdCheck_curlSpecialCopies(t *testing.T) {
	t.Parallel()
	got, err := execute(t, []string{"--curl", `curl 'https://api.example.com/v1/x' -X 'OPTIONS' -H 'accept: */*' ` +
		`-H 'access-control-request-headers: content-type,x-token' -H 'access-control-request-method: PUT' -H 'origin: https://app.example.com' -H 'sec-fetch-mode: cors'`})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Request
	if r.Method != "PUT" || r.Header.Get("X-Token") == "" || r.Header.Get("Content-Type") != "application/json" || r.Origin != "https://app.example.com" {
		t.Errorf("copied preflight: got %+v; want the PUT with content-type and x-token", r)
	}
	got, err = execute(t, []string{"--curl", `curl 'https://cdn.example.net/a.js' -H 'Origin: https://app.example.com' -H 'Sec-Fetch-Mode: no-cors' -H 'Pragma: no-cache' -H 'Cache-Control: no-cache'`})
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.Mode != fetch.NoCORS || len(got.Request.Header) != 0 {
		t.Errorf("no-cors copy: got mode %q headers %v; want no-cors and no script header", got.Request.Mode, got.Request.Header)
	}
	if notes := strings.Join(got.Input.Notes, "\n"); !strings.Contains(notes, "Disable cache") {
		t.Errorf("notes %q do not explain Pragma and Cache-Control", notes)
	}
}
