package fetch_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// Rows derived from web-platform-tests (web-platform-tests/wpt), written
// afresh for this package: each names the WPT file it comes from. The rows
// that run a whole fetch (cors-preflight-star, cors-no-preflight,
// cors-preflight-status, ...) live in internal/scenarios, where the e2e
// suite shares them, and TestScenarios_sharedWPT runs them against the
// model; the tests here check the classifier and parsers row by row.

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
