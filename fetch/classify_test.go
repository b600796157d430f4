package fetch_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

func TestMethods(t *testing.T) {
	tests := []struct {
		m                     string
		safelisted, forbidden bool
		normalized            string
	}{
		{"GET", true, false, "GET"},
		{"get", false, false, "GET"},
		{"HEAD", true, false, "HEAD"},
		{"POST", true, false, "POST"},
		{"pOsT", false, false, "POST"},
		{"PUT", false, false, "PUT"},
		{"delete", false, false, "DELETE"},
		{"options", false, false, "OPTIONS"},
		{"patch", false, false, "patch"},
		{"PATCH", false, false, "PATCH"},
		{"CONNECT", false, true, "CONNECT"},
		{"trace", false, true, "trace"},
		{"Track", false, true, "Track"},
		{"SUPER", false, false, "SUPER"},
	}
	for _, tc := range tests {
		if got := fetch.IsCORSSafelistedMethod(tc.m); got != tc.safelisted {
			t.Errorf("IsCORSSafelistedMethod(%q) = %t; want %t", tc.m, got, tc.safelisted)
		}
		if got := fetch.IsForbiddenMethod(tc.m); got != tc.forbidden {
			t.Errorf("IsForbiddenMethod(%q) = %t; want %t", tc.m, got, tc.forbidden)
		}
		if got := fetch.NormalizeMethod(tc.m); got != tc.normalized {
			t.Errorf("NormalizeMethod(%q) = %q; want %q", tc.m, got, tc.normalized)
		}
	}
}

func TestIsForbiddenRequestHeader(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"Cookie", "a=b", true},
		{"cookie2", "", true},
		{"Host", "x", true},
		{"Origin", "x", true},
		{"Referer", "x", true},
		{"Content-Length", "1", true},
		{"Proxy-Authorization", "x", true},
		{"Sec-Fetch-Mode", "cors", true},
		{"sec-ch-ua", "x", true},
		{"DNT", "1", true},
		{"Access-Control-Request-Headers", "x", true},
		{"X-HTTP-Method-Override", "TRACE", true},
		{"X-HTTP-Method-Override", "GET, connect", true},
		{"x-method-override", " track ", true},
		{"X-HTTP-Method", "PUT", false},
		{"X-HTTP-Method-Override", "PATCH, PUT", false},
		{"Authorization", "Bearer x", false},
		{"User-Agent", "x", false},
		{"X-Proxy-Foo", "x", false},
	}
	for _, tc := range tests {
		if got := fetch.IsForbiddenRequestHeader(tc.name, tc.value); got != tc.want {
			t.Errorf("IsForbiddenRequestHeader(%q, %q) = %t; want %t", tc.name, tc.value, got, tc.want)
		}
	}
}

// safelistCases are (name, value) pairs and whether each engine safelists
// them; the fuzz tests start from them.
var safelistCases = []struct {
	name, value    string
	spec, chromium bool
}{
	{"Accept", "*/*", true, true},
	{"Accept", "application/json, text/plain", true, true},
	{"Accept", "a\tb", true, true},
	{"Accept", strings.Repeat("a", 128), true, true},
	{"Accept", strings.Repeat("a", 129), false, false},
	{"Accept", "{x}", false, false},
	{"Accept-Language", "en-US,en;q=0.9", true, true},
	{"Accept-Language", "fr_FR", false, false},
	{"Content-Language", "de-DE", true, true},
	{"Content-Type", "text/plain", true, true},
	{"Content-Type", " TEXT/PLAIN ; charset=utf-8", true, true},
	{"Content-Type", "application/json", false, false},
	{"Content-Type", "text/plain; x=" + strings.Repeat("a", 120), false, false},
	{"Range", "bytes=0-", true, true},
	{"Range", "bytes=0-0", true, true},
	{"Range", "bytes=-500", false, false},
	{"Range", "Bytes=0-", false, false},
	{"X-Foo", "1", false, false},
	{"Authorization", "Bearer x", false, false},
	{"Last-Event-ID", "1", false, false},
	{"Intervention", "<https://x>", false, true},
	{"Save-Data", "on", false, true},
	{"Save-Data", "ON", false, true},
	{"Save-Data", "off", false, false},
	{"DPR", "2", false, true},
	{"DPR", "1.5", false, true},
	{"DPR", "1.", false, false},
	{"Device-Memory", "0.25", false, true},
	{"Downlink", "10.0", false, true},
	{"Width", "1024", false, true},
	{"Viewport-Width", "1.5", false, false},
	{"RTT", "50", false, true},
	{"ECT", "4g", false, true},
	{"ECT", "5g", false, false},
	{"Width", strings.Repeat("1", 129), false, false},
}

func TestIsSafelistedRequestHeader(t *testing.T) {
	for _, tc := range safelistCases {
		if got := fetch.Spec.IsSafelistedRequestHeader(tc.name, tc.value); got != tc.spec {
			t.Errorf("Spec.IsSafelistedRequestHeader(%q, %q) = %t; want %t", tc.name, tc.value, got, tc.spec)
		}
		if got := fetch.IsCORSSafelistedRequestHeader(tc.name, tc.value); got != tc.spec {
			t.Errorf("IsCORSSafelistedRequestHeader(%q, %q) = %t; want %t", tc.name, tc.value, got, tc.spec)
		}
		if got := fetch.Chromium.IsSafelistedRequestHeader(tc.name, tc.value); got != tc.chromium {
			t.Errorf("Chromium.IsSafelistedRequestHeader(%q, %q) = %t; want %t", tc.name, tc.value, got, tc.chromium)
		}
	}
}

func TestUnsafeRequestHeaderNames(t *testing.T) {
	tests := []struct {
		desc   string
		engine fetch.Engine
		h      http.Header
		want   []string
	}{
		{"none", fetch.Chromium, hdr("Accept", "*/*", "Content-Type", "text/plain"), nil},
		{"sorted, lower case, once", fetch.Chromium, hdr("X-B", "1", "x-a", "2", "X-B", "3"), []string{"x-a", "x-b"}},
		{"forbidden headers are not listed", fetch.Chromium, hdr("Cookie", "a", "X-A", "1"), []string{"x-a"}},
		{"a Chromium client hint", fetch.Chromium, hdr("DPR", "2"), nil},
		{"a client hint under the standard", fetch.Spec, hdr("DPR", "2"), []string{"dpr"}},
		{"1024 bytes of safelisted values stay safe", fetch.Spec,
			hdr("Accept", strings.Repeat("a", 128), "Accept-Language", strings.Repeat("b", 128), "Content-Language", strings.Repeat("c", 128),
				"Content-Type", "text/plain;"+strings.Repeat("d", 117), "Accept", strings.Repeat("e", 128), "Accept", strings.Repeat("f", 128),
				"Accept", strings.Repeat("g", 128), "Accept", strings.Repeat("h", 128)),
			nil},
		{"1025 bytes make every safelisted header unsafe", fetch.Spec,
			hdr("Accept", strings.Repeat("a", 128), "Accept-Language", strings.Repeat("b", 128), "Content-Language", strings.Repeat("c", 128),
				"Content-Type", "text/plain;"+strings.Repeat("d", 117), "Accept", strings.Repeat("e", 128), "Accept", strings.Repeat("f", 128),
				"Accept", strings.Repeat("g", 128), "Accept", strings.Repeat("h", 128), "Accept", "x", "X-Z", "1"),
			[]string{"accept", "accept-language", "content-language", "content-type", "x-z"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := tc.engine.UnsafeRequestHeaderNames(tc.h); !slices.Equal(got, tc.want) {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		desc          string
		req           fetch.Request
		wantMethod    string
		wantPreflight bool
		wantDropped   []string
		wantACRH      string
		wantTainting  fetch.Tainting
	}{
		{desc: "simple GET", req: fetch.Request{}, wantMethod: "GET", wantTainting: fetch.Cors},
		{desc: "a lower-case put is normalized", req: fetch.Request{Method: "put"}, wantMethod: "PUT", wantPreflight: true, wantTainting: fetch.Cors},
		{desc: "forbidden headers are dropped", req: fetch.Request{Header: hdr("Cookie", "a=b", "X-HTTP-Method-Override", "TRACE")},
			wantMethod: "GET", wantDropped: []string{"Cookie", "X-Http-Method-Override"}, wantTainting: fetch.Cors},
		{desc: "X-HTTP-Method-Override with an allowed method is sent and unsafe", req: fetch.Request{Header: hdr("X-HTTP-Method-Override", "PUT")},
			wantMethod: "GET", wantPreflight: true, wantACRH: "x-http-method-override", wantTainting: fetch.Cors},
		{desc: "no-cors drops what is not no-CORS-safelisted", req: fetch.Request{Mode: fetch.NoCORS, Header: hdr("X-Foo", "1", "Range", "bytes=0-", "Accept", "x")},
			wantMethod: "GET", wantDropped: []string{"Range", "X-Foo"}, wantTainting: fetch.Opaque},
		{desc: "an upload listener forces a preflight", req: fetch.Request{Method: "POST", Initiator: fetch.XHR, UploadListener: true},
			wantMethod: "POST", wantPreflight: true, wantTainting: fetch.Cors},
		{desc: "Range bytes=0- needs no preflight", req: fetch.Request{Header: hdr("Range", "bytes=0-")}, wantMethod: "GET", wantTainting: fetch.Cors},
		{desc: "Range bytes=-500 needs one", req: fetch.Request{Header: hdr("Range", "bytes=-500")}, wantMethod: "GET", wantPreflight: true, wantACRH: "range", wantTainting: fetch.Cors},
		{desc: "a 129-byte Content-Type needs one", req: fetch.Request{Method: "POST", Header: hdr("Content-Type", "text/plain;"+strings.Repeat("a", 118))},
			wantMethod: "POST", wantPreflight: true, wantACRH: "content-type", wantTainting: fetch.Cors},
		{desc: "same origin is not CORS", req: fetch.Request{URL: O + "/x", Method: "PUT", Header: hdr("X-A", "1")}, wantMethod: "PUT", wantACRH: "x-a", wantTainting: fetch.Basic},
		{desc: "the default port is the same origin", req: fetch.Request{URL: "http://127.0.0.1:80/x", Origin: "http://127.0.0.1"}, wantMethod: "GET", wantTainting: fetch.Basic},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			req := tc.req
			if req.URL == "" {
				req.URL = T
			}
			if req.Origin == "" {
				req.Origin = O
			}
			p, err := fetch.Chromium.Classify(req)
			if err != nil {
				t.Fatalf("Classify: %v", err)
			}
			if p.Method != tc.wantMethod {
				t.Errorf("got method %q; want %q", p.Method, tc.wantMethod)
			}
			if p.NeedsPreflight() != tc.wantPreflight {
				t.Errorf("got NeedsPreflight %t; want %t", p.NeedsPreflight(), tc.wantPreflight)
			}
			if !slices.Equal(p.Dropped, tc.wantDropped) {
				t.Errorf("got dropped %q; want %q", p.Dropped, tc.wantDropped)
			}
			if got := p.PreflightHeader().Get("Access-Control-Request-Headers"); got != tc.wantACRH {
				t.Errorf("got ACRH %q; want %q", got, tc.wantACRH)
			}
			if p.Tainting != tc.wantTainting {
				t.Errorf("got tainting %q; want %q", p.Tainting, tc.wantTainting)
			}
		})
	}
}

func TestClassify_errors(t *testing.T) {
	tests := []struct {
		desc      string
		req       fetch.Request
		exception string // "" for a usage error
	}{
		{"forbidden method", fetch.Request{Method: "TRACE"}, "TypeError: Failed to execute 'fetch' on 'Window': 'TRACE' HTTP method is unsupported."},
		{"forbidden method in XHR", fetch.Request{Method: "connect", Initiator: fetch.XHR}, "SecurityError: Failed to execute 'open' on 'XMLHttpRequest': 'connect' HTTP method is unsupported."},
		{"not a token", fetch.Request{Method: "GE T"}, "TypeError: Failed to execute 'fetch' on 'Window': 'GE T' is not a valid HTTP method."},
		{"no-cors put", fetch.Request{Method: "put", Mode: fetch.NoCORS}, "TypeError: Failed to execute 'fetch' on 'Window': 'PUT' is unsupported in no-cors mode."},
		{"credentials in the URL", fetch.Request{URL: "http://u:p@127.0.0.1:8002/api"}, "TypeError: Failed to execute 'fetch' on 'Window': Request cannot be constructed from a URL that includes credentials: http://u:p@127.0.0.1:8002/api"},
		{"relative URL", fetch.Request{URL: "/api"}, ""},
		{"ftp URL", fetch.Request{URL: "ftp://x/"}, ""},
		{"origin with a path", fetch.Request{Origin: O + "/"}, ""},
		{"origin without a scheme", fetch.Request{Origin: "127.0.0.1:8001"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			req := tc.req
			if req.URL == "" {
				req.URL = T
			}
			if req.Origin == "" {
				req.Origin = O
			}
			_, err := fetch.Chromium.Classify(req)
			if err == nil {
				t.Fatal("got no error")
			}
			var se *fetch.ScriptError
			if got := errors.As(err, &se); got != (tc.exception != "") {
				t.Fatalf("got %v; want a ScriptError: %t", err, tc.exception != "")
			}
			if se != nil && se.Exception() != tc.exception {
				t.Errorf("got exception\n\t%q\nwant\n\t%q", se.Exception(), tc.exception)
			}
			if !strings.HasPrefix(err.Error(), "fetch: ") {
				t.Errorf("got error %q; want the fetch: prefix", err)
			}
		})
	}
}

func TestEncodeHint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://a.example", "http://a.example"},
		{"http://\xe9.example", `http://\u00E9.example`},
		{"http://é.example", `http://\u00E9.example`},
		{"a\tb\x00", `a\u0009b\u0000`},
		{"\x7f", `\u007F`},
		{"😀", `\uD83D\uDE00`},
	}
	for _, tc := range tests {
		if got := fetch.EncodeHint(tc.in); got != tc.want {
			t.Errorf("EncodeHint(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseTokenList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		bad  string
	}{
		{"GET, POST", []string{"GET", "POST"}, ""},
		{" PUT ,\tPATCH ", []string{"PUT", "PATCH"}, ""},
		{",,x-a,,", []string{"x-a"}, ""},
		{"", nil, ""},
		{"*", []string{"*"}, ""},
		{"PUT PATCH", nil, "PUT PATCH"},
		{"x-a, x b, c", nil, "x b"},
		{"a;b", nil, "a;b"},
	}
	for _, tc := range tests {
		got, bad, ok := fetch.ParseTokenList(tc.in)
		if ok != (tc.bad == "") || bad != tc.bad || !slices.Equal(got, tc.want) {
			t.Errorf("ParseTokenList(%q) = %q, %q, %t; want %q, %q", tc.in, got, bad, ok, tc.want, tc.bad)
		}
	}
}

func TestClassify_bodyOnGET(t *testing.T) {
	_, err := fetch.Chromium.Classify(fetch.Request{URL: T, Origin: O, Body: []byte("x")})
	var se *fetch.ScriptError
	if !errors.As(err, &se) || se.Exception() != "TypeError: Failed to execute 'fetch' on 'Window': Request with GET/HEAD method cannot have body." {
		t.Errorf("got %v; want the GET/HEAD body TypeError", err)
	}
}

func TestEngine_text(t *testing.T) {
	for _, s := range []string{"chromium", "chromium-156", "spec"} {
		var e fetch.Engine
		if err := e.UnmarshalText([]byte(s)); err != nil {
			t.Errorf("UnmarshalText(%q): %v", s, err)
		}
		b, _ := e.MarshalText()
		if !strings.HasPrefix(string(b), s[:4]) {
			t.Errorf("round trip of %q gave %q", s, b)
		}
	}
	var e fetch.Engine
	if err := e.UnmarshalText([]byte("firefox")); err == nil {
		t.Error("UnmarshalText(firefox): got no error")
	}
}

// Classify takes an origin only as a browser serializes it into Origin:
// no page has an upper-case host, a default port written out, a path or a
// port past 65535, and the error says which rule the value breaks.
func TestClassify_origin(t *testing.T) {
	for _, tc := range []struct {
		origin string
		want   string // "" when Classify must accept it
	}{
		{"https://app.example", ""},
		{"http://localhost:3000", ""},
		{"http://[::1]:8080", ""},
		{"null", ""},
		{"https://app.example:99999", `invalid port "99999"`},
		{"https://App.example", "upper case"},
		{"https://app.example:443", "default port"},
		{"https://app.example/", "trailing slash"},
		{"https://*.app.example", "a wildcard"},
		{"app.example", "no scheme"},
		{"", "empty origin"},
	} {
		_, err := fetch.Chromium.Classify(fetch.Request{URL: "https://api.example/x", Origin: tc.origin})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v; want it accepted", tc.origin, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: got %v; want an error saying %q", tc.origin, err, tc.want)
		}
	}
}

// checkOrigin's suggestions are origins it accepts.
func TestClassify_originHints(t *testing.T) {
	for _, in := range []string{"https://app.example/", "https://App.Example", "https://app.example:443", "http://[::1]:80", "https://app.example/x?y"} {
		_, err := fetch.Chromium.Classify(fetch.Request{URL: "https://api.example/", Origin: in})
		if err == nil {
			t.Errorf("%q: accepted", in)
			continue
		}
		_, hint, ok := strings.Cut(err.Error(), `(did you mean "`)
		if !ok {
			t.Errorf("%q: %v: no suggestion", in, err)
			continue
		}
		hint = strings.TrimSuffix(hint, `"?)`)
		if _, err := fetch.Chromium.Classify(fetch.Request{URL: "https://api.example/", Origin: hint}); err != nil {
			t.Errorf("%q: suggests %q, which is refused: %v", in, hint, err)
		}
	}
}
