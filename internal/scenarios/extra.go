package scenarios

import (
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/fetch"
)

// Extra returns the cases the reference lists as worth adding to its
// matrix (browser-cors.md §6, "Still worth adding"), and a few more on
// Chromium's departures. The origin.htm values are in [WPT].
func Extra(env Env) []Case {
	T := env.Target
	put := fetch.Request{Method: "PUT"}
	digits := strings.Repeat("1", 128)
	// Safelisted one by one, more than 1024 bytes together: every
	// safelisted name becomes unsafe (https://fetch.spec.whatwg.org/#cors-unsafe-request-header-names).
	big := H("Accept", strings.Repeat("a", 128), "Accept-Language", strings.Repeat("b", 128), "Content-Language", strings.Repeat("c", 128),
		"Content-Type", "text/plain;a="+strings.Repeat("d", 115), "Dpr", digits, "Width", digits, "Viewport-Width", digits, "Rtt", digits, "Device-Memory", digits)
	cases := []Case{
		{Name: "extra: Content-Type of 129 bytes forces a preflight",
			Request: fetch.Request{Method: "POST", Header: H("Content-Type", "text/plain;a="+strings.Repeat("x", 116)), Body: []byte("x")},
			Routes:  at(T, OK(acao, "*"), nil)},
		{Name: "extra: Content-Type of 128 bytes needs no preflight",
			Request: fetch.Request{Method: "POST", Header: H("Content-Type", "text/plain;a="+strings.Repeat("x", 115)), Body: []byte("x")},
			Routes:  at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: safelisted headers of more than 1024 bytes together force a preflight",
			Request: fetch.Request{Header: big}, Routes: at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: safelisted headers of more than 1024 bytes allowed by ACAH *",
			Request: fetch.Request{Header: big}, Routes: at(T, OK(acao, "*", acah, "*"), OK(acao, "*"))},
		{Name: "extra: two refused headers", Request: fetch.Request{Header: H("X-B", "1", "X-A", "1")}, Routes: at(T, OK(acao, "*"), nil)},
		{Name: "extra: three refused headers", Request: fetch.Request{Header: H("X-Zeta", "1", "X-Alpha", "1", "Content-Type", "application/json")}, Routes: at(T, OK(acao, "*"), nil)},
		{Name: "extra: Chromium safelists DPR", Request: fetch.Request{Header: H("DPR", "2")}, Routes: at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: Chromium safelists Device-Memory and Save-Data", Request: fetch.Request{Header: H("Device-Memory", "0.5", "Save-Data", "on")},
			Routes: at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: DPR with a bad value is not safelisted", Request: fetch.Request{Header: H("DPR", "2x")}, Routes: at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: Range bytes=0- needs no preflight", Request: fetch.Request{Header: H("Range", "bytes=0-")}, Routes: at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: Range bytes=-500 forces a preflight", Request: fetch.Request{Header: H("Range", "bytes=-500")}, Routes: at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: Authorization with ACAH * and credentials", Request: fetch.Request{Header: H("Authorization", "Bearer x"), Credentials: fetch.Include},
			Routes: at(T, OK(acao, env.Origin, acac, "true", acah, "*"), OK(acao, env.Origin, acac, "true"))},
		{Name: "extra: Authorization with ACAH *, authorization", Request: fetch.Request{Header: H("Authorization", "Bearer x")},
			Routes: at(T, OK(acao, "*", acah, "*, authorization"), OK(acao, "*"))},
		{Name: "extra: preflight 206 passes", Request: put, Routes: at(T, Status(206, acao, "*", acam, "PUT"), OK(acao, "*"))},
		{Name: "extra: Max-Age -1 caches nothing", Request: put,
			Routes: at(T, OK(acao, "*", acam, "PUT", acma, "-1"), OK(acao, "*")), Then: []Next{{Request: put}}},
		{Name: "extra: Max-Age abc caches for 5 s", Request: put,
			Routes: at(T, OK(acao, "*", acam, "PUT", acma, "abc"), OK(acao, "*")), Then: []Next{{Request: put}}},
		{Name: "extra: a failed preflight clears the cache entry", Request: put,
			Routes: at(T, OK(acao, "*", acam, "PUT", acma, "600"), OK(acao, "*")),
			Then:   []Next{{Request: fetch.Request{Method: "PUT", Header: H("X-A", "1")}}, {Request: put}}},
		{Name: "extra: XHR with a forbidden header", Request: fetch.Request{Initiator: fetch.XHR, Header: H("Cookie", "a=b", "X-A", "1")},
			Routes: at(T, OK(acao, "*", acah, "x-a"), OK(acao, "*"))},
		{Name: "extra: forbidden headers are dropped silently", Request: fetch.Request{Header: H("Cookie", "a=b", "Proxy-Foo", "1", "Sec-Foo", "1")},
			Routes: at(T, OK(acao, "*"), OK(acao, "*"))},
		{Name: "extra: XHR PUT refused by the preflight", Request: fetch.Request{Method: "PUT", Initiator: fetch.XHR},
			Routes: at(T, OK(acao, "*"), nil)},
		{Name: "extra: XHR credentialed GET without ACAC", Request: fetch.Request{Initiator: fetch.XHR, Credentials: fetch.Include},
			Routes: at(T, nil, OK(acao, env.Origin))},
		{Name: "extra: XHR GET with another origin in ACAO", Request: fetch.Request{Initiator: fetch.XHR}, Routes: at(T, nil, OK(acao, "http://example.com"))},
		{Name: "extra: error status with ACAO is readable", Routes: at(T, nil, Status(500, acao, "*"))},
		{Name: "extra: error status without ACAO", Routes: at(T, nil, Status(401))},
		{Name: "extra: GET with a body throws", Request: fetch.Request{Body: []byte("x")}, Routes: at(T, nil, OK(acao, "*"))},
		{Name: "extra: forbidden method throws", Request: fetch.Request{Method: "TRACE"}, Routes: at(T, nil, OK(acao, "*"))},
		{Name: "extra: HEAD with ACAO *", Request: fetch.Request{Method: "HEAD"}, Routes: at(T, nil, OK(acao, "*"))},
	}
	// 301, 302 and 303 turn a POST into a GET; 307 and 308 keep it
	// (https://fetch.spec.whatwg.org/#http-redirect-fetch, step 12).
	for _, s := range []int{301, 302, 303, 307, 308} {
		cases = append(cases, Case{
			Name:    "extra: POST redirected with " + strconv.Itoa(s),
			Request: fetch.Request{Method: "POST", Header: H("Content-Type", "text/plain"), Body: []byte("x")},
			Routes: map[string]Route{
				T:           {Actual: Redirect(s, T+"/next", acao, "*")},
				T + "/next": {Actual: OK(acao, "*")},
			},
		})
	}
	// A chain of n redirects on the target's origin.
	chain := func(n int) map[string]Route {
		r := map[string]Route{}
		u := T
		for i := 1; i <= n; i++ {
			next := T + "/" + strconv.Itoa(i)
			r[u] = Route{Actual: Redirect(302, next, acao, "*")}
			u = next
		}
		r[u] = Route{Actual: OK(acao, "*")}
		return r
	}
	cases = append(cases,
		Case{Name: "extra: 20 redirects are followed", Routes: chain(20)},
		Case{Name: "extra: 21 redirects are too many", Routes: chain(21)},
	)
	return cases
}
