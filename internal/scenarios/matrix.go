package scenarios

import (
	"strings"
	"time"

	"github.com/crossgate/crossgate/fetch"
)

const (
	acao = "Access-Control-Allow-Origin"
	acac = "Access-Control-Allow-Credentials"
	acam = "Access-Control-Allow-Methods"
	acah = "Access-Control-Allow-Headers"
	aceh = "Access-Control-Expose-Headers"
	acma = "Access-Control-Max-Age"
)

// withUserinfo returns u with "u:p@" before its host.
func withUserinfo(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	return scheme + "://u:p@" + rest
}

// Matrix returns the scenario matrix of the reference (browser-cors.md §6),
// rows 1 to 53; "§6#n" names the row. Rows 54 (a file: page) and 55 (Local
// Network Access) need a page other than the suite's, or a browser started
// with other flags: fetch's context_test.go and e2e's context_test.go run
// them.
func Matrix(env Env) []Case {
	O, T, T2 := env.Origin, env.Target, env.Target2
	put := fetch.Request{Method: "PUT"}
	return []Case{
		{Name: "§6#1 GET without ACAO", Routes: at(T, nil, OK())},
		{Name: "§6#2 GET with ACAO *", Routes: at(T, nil, OK(acao, "*"))},
		{Name: "§6#3 credentialed GET with ACAO *", Request: fetch.Request{Credentials: fetch.Include}, Routes: at(T, nil, OK(acao, "*"))},
		{Name: "§6#4 GET with another origin in ACAO", Routes: at(T, nil, OK(acao, "http://example.com"))},
		{Name: "§6#5 GET with ACAO sent twice", Routes: at(T, nil, OK(acao, O, acao, O))},
		{Name: "§6#6 GET with ACAO foo", Routes: at(T, nil, OK(acao, "foo"))},
		{Name: "§6#7 GET with ACAO null", Routes: at(T, nil, OK(acao, "null"))},
		{Name: "§6#8 GET with a trailing slash in ACAO", Routes: at(T, nil, OK(acao, O+"/"))},
		{Name: "§6#9 GET with a padded ACAO", Routes: at(T, nil, OK(acao, "   "+O+"  "))},
		{Name: "§6#10 GET with a raw 0xE9 byte in ACAO", Routes: at(T, nil, OK(acao, "http://\xe9.example"))},
		{Name: "§6#11 credentialed GET without ACAC", Request: fetch.Request{Credentials: fetch.Include}, Routes: at(T, nil, OK(acao, O))},
		{Name: "§6#12 credentialed GET with ACAC True", Request: fetch.Request{Credentials: fetch.Include}, Routes: at(T, nil, OK(acao, O, acac, "True"))},
		{Name: "§6#13 credentialed GET with ACAC true", Request: fetch.Request{Credentials: fetch.Include}, Routes: at(T, nil, OK(acao, O, acac, "true"))},
		{Name: "§6#14 PUT with a bare preflight response", Request: put, Routes: at(T, OK(), nil)},
		{Name: "§6#15 DELETE with a 500 preflight without ACAO: ACAO is checked before the status", Request: fetch.Request{Method: "DELETE"}, Routes: at(T, Status(500), nil)},
		{Name: "§6#16 PUT with a 404 preflight", Request: put, Routes: at(T, Status(404, acao, "*", acam, "PUT"), nil)},
		{Name: "§6#17 PUT with a redirected preflight", Request: put, Routes: at(T, Redirect(302, T2, acao, "*"), nil)},
		{Name: "§6#18 DELETE allowed by a 204 preflight", Request: fetch.Request{Method: "DELETE"}, Routes: at(T, Status(204, acao, "*", acam, "DELETE"), OK(acao, "*"))},
		{Name: "§6#19 PUT without ACAM", Request: put, Routes: at(T, OK(acao, "*"), nil)},
		{Name: "§6#20 PUT with ACAM put", Request: put, Routes: at(T, OK(acao, "*", acam, "put"), nil)},
		{Name: "§6#21 patch is not normalized, ACAM PATCH does not allow it", Request: fetch.Request{Method: "patch"}, Routes: at(T, OK(acao, "*", acam, "PATCH"), nil)},
		{Name: "§6#22 credentialed PUT with ACAM *: the star is literal", Request: fetch.Request{Method: "PUT", Credentials: fetch.Include},
			Routes: at(T, OK(acao, O, acac, "true", acam, "*"), nil)},
		{Name: "§6#23 SUPER allowed by ACAM *", Request: fetch.Request{Method: "SUPER"}, Routes: at(T, OK(acao, "*", acam, "*"), OK(acao, "*"))},
		{Name: "§6#24 ACAM with a space-separated list", Request: put, Routes: at(T, OK(acao, "*", acam, "PUT PATCH"), nil)},
		{Name: "§6#25 X-Foo without ACAH", Request: fetch.Request{Header: H("X-Foo", "1")}, Routes: at(T, OK(acao, "*"), nil)},
		{Name: "§6#26 ACAH matches case-insensitively", Request: fetch.Request{Header: H("x-foo", "1")}, Routes: at(T, OK(acao, "*", acah, "X-FOO"), OK(acao, "*"))},
		{Name: "§6#27 ACAH with a space inside a name", Request: fetch.Request{Header: H("X-Foo", "1")}, Routes: at(T, OK(acao, "*", acah, "x foo"), nil)},
		{Name: "§6#28 Authorization covered by ACAH * in Chromium, with a deprecation warning", Request: fetch.Request{Header: H("Authorization", "Bearer x")},
			Routes: at(T, OK(acao, "*", acah, "*"), OK(acao, "*"))},
		{Name: "§6#29 credentialed X-Test with ACAH *: the star is literal", Request: fetch.Request{Header: H("X-Test", "1"), Credentials: fetch.Include},
			Routes: at(T, OK(acao, O, acac, "true", acah, "*"), nil)},
		{Name: "§6#30 POST application/json", Request: fetch.Request{Method: "POST", Header: H("Content-Type", "application/json"), Body: []byte("{}")},
			Routes: at(T, OK(acao, "*"), nil)},
		{Name: "§6#31 POST text/plain;charset=utf-8 needs no preflight", Request: fetch.Request{Method: "POST", Header: H("Content-Type", "text/plain;charset=utf-8"), Body: []byte("x")},
			Routes: at(T, nil, OK(acao, "*"))},
		{Name: "§6#32 Accept-Language of 129 bytes forces a preflight", Request: fetch.Request{Header: H("Accept-Language", strings.Repeat("a", 129))},
			Routes: at(T, OK(acao, "*"), nil)},
		{Name: "§6#33 PUT with X-B, X-A and Accept", Request: fetch.Request{Method: "PUT", Header: H("X-B", "1", "X-A", "2", "Accept", "*/*")},
			Routes: at(T, OK(acao, "*", acam, "PUT", acah, "x-b, X-A"), OK(acao, "*"))},
		{Name: "§6#34 PUT whose actual response lacks ACAO", Request: put, Routes: at(T, OK(acao, "*", acam, "PUT"), OK())},
		{Name: "§6#35 credentialed PUT, preflight without ACAC", Request: fetch.Request{Method: "PUT", Credentials: fetch.Include},
			Routes: at(T, OK(acao, O, acam, "PUT"), nil)},
		{Name: "§6#36 credentialed PUT, preflight with ACAO *", Request: fetch.Request{Method: "PUT", Credentials: fetch.Include},
			Routes: at(T, OK(acao, "*", acam, "PUT"), nil)},
		{Name: "§6#37 PUT, preflight allows another origin", Request: put, Routes: at(T, OK(acao, "http://example.com"), nil)},
		{Name: "§6#38 PUT, preflight with ACAO foo", Request: put, Routes: at(T, OK(acao, "foo"), nil)},
		{Name: "§6#39 PUT, preflight with ACAO * twice", Request: put, Routes: at(T, OK(acao, "*", acao, "*"), nil)},
		{Name: "§6#40 Max-Age 600 serves the second PUT, a new header needs a new preflight", Request: put,
			Routes: at(T, OK(acao, O, acam, "PUT", acma, "600"), OK(acao, O, acam, "PUT", acma, "600")),
			Then:   []Next{{Request: put}, {Request: fetch.Request{Method: "PUT", Header: H("X-New", "1")}}}},
		{Name: "§6#41 without Max-Age a preflight lives 5 s", Request: put,
			Routes: at(T, OK(acao, O, acam, "PUT"), OK(acao, O, acam, "PUT")),
			Then:   []Next{{Wait: 3 * time.Second, Request: put}, {Wait: 3 * time.Second, Request: put}}},
		{Name: "§6#42 a credentialed entry serves both kinds of request", Request: put,
			Routes: at(T, OK(acao, O, acac, "true", acam, "PUT", acma, "600"), OK(acao, O, acac, "true", acam, "PUT", acma, "600")),
			Then: []Next{
				{Request: fetch.Request{Method: "PUT", Credentials: fetch.Include}},
				{Request: fetch.Request{Method: "PUT", Credentials: fetch.Include}},
				{Request: put},
			}},
		{Name: "§6#43 GET redirected across origins: the second hop sees Origin: null", Routes: map[string]Route{
			T:  {Actual: Redirect(302, T2, acao, "*")},
			T2: {Actual: OK(acao, O)},
		}},
		{Name: "§6#44 GET redirected, the redirect itself lacks ACAO", Routes: map[string]Route{
			T:  {Actual: Redirect(302, T2)},
			T2: {Actual: OK(acao, "*")},
		}},
		{Name: "§6#45 GET redirected to a URL with userinfo", Routes: map[string]Route{
			T: {Actual: Redirect(302, withUserinfo(T)+"2", acao, "*")},
		}},
		{Name: "§6#46 PUT redirected across origins: a second preflight with Origin: null", Request: put, Routes: map[string]Route{
			T:  {Preflight: OK(acao, "*", acam, "PUT"), Actual: Redirect(302, T2, acao, "*")},
			T2: {Preflight: OK(acao, "*", acam, "PUT"), Actual: OK(acao, "*")},
		}},
		{Name: "§6#47 no-cors GET gives an opaque response", Request: fetch.Request{Mode: fetch.NoCORS, Header: H("X-Foo", "1")}, Routes: at(T, nil, OK("X-Bar", "1"))},
		{Name: "§6#48 no-cors PUT throws before anything is sent", Request: fetch.Request{Method: "PUT", Mode: fetch.NoCORS}, Routes: at(T, nil, OK())},
		{Name: "§6#49 same-origin mode to another origin", Request: fetch.Request{Mode: fetch.SameOriginMode}, Routes: at(T, nil, OK(acao, "*"))},
		{Name: "§6#50 credentialed GET with ACEH *: the star is literal", Request: fetch.Request{Credentials: fetch.Include},
			Routes: at(T, nil, OK(acao, O, acac, "true", aceh, "*", "X-Hidden", "1", "Content-Type", "text/plain"))},
		{Name: "§6#51 GET with ACEH *: all but Set-Cookie", Routes: at(T, nil, OK(acao, "*", aceh, "*", "X-Shown", "1", "Set-Cookie", "a=b"))},
		{Name: "§6#52 XHR withCredentials with ACAO *", Request: fetch.Request{Initiator: fetch.XHR, Credentials: fetch.Include}, Routes: at(T, nil, OK(acao, "*"))},
		{Name: "§6#53 POST with a stream body forces a preflight", Request: fetch.Request{Method: "POST", StreamBody: true, Header: H("Content-Type", "text/plain"), Body: []byte("x")},
			Routes: at(T, OK(), nil)},
		{Name: "§6#53 XHR POST with an upload listener forces a preflight", Request: fetch.Request{Method: "POST", Initiator: fetch.XHR, UploadListener: true, Body: []byte("x")},
			Routes: at(T, OK(), nil)},
	}
}
