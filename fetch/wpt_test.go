package fetch_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// Rows derived from web-platform-tests (web-platform-tests/wpt), written
// afresh for this package: each names the WPT file it comes from. WPT only
// asserts whether a fetch succeeds and whether a preflight went out; the
// error ids and console texts come from the matrix in scenario_test.go.

// funcTransport answers every request with f and counts preflights.
type funcTransport struct {
	f          func(r *http.Request) *resp
	preflights int
}

func (ft *funcTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodOptions {
		ft.preflights++
	}
	a := ft.f(r)
	return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// preflightPy models fetch/api/resources/preflight.py: origin= (split on
// ", " into repeated lines, default *), credentials, and for OPTIONS
// allow_methods=, allow_headers= and preflight_status=.
func preflightPy(r *http.Request) *resp {
	q := r.URL.Query()
	h := http.Header{}
	origins := []string{"*"}
	if q.Has("origin") {
		origins = strings.Split(q.Get("origin"), ", ")
	}
	for _, o := range origins {
		h.Add("Access-Control-Allow-Origin", o)
	}
	if q.Has("credentials") {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method != http.MethodOptions {
		return &resp{status: 200, header: h}
	}
	if r.Header.Get("Access-Control-Request-Method") == "" {
		return &resp{status: 400, header: h}
	}
	if q.Has("allow_methods") {
		h.Set("Access-Control-Allow-Methods", q.Get("allow_methods"))
	}
	if q.Has("allow_headers") {
		h.Set("Access-Control-Allow-Headers", q.Get("allow_headers"))
	}
	status := 200
	if s := q.Get("preflight_status"); s != "" {
		status = atoi(s)
	}
	return &resp{status: status, header: h}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

const wptRemote = "http://www1.web-platform.test:8000/fetch/api/resources/preflight.py"
const wptOrigin = "http://web-platform.test:8000"

type wptRow struct {
	desc          string
	query         url.Values
	req           fetch.Request
	wantOK        bool
	wantPreflight bool
}

func runWPT(t *testing.T, rows []wptRow) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.desc, func(t *testing.T) {
			t.Parallel()
			tr := &funcTransport{f: preflightPy}
			req := row.req
			req.URL = wptRemote + "?" + row.query.Encode()
			req.Origin = wptOrigin
			res, err := (&fetch.Client{Transport: tr}).Do(context.Background(), req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if res.Allowed != row.wantOK {
				t.Errorf("got allowed %t; want %t (%s)", res.Allowed, row.wantOK, res.ConsoleMessage)
			}
			if got := tr.preflights > 0; got != row.wantPreflight {
				t.Errorf("got preflight %t; want %t", got, row.wantPreflight)
			}
		})
	}
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// fetch/api/cors/cors-preflight-star.any.js, preflightTest(succeeds,
// withCredentials, allowMethod, allowHeader, useMethod, useHeader).
func TestWPT_preflightStar(t *testing.T) {
	star := func(succeeds, creds bool, allowMethod, allowHeader, method string, header ...string) wptRow {
		v := q("allow_methods", allowMethod, "allow_headers", allowHeader)
		req := fetch.Request{Method: method, Header: hdr(header...)}
		if creds {
			v.Set("origin", wptOrigin)
			v.Set("credentials", "")
			req.Credentials = fetch.Include
		}
		return wptRow{
			desc:  "cors-preflight-star.any.js: creds=" + map[bool]string{true: "y", false: "n"}[creds] + " method=" + method + " allow=" + allowMethod + " headers=" + strings.Join(header, ":") + " allow=" + allowHeader,
			query: v, req: req, wantOK: succeeds, wantPreflight: true,
		}
	}
	runWPT(t, []wptRow{
		star(true, false, "get", "x-test", "GET", "X-Test", "1"),
		star(true, false, "*", "x-test", "SUPER", "X-Test", "1"),
		star(true, false, "*", "*", "OK", "X-Test", "1"),
		star(false, true, "*", "*", "OK", "X-Test", "1"),
		star(false, true, "*", "", "PUT"),
		star(true, true, "PUT", "*", "PUT"),
		star(false, true, "get", "*", "GET", "X-Test", "1"),
		star(false, true, "*", "*", "GET", "X-Test", "1"),
		star(true, true, "*", "*", "*", "*", "1"),
		star(false, true, "put", "*", "PUT"),
	})
}

// fetch/api/cors/cors-no-preflight.any.js: safelisted methods and headers
// send no preflight.
func TestWPT_noPreflight(t *testing.T) {
	row := func(method, name, value string) wptRow {
		req := fetch.Request{Method: method}
		if name != "" {
			req.Header = hdr(name, value)
		}
		return wptRow{desc: "cors-no-preflight.any.js: " + method + " " + name + ": " + value, query: q(), req: req, wantOK: true}
	}
	runWPT(t, []wptRow{
		row("GET", "", ""),
		row("POST", "", ""),
		row("HEAD", "", ""),
		row("GET", "Accept", "*/*"),
		row("GET", "Accept-Language", "fr"),
		row("GET", "Content-Language", "fr"),
		row("GET", "Content-Type", "application/x-www-form-urlencoded"),
		row("GET", "Content-Type", "multipart/form-data"),
		row("GET", "Content-Type", "text/plain"),
		row("GET", "Content-Type", "text/plain;charset=utf-8"),
		row("GET", "Content-Type", "Text/Plain;charset=utf-8"),
	})
}

// fetch/api/cors/cors-preflight-status.any.js: a preflight passes only with
// an ok status (200-299).
func TestWPT_preflightStatus(t *testing.T) {
	var rows []wptRow
	for _, s := range []string{"200", "201", "202", "203", "204", "205", "206",
		"300", "301", "302", "303", "304", "305", "306", "307", "308",
		"400", "401", "402", "403", "404", "405", "501", "502", "503", "504", "505"} {
		rows = append(rows, wptRow{
			desc:   "cors-preflight-status.any.js: " + s,
			query:  q("allow_headers", "x-force-preflight", "preflight_status", s),
			req:    fetch.Request{Header: hdr("x-force-preflight", "")},
			wantOK: s[0] == '2', wantPreflight: true,
		})
	}
	runWPT(t, rows)
}

// fetch/api/cors/resources/not-cors-safelisted.json, used by
// cors-preflight-not-cors-safelisted.any.js: each header forces a preflight.
// last-event-id was safelisted by an older standard; it no longer is.
func TestWPT_notCORSSafelisted(t *testing.T) {
	long := "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678"
	pairs := [][2]string{
		{"accept", `"`},
		{"accept", long},
		{"accept-language", "\x01"},
		{"accept-language", "@"},
		{"authorization", "basics"},
		{"content-language", "\x01"},
		{"content-language", "@"},
		{"content-type", "text/html"},
		{"content-type", "text/plain; long=0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901"},
		{"last-event-id", `"`},
		{"last-event-id", long},
		{"range", "bytes 0-"},
		{"test", "hi"},
	}
	for _, e := range []fetch.Engine{fetch.Chromium, fetch.Spec} {
		for _, p := range pairs {
			if e.IsSafelistedRequestHeader(p[0], p[1]) {
				t.Errorf("%s: IsSafelistedRequestHeader(%q, %q) = true; want false", e, p[0], p[1])
			}
			if got := e.UnsafeRequestHeaderNames(hdr(p[0], p[1])); len(got) != 1 || got[0] != p[0] {
				t.Errorf("%s: UnsafeRequestHeaderNames(%q: %q) = %q; want [%q]", e, p[0], p[1], got, p[0])
			}
		}
	}
}

// cors/cors-safelisted-request-header.any.js: the Content-Type and Range
// values, shared with the e2e suite (scenarios.SafelistRows).
func TestWPT_safelistedRequestHeader(t *testing.T) {
	for _, row := range scenarios.SafelistRows {
		for _, e := range []fetch.Engine{fetch.Chromium, fetch.Spec} {
			if got := e.IsSafelistedRequestHeader(row.Name, row.Value); got == row.Preflight {
				t.Errorf("%s: IsSafelistedRequestHeader(%q, %q) = %t; want %t", e, row.Name, row.Value, got, !row.Preflight)
			}
		}
	}
}

// cors/origin.htm: Access-Control-Allow-Origin values an XHR from the page
// accepts (shouldPass) and refuses (shouldFail, doubleOrigin). The page is
// http://web-platform.test:8000/cors/origin.htm and the target is
// CROSSDOMAIN, http://www1.web-platform.test:8000/.
func TestWPT_origin(t *testing.T) {
	const (
		host = "web-platform.test:8000"
		page = "http://" + host
		href = page + "/cors/origin.htm"
	)
	pass := []string{"*", " *  ", "\t*", page, " " + page, " " + page + "   \t ", "\t" + page}
	fail := []string{
		"http://www." + host, "//" + host, "://" + host, "ftp://" + host, "http:://" + host,
		"http:/" + host, "http:" + host, host, page + "?", page + "/", page + " /", page + "#",
		page + "%23", page + ":80", page + ", *", page + "\x00", strings.ToUpper(page), "HTTP://" + host,
		"-", "**", "\x00*", "*\x00", "'*'", `"*"`, "* *", "* null", "*http://*", "*" + page,
		"* " + page, "*, " + page, "\x00" + page, "null " + page, "http://example.net", "null",
		"null *", "", href, page + "/cors/", "http://www1." + host + "/", "test:8000", ".test:8000",
		"*.test:8000", "http://test:8000", "http://.test:8000", "http://*.test:8000",
	}
	double := [][2]string{{"", "*"}, {"*", ""}, {"*", "*"}, {"", page}, {"*", page}, {page, page}}
	check := func(desc string, h http.Header, want bool) {
		t.Helper()
		p, err := fetch.Chromium.Classify(fetch.Request{URL: "http://www1." + host + "/cors/resources/cors-makeheader.py", Origin: page, Initiator: fetch.XHR})
		if err != nil {
			t.Fatal(err)
		}
		f := fetch.Chromium.CheckResponse(p, fetch.Response{Status: 200, Header: h})
		if got := f == nil; got != want {
			t.Errorf("%s: got pass %t; want %t (%v)", desc, got, want, f)
		}
	}
	for _, v := range pass {
		check("shouldPass("+strings.ReplaceAll(v, "\t", "[tab]")+")", hdr("Access-Control-Allow-Origin", v), true)
	}
	for _, v := range fail {
		check("shouldFail("+v+")", hdr("Access-Control-Allow-Origin", v), false)
	}
	for _, d := range double {
		check("doubleOrigin("+d[0]+", "+d[1]+")", hdr("Access-Control-Allow-Origin", d[0], "Access-Control-Allow-Origin", d[1]), false)
	}
}

// fetch/api/cors/cors-preflight-redirect.any.js: a redirected preflight
// fails, whatever the redirect status.
func TestWPT_preflightRedirect(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		sc := scenario{
			desc:      "cors-preflight-redirect.any.js",
			request:   fetch.Request{Method: "PUT"},
			preflight: &resp{status: status, header: hdr("Location", T2, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT")},
			want: outcome{preflight: true, id: fetch.PreflightDisallowedRedirect,
				console: atT + pre + "Redirect is not allowed for a preflight request.", firefox: "CORSExternalRedirectNotAllowed"},
		}
		t.Run(http.StatusText(status), func(t *testing.T) { sc.run(t) })
	}
}

// fetch/api/cors/cors-expose-star.sub.any.js and cors-filtering.sub.any.js:
// what a script reads from a CORS response.
func TestWPT_readableHeaders(t *testing.T) {
	tests := []struct {
		desc  string
		h     http.Header
		creds fetch.Credentials
		want  []string
	}{
		{"cors-filtering: safelisted headers are readable, others hidden",
			hdr("Cache-Control", "no-cache", "Content-Language", "fr", "Content-Length", "0", "Content-Type", "text/plain",
				"Expires", "0", "Last-Modified", "x", "Pragma", "no-cache", "Age", "1", "Server", "s", "Warning", "w", "Set-Cookie", "a=b"),
			fetch.Omit, []string{"cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"}},
		{"cors-filtering: exposed headers are readable, Set-Cookie and Set-Cookie2 never",
			hdr("Age", "1", "Server", "s", "Set-Cookie", "a=b", "Set-Cookie2", "c=d", "Access-Control-Expose-Headers", "age, server, set-cookie, set-cookie2"),
			fetch.Omit, []string{"age", "server"}},
		{"cors-expose-star: * exposes all but Set-Cookie without credentials",
			hdr("Access-Control-Expose-Headers", "*", "X-A", "1", "Set-Cookie", "a=b"),
			fetch.SameOrigin, []string{"access-control-expose-headers", "x-a"}},
		{"cors-expose-star: with credentials * is a literal name",
			hdr("Access-Control-Expose-Headers", "*", "X-A", "1", "Content-Type", "t/p"),
			fetch.Include, []string{"content-type"}},
		{"cors-expose-star: set-cookie,* still hides Set-Cookie",
			hdr("Access-Control-Expose-Headers", "set-cookie,*", "X-A", "1", "Set-Cookie", "a=b"),
			fetch.Omit, []string{"access-control-expose-headers", "x-a"}},
		{"access-control-expose-headers.json: an invalid item exposes nothing",
			hdr("Access-Control-Expose-Headers", "bb-8, no no", "Bb-8", "1"),
			fetch.Omit, nil},
		{"access-control-expose-headers.json: quotes are token bytes",
			hdr("Access-Control-Expose-Headers", "'bb-8',bb-8", "Bb-8", "1"),
			fetch.Omit, []string{"bb-8"}},
		{"access-control-expose-headers.json: empty items are allowed",
			hdr("Access-Control-Expose-Headers", ",bb-8,,", "Bb-8", "1"),
			fetch.Omit, []string{"bb-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := fetch.ReadableHeaders(tc.h, fetch.Cors, tc.creds)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}
