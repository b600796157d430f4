package fetch_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

// Console texts of Chromium 156, transcribed from browser-cors.md §2.
const (
	atT      = "Access to fetch at '" + T + "' from origin '" + O + "' has been blocked by CORS policy: "
	xhrAtT   = "Access to XMLHttpRequest at '" + T + "' from origin '" + O + "' has been blocked by CORS policy: "
	pre      = "Response to preflight request doesn't pass access control check: "
	sufF     = " Have the server send the header with a valid value."
	sufX     = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."
	noACAO   = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
	wildcard = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
	ffAt     = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + T + ". (Reason: "
)

func mismatch(v string) string {
	return "The 'Access-Control-Allow-Origin' header has a value '" + v + "' that is not equal to the supplied origin."
}
func invalidACAO(v string) string {
	return "The 'Access-Control-Allow-Origin' header contains the invalid value '" + v + "'."
}
func multipleACAO(v string) string {
	return "The 'Access-Control-Allow-Origin' header contains multiple values '" + v + "', but only one is allowed."
}
func badACAC(v string) string {
	return "The value of the 'Access-Control-Allow-Credentials' header in the response is '" + v + "' which must be 'true' when the request's credentials mode is 'include'."
}
func methodNo(m string) string {
	return "Method " + m + " is not allowed by Access-Control-Allow-Methods in preflight response."
}
func headerNo(h string) string {
	return "Request header field " + h + " is not allowed by Access-Control-Allow-Headers in preflight response."
}

// scenario is one request a page makes, the server's answers, and what the
// browser makes of them, in the style of cookiejar's jarTest.
type scenario struct {
	desc      string
	engine    fetch.Engine
	request   fetch.Request // URL defaults to T, Origin to O
	preflight *resp         // the answer to OPTIONS at the request URL
	response  *resp         // the answer to the request at the request URL
	routes    map[string]route
	want      outcome
}

func (sc scenario) run(t *testing.T) (*fetch.Result, *cannedTransport) {
	t.Helper()
	req := sc.request
	if req.URL == "" {
		req.URL = T
	}
	if req.Origin == "" {
		req.Origin = O
	}
	routes := map[string]route{}
	for u, r := range sc.routes {
		routes[u] = r
	}
	if sc.preflight != nil || sc.response != nil {
		routes[strings.SplitN(req.URL, "#", 2)[0]] = route{preflight: sc.preflight, actual: sc.response}
	}
	tr := &cannedTransport{t: t, routes: routes}
	c := &fetch.Client{Transport: tr, Engine: sc.engine}
	res, err := c.Do(context.Background(), req)
	if sc.want.networkError == "" && err != nil {
		t.Fatalf("Do: %v", err)
	}
	if sc.want.networkError != "" && err == nil {
		t.Errorf("Do: got no error; want a network error")
	}
	checkResult(t, res, sc.want, tr.count(http.MethodOptions))
	return res, tr
}

// matrixScenarios transcribes browser-cors.md §6, the scenarios observed in
// Chromium 156; "§6#n" names the row. Rows 40-42 (the cache) are in
// cache_test.go, and 54-55 (file: pages, Local Network Access) in
// context_test.go.
var matrixScenarios = []scenario{
	{
		desc:     "§6#1 GET without ACAO",
		response: ok(),
		want: outcome{id: fetch.MissingAllowOriginHeader, console: atT + noACAO,
			firefox: "CORSMissingAllowOrigin2", firefoxText: ffAt + "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.",
			fixMentions: []string{"Access-Control-Allow-Origin: " + O, "allow_origins"}},
	}, {
		desc:     "§6#2 GET with ACAO *",
		response: ok("Access-Control-Allow-Origin", "*"),
		want:     outcome{allowed: true, responseType: fetch.Cors},
	}, {
		desc:     "§6#3 credentialed GET with ACAO *",
		request:  fetch.Request{Credentials: fetch.Include},
		response: ok("Access-Control-Allow-Origin", "*"),
		want: outcome{id: fetch.WildcardOriginNotAllowed, console: atT + wildcard,
			firefox:     "CORSNotSupportingCredentials",
			firefoxText: "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘" + T + "’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
			fixMentions: []string{"Access-Control-Allow-Origin: " + O, "Access-Control-Allow-Credentials: true"}},
	}, {
		desc:     "§6#4 GET with another origin in ACAO",
		response: ok("Access-Control-Allow-Origin", "http://example.com"),
		want: outcome{id: fetch.AllowOriginMismatch, console: atT + mismatch("http://example.com") + sufF,
			firefox: "CORSAllowOriginNotMatchingOrigin", firefoxText: ffAt + "CORS header ‘Access-Control-Allow-Origin’ does not match ‘http://example.com’)."},
	}, {
		desc:     "§6#5 GET with ACAO sent twice",
		response: ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Origin", O),
		want: outcome{id: fetch.MultipleAllowOriginValues, console: atT + multipleACAO(O+", "+O) + sufF,
			firefox: "CORSMultipleAllowOriginNotAllowed", fixMentions: []string{"two layers"}},
	}, {
		desc:     "§6#6 GET with ACAO foo",
		response: ok("Access-Control-Allow-Origin", "foo"),
		want:     outcome{id: fetch.InvalidAllowOriginValue, console: atT + invalidACAO("foo") + sufF, firefox: "CORSAllowOriginNotMatchingOrigin"},
	}, {
		desc:     "§6#7 GET with ACAO null",
		response: ok("Access-Control-Allow-Origin", "null"),
		want: outcome{id: fetch.AllowOriginMismatch, console: atT + mismatch("null") + sufF, firefox: "CORSAllowOriginNotMatchingOrigin",
			fixMentions: []string{"Never allow null"}},
	}, {
		desc:     "§6#8 GET with a trailing slash in ACAO",
		response: ok("Access-Control-Allow-Origin", O+"/"),
		want:     outcome{id: fetch.AllowOriginMismatch, console: atT + mismatch(O+"/") + sufF, firefox: "CORSAllowOriginNotMatchingOrigin"},
	}, {
		desc:     "§6#9 GET with a padded ACAO",
		response: ok("Access-Control-Allow-Origin", "   "+O+"  "),
		want:     outcome{allowed: true},
	}, {
		desc:     "§6#10 GET with a raw 0xE9 byte in ACAO",
		response: ok("Access-Control-Allow-Origin", "http://\xe9.example"),
		want:     outcome{id: fetch.InvalidAllowOriginValue, console: atT + invalidACAO(`http://\u00E9.example`) + sufF, firefox: "CORSAllowOriginNotMatchingOrigin"},
	}, {
		desc:     "§6#11 credentialed GET without ACAC",
		request:  fetch.Request{Credentials: fetch.Include},
		response: ok("Access-Control-Allow-Origin", O),
		want: outcome{id: fetch.InvalidAllowCredentials, console: atT + badACAC(""), firefox: "CORSMissingAllowCredentials",
			fixMentions: []string{"Access-Control-Allow-Credentials: true", "allow_credentials"}},
	}, {
		desc:     "§6#12 credentialed GET with ACAC True",
		request:  fetch.Request{Credentials: fetch.Include},
		response: ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Credentials", "True"),
		want:     outcome{id: fetch.InvalidAllowCredentials, console: atT + badACAC("True"), firefox: "CORSMissingAllowCredentials"},
	}, {
		desc:     "§6#13 credentialed GET with ACAC true",
		request:  fetch.Request{Credentials: fetch.Include},
		response: ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Credentials", "true"),
		want:     outcome{allowed: true},
	}, {
		desc:      "§6#14 PUT with a bare preflight response",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok(),
		want: outcome{preflight: true, id: fetch.PreflightMissingAllowOriginHeader, console: atT + pre + noACAO,
			firefox: "CORSMissingAllowOrigin2", fixMentions: []string{"preflight response (OPTIONS " + T + ")"}},
	}, {
		desc:      "§6#15 DELETE with a 500 preflight without ACAO: ACAO is checked before the status",
		request:   fetch.Request{Method: "DELETE"},
		preflight: &resp{status: 500},
		want:      outcome{preflight: true, id: fetch.PreflightMissingAllowOriginHeader, console: atT + pre + noACAO, firefox: "CORSMissingAllowOrigin2"},
	}, {
		desc:      "§6#16 PUT with a 404 preflight",
		request:   fetch.Request{Method: "PUT"},
		preflight: &resp{status: 404, header: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT")},
		want: outcome{preflight: true, id: fetch.PreflightInvalidStatus, console: atT + pre + "It does not have HTTP ok status.",
			firefox: "CORSPreflightDidNotSucceed3", firefoxText: ffAt + "CORS preflight response did not succeed). Status code: 404.",
			fixMentions: []string{"status 404"}},
	}, {
		desc:      "§6#17 PUT with a redirected preflight",
		request:   fetch.Request{Method: "PUT"},
		preflight: &resp{status: 302, header: hdr("Location", T2, "Access-Control-Allow-Origin", "*")},
		want: outcome{preflight: true, id: fetch.PreflightDisallowedRedirect, console: atT + pre + "Redirect is not allowed for a preflight request.",
			firefox: "CORSExternalRedirectNotAllowed", fixMentions: []string{T2}},
	}, {
		desc:      "§6#18 DELETE allowed by a 204 preflight",
		request:   fetch.Request{Method: "DELETE"},
		preflight: &resp{status: 204, header: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "DELETE")},
		response:  ok("Access-Control-Allow-Origin", "*"),
		want:      outcome{allowed: true, preflight: true},
	}, {
		desc:      "§6#19 PUT without ACAM",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok("Access-Control-Allow-Origin", "*"),
		want: outcome{preflight: true, id: fetch.MethodDisallowedByPreflightResponse, console: atT + methodNo("PUT"),
			firefox: "CORSMethodNotFound", fixMentions: []string{"Access-Control-Allow-Methods: PUT", "allow_methods"}},
	}, {
		desc:      "§6#20 PUT with ACAM put",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "put"),
		want:      outcome{preflight: true, id: fetch.MethodDisallowedByPreflightResponse, console: atT + methodNo("PUT"), firefox: "CORSMethodNotFound"},
	}, {
		desc:      "§6#21 patch is not normalized, ACAM PATCH does not allow it",
		request:   fetch.Request{Method: "patch"},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PATCH"),
		want: outcome{preflight: true, id: fetch.MethodDisallowedByPreflightResponse, console: atT + methodNo("patch"), firefox: "CORSMethodNotFound",
			fixMentions: []string{"case-sensitive"}},
	}, {
		desc:      "§6#22 credentialed PUT with ACAM *: the star is literal",
		request:   fetch.Request{Method: "PUT", Credentials: fetch.Include},
		preflight: ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Methods", "*"),
		want: outcome{preflight: true, id: fetch.MethodDisallowedByPreflightResponse, console: atT + methodNo("PUT"), firefox: "CORSMethodNotFound",
			fixMentions: []string{"literally named *"}},
	}, {
		desc:      "§6#23 SUPER allowed by ACAM *",
		request:   fetch.Request{Method: "SUPER"},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "*"),
		response:  ok("Access-Control-Allow-Origin", "*"),
		want:      outcome{allowed: true, preflight: true},
	}, {
		desc:      "§6#24 ACAM with a space-separated list",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT PATCH"),
		want: outcome{preflight: true, id: fetch.InvalidAllowMethodsPreflightResponse,
			console: atT + "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
			firefox: "CORSInvalidAllowMethod", firefoxText: ffAt + "invalid token ‘PUT PATCH’ in CORS header ‘Access-Control-Allow-Methods’)."},
	}, {
		desc:      "§6#25 X-Foo without ACAH",
		request:   fetch.Request{Header: hdr("X-Foo", "1")},
		preflight: ok("Access-Control-Allow-Origin", "*"),
		want: outcome{preflight: true, id: fetch.HeaderDisallowedByPreflightResponse, console: atT + headerNo("x-foo"),
			firefox: "CORSMissingAllowHeaderFromPreflight2", firefoxText: ffAt + "header ‘x-foo’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
			fixMentions: []string{"Access-Control-Allow-Headers: x-foo", "list X-Foo in allow_headers"}},
	}, {
		desc:      "§6#26 ACAH matches case-insensitively",
		request:   fetch.Request{Header: hdr("x-foo", "1")},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "X-FOO"),
		response:  ok("Access-Control-Allow-Origin", "*"),
		want:      outcome{allowed: true, preflight: true},
	}, {
		desc:      "§6#27 ACAH with a space inside a name",
		request:   fetch.Request{Header: hdr("X-Foo", "1")},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "x foo"),
		want: outcome{preflight: true, id: fetch.InvalidAllowHeadersPreflightResponse,
			console: atT + "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
			firefox: "CORSInvalidAllowHeader", firefoxText: ffAt + "invalid token ‘x foo’ in CORS header ‘Access-Control-Allow-Headers’)."},
	}, {
		desc:      "§6#28 Authorization covered by ACAH * in Chromium, with a deprecation warning",
		request:   fetch.Request{Header: hdr("Authorization", "Bearer x")},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*"),
		response:  ok("Access-Control-Allow-Origin", "*"),
		want: outcome{allowed: true, preflight: true,
			warnings: []string{fetch.AuthorizationCoveredByWildcard, "CORSAllowHeaderFromPreflightDeprecation"}},
	}, {
		desc:      "§6#28 under the standard: Authorization is never covered by *",
		engine:    fetch.Spec,
		request:   fetch.Request{Header: hdr("Authorization", "Bearer x")},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "*"),
		want: outcome{preflight: true, id: fetch.HeaderDisallowedByPreflightResponse, console: atT + headerNo("authorization"),
			firefox: "CORSMissingAllowHeaderFromPreflight2", fixMentions: []string{"never covers Authorization"}},
	}, {
		desc:      "§6#29 credentialed X-Test with ACAH *: the star is literal",
		request:   fetch.Request{Header: hdr("X-Test", "1"), Credentials: fetch.Include},
		preflight: ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Headers", "*"),
		want: outcome{preflight: true, id: fetch.HeaderDisallowedByPreflightResponse, console: atT + headerNo("x-test"),
			firefox: "CORSMissingAllowHeaderFromPreflight2", fixMentions: []string{"literally named *"}},
	}, {
		desc:      "§6#30 POST application/json",
		request:   fetch.Request{Method: "POST", Header: hdr("Content-Type", "application/json"), Body: []byte("{}")},
		preflight: ok("Access-Control-Allow-Origin", "*"),
		want: outcome{preflight: true, id: fetch.HeaderDisallowedByPreflightResponse, console: atT + headerNo("content-type"),
			firefox: "CORSMissingAllowHeaderFromPreflight2", fixMentions: []string{"text/plain"}},
	}, {
		desc:     "§6#31 POST text/plain;charset=utf-8 needs no preflight",
		request:  fetch.Request{Method: "POST", Header: hdr("Content-Type", "text/plain;charset=utf-8"), Body: []byte("x")},
		response: ok("Access-Control-Allow-Origin", "*"),
		want:     outcome{allowed: true},
	}, {
		desc:      "§6#32 Accept-Language of 129 bytes forces a preflight",
		request:   fetch.Request{Header: hdr("Accept-Language", strings.Repeat("a", 129))},
		preflight: ok("Access-Control-Allow-Origin", "*"),
		want: outcome{preflight: true, id: fetch.HeaderDisallowedByPreflightResponse, console: atT + headerNo("accept-language"),
			firefox: "CORSMissingAllowHeaderFromPreflight2", fixMentions: []string{"128 bytes"}},
	}, {
		desc:      "§6#33 PUT with X-B, X-A and Accept",
		request:   fetch.Request{Method: "PUT", Header: hdr("X-B", "1", "X-A", "2", "Accept", "*/*")},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "x-b, X-A"),
		response:  ok("Access-Control-Allow-Origin", "*"),
		want:      outcome{allowed: true, preflight: true},
	}, {
		desc:      "§6#34 PUT whose actual response lacks ACAO",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"),
		response:  ok(),
		want:      outcome{preflight: true, id: fetch.MissingAllowOriginHeader, console: atT + noACAO, firefox: "CORSMissingAllowOrigin2"},
	}, {
		desc:      "§6#35 credentialed PUT, preflight without ACAC",
		request:   fetch.Request{Method: "PUT", Credentials: fetch.Include},
		preflight: ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Methods", "PUT"),
		want:      outcome{preflight: true, id: fetch.PreflightInvalidAllowCredentials, console: atT + pre + badACAC(""), firefox: "CORSMissingAllowCredentials"},
	}, {
		desc:      "§6#36 credentialed PUT, preflight with ACAO *",
		request:   fetch.Request{Method: "PUT", Credentials: fetch.Include},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"),
		want:      outcome{preflight: true, id: fetch.PreflightWildcardOriginNotAllowed, console: atT + pre + wildcard, firefox: "CORSNotSupportingCredentials"},
	}, {
		desc:      "§6#37 PUT, preflight allows another origin",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok("Access-Control-Allow-Origin", "http://example.com"),
		want:      outcome{preflight: true, id: fetch.PreflightAllowOriginMismatch, console: atT + pre + mismatch("http://example.com") + sufF, firefox: "CORSAllowOriginNotMatchingOrigin"},
	}, {
		desc:      "§6#38 PUT, preflight with ACAO foo",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok("Access-Control-Allow-Origin", "foo"),
		want:      outcome{preflight: true, id: fetch.PreflightInvalidAllowOriginValue, console: atT + pre + invalidACAO("foo") + sufF, firefox: "CORSAllowOriginNotMatchingOrigin"},
	}, {
		desc:      "§6#39 PUT, preflight with ACAO * twice",
		request:   fetch.Request{Method: "PUT"},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Origin", "*"),
		want:      outcome{preflight: true, id: fetch.PreflightMultipleAllowOriginValues, console: atT + pre + multipleACAO("*, *") + sufF, firefox: "CORSMultipleAllowOriginNotAllowed"},
	}, {
		desc: "§6#43 GET redirected across origins: the second hop sees Origin: null",
		routes: map[string]route{
			T:  {actual: &resp{status: 302, header: hdr("Location", T2, "Access-Control-Allow-Origin", "*")}},
			T2: {actual: ok("Access-Control-Allow-Origin", O)},
		},
		want: outcome{id: fetch.AllowOriginMismatch,
			console: "Access to fetch at '" + T2 + "' (redirected from '" + T + "') from origin '" + O + "' has been blocked by CORS policy: " + mismatch(O) + sufF,
			firefox: "CORSAllowOriginNotMatchingOrigin", fixMentions: []string{"Origin: null"}},
	}, {
		desc: "§6#44 GET redirected, the redirect itself lacks ACAO",
		routes: map[string]route{
			T: {actual: &resp{status: 302, header: hdr("Location", T2)}},
		},
		want: outcome{id: fetch.MissingAllowOriginHeader, console: atT + noACAO, firefox: "CORSMissingAllowOrigin2",
			fixMentions: []string{"302 redirect from " + T}},
	}, {
		desc: "§6#45 GET redirected to a URL with userinfo",
		routes: map[string]route{
			T: {actual: &resp{status: 302, header: hdr("Location", "http://u:p@127.0.0.1:8002/api2", "Access-Control-Allow-Origin", "*")}},
		},
		want: outcome{id: fetch.RedirectContainsCredentials,
			console: atT + "Redirect location '' contains a username and password, which is disallowed for cross-origin requests."},
	}, {
		desc:    "§6#46 PUT redirected across origins: a second preflight with Origin: null",
		request: fetch.Request{Method: "PUT"},
		routes: map[string]route{
			T: {
				preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"),
				actual:    &resp{status: 302, header: hdr("Location", T2, "Access-Control-Allow-Origin", "*")},
			},
			T2: {
				preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"),
				actual:    ok("Access-Control-Allow-Origin", "*"),
			},
		},
		want: outcome{allowed: true, preflight: true},
	}, {
		desc:     "§6#47 no-cors GET gives an opaque response",
		request:  fetch.Request{Mode: fetch.NoCORS, Header: hdr("X-Foo", "1")},
		response: ok("X-Bar", "1"),
		want:     outcome{allowed: true, responseType: fetch.Opaque, readable: []string{}},
	}, {
		desc:    "§6#48 no-cors PUT throws before anything is sent",
		request: fetch.Request{Method: "PUT", Mode: fetch.NoCORS},
		want:    outcome{exception: "TypeError: Failed to execute 'fetch' on 'Window': 'PUT' is unsupported in no-cors mode."},
	}, {
		desc:    "§6#49 same-origin mode to another origin",
		request: fetch.Request{Mode: fetch.SameOriginMode},
		want: outcome{id: fetch.DisallowedByMode,
			console: "Fetch API cannot load " + T + `. Request mode is "same-origin" but the URL's origin is not same as the request origin ` + O + "."},
	}, {
		desc:     "§6#50 credentialed GET with ACEH *: the star is literal",
		request:  fetch.Request{Credentials: fetch.Include},
		response: ok("Access-Control-Allow-Origin", O, "Access-Control-Allow-Credentials", "true", "Access-Control-Expose-Headers", "*", "X-Hidden", "1", "Content-Type", "text/plain"),
		want:     outcome{allowed: true, readable: []string{"content-type"}},
	}, {
		desc:     "§6#51 GET with ACEH *: all but Set-Cookie",
		response: ok("Access-Control-Allow-Origin", "*", "Access-Control-Expose-Headers", "*", "X-Shown", "1", "Set-Cookie", "a=b"),
		want:     outcome{allowed: true, readable: []string{"access-control-allow-origin", "access-control-expose-headers", "x-shown"}},
	}, {
		desc:     "§6#52 XHR withCredentials with ACAO *",
		request:  fetch.Request{Initiator: fetch.XHR, Credentials: fetch.Include},
		response: ok("Access-Control-Allow-Origin", "*"),
		want: outcome{id: fetch.WildcardOriginNotAllowed, console: xhrAtT + wildcard + sufX, firefox: "CORSNotSupportingCredentials",
			fixMentions: []string{"withCredentials = false"}},
	}, {
		desc:      "§6#53 POST with a stream body forces a preflight",
		request:   fetch.Request{Method: "POST", StreamBody: true, Header: hdr("Content-Type", "text/plain"), Body: []byte("x")},
		preflight: ok(),
		want:      outcome{preflight: true, id: fetch.PreflightMissingAllowOriginHeader, console: atT + pre + noACAO, firefox: "CORSMissingAllowOrigin2"},
	}, {
		desc:      "§6#53 XHR POST with an upload listener forces a preflight",
		request:   fetch.Request{Method: "POST", Initiator: fetch.XHR, UploadListener: true, Body: []byte("x")},
		preflight: ok(),
		want:      outcome{preflight: true, id: fetch.PreflightMissingAllowOriginHeader, console: xhrAtT + pre + noACAO, firefox: "CORSMissingAllowOrigin2"},
	},
}

func TestScenarios_matrix(t *testing.T) {
	for _, sc := range matrixScenarios {
		t.Run(sc.desc, func(t *testing.T) {
			t.Parallel()
			sc.run(t)
		})
	}
}

// Row 33 also pins the exact preflight: Accept, ACRM, ACRH sorted, lower
// case, joined without a space, Origin, and no credentials.
func TestScenarios_preflightShape(t *testing.T) {
	sc := matrixScenarios[0]
	for _, s := range matrixScenarios {
		if strings.HasPrefix(s.desc, "§6#33 ") {
			sc = s
		}
	}
	_, tr := sc.run(t)
	if len(tr.sent) != 2 {
		t.Fatalf("got %d requests; want 2", len(tr.sent))
	}
	pf := tr.sent[0]
	want := map[string]string{
		"Accept":                         "*/*",
		"Access-Control-Request-Method":  "PUT",
		"Access-Control-Request-Headers": "x-a,x-b",
		"Origin":                         O,
		"Sec-Fetch-Mode":                 "cors",
		"Sec-Fetch-Site":                 "same-site",
	}
	if pf.method != http.MethodOptions {
		t.Errorf("got method %s; want OPTIONS", pf.method)
	}
	for name, v := range want {
		if got := pf.header.Get(name); got != v {
			t.Errorf("preflight: got %s: %q; want %q", name, got, v)
		}
	}
	for _, name := range []string{"Cookie", "Authorization", "X-A", "X-B"} {
		if pf.header.Get(name) != "" {
			t.Errorf("preflight: got %s: %q; want none", name, pf.header.Get(name))
		}
	}
	actual := tr.sent[1]
	if actual.method != "PUT" || actual.header.Get("X-A") != "2" || actual.header.Get("Origin") != O {
		t.Errorf("actual request: got %s with header %v", actual.method, actual.header)
	}
}

// Row 43 and 46: the hop after a cross-origin redirect sends Origin: null.
func TestScenarios_taintedOrigin(t *testing.T) {
	for _, prefix := range []string{"§6#43 ", "§6#46 "} {
		for _, sc := range matrixScenarios {
			if !strings.HasPrefix(sc.desc, prefix) {
				continue
			}
			t.Run(sc.desc, func(t *testing.T) {
				res, tr := sc.run(t)
				var origins []string
				for _, s := range tr.sent {
					origins = append(origins, s.method+" "+s.url+" "+s.header.Get("Origin"))
				}
				last := tr.sent[len(tr.sent)-1]
				if last.url != T2 || last.header.Get("Origin") != "null" {
					t.Errorf("got requests %q; want the last to %s with Origin: null", origins, T2)
				}
				if n := len(res.Steps); n != len(tr.sent) {
					t.Errorf("got %d steps; want %d", n, len(tr.sent))
				}
			})
		}
	}
}
