package scenarios

import (
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/fetch"
)

// WPT returns rows derived from web-platform-tests (web-platform-tests/wpt),
// written afresh: each row's name starts with the WPT file it comes from,
// and WPT holds what that test asserts. The WPT servers are modelled as
// the canned responses their query strings ask for.
func WPT(env Env) []Case {
	var cs []Case
	cs = append(cs, wptPreflightStar(env)...)
	cs = append(cs, wptNoPreflight(env)...)
	cs = append(cs, wptPreflightStatus(env)...)
	cs = append(cs, wptNotSafelisted(env)...)
	cs = append(cs, wptSafelisted(env)...)
	cs = append(cs, wptOrigin(env)...)
	cs = append(cs, wptPreflightRedirect(env)...)
	cs = append(cs, wptReadable(env)...)
	return cs
}

// preflightPy is what fetch/api/resources/preflight.py answers: ACAO *
// (or the origin and ACAC true with credentials), and on OPTIONS the
// allowed methods and headers and the status asked for.
func preflightPy(env Env, creds bool, status int, allowMethods, allowHeaders *string) map[string]Route {
	base := []string{acao, "*"}
	if creds {
		base = []string{acao, env.Origin, acac, "true"}
	}
	pf := append([]string{}, base...)
	if allowMethods != nil {
		pf = append(pf, acam, *allowMethods)
	}
	if allowHeaders != nil {
		pf = append(pf, acah, *allowHeaders)
	}
	return at(env.Target, Status(status, pf...), OK(base...))
}

func str(s string) *string { return &s }

// fetch/api/cors/cors-preflight-star.any.js: preflightTest(succeeds,
// withCredentials, allowMethod, allowHeader, useMethod, useHeader).
func wptPreflightStar(env Env) []Case {
	star := func(succeeds, creds bool, allowMethod, allowHeader, method string, header ...string) Case {
		req := fetch.Request{Method: method, Header: H(header...)}
		if creds {
			req.Credentials = fetch.Include
		}
		return Case{
			Name:    "wpt cors-preflight-star.any.js: creds=" + strconv.FormatBool(creds) + " " + method + " " + strings.Join(header, ":") + " allow " + allowMethod + " / " + allowHeader,
			Request: req, Routes: preflightPy(env, creds, 200, str(allowMethod), str(allowHeader)),
			WPT: &Expect{OK: succeeds, Preflight: true},
		}
	}
	return []Case{
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
	}
}

// fetch/api/cors/cors-no-preflight.any.js: safelisted methods and headers
// send no preflight.
func wptNoPreflight(env Env) []Case {
	row := func(method, name, value string) Case {
		req := fetch.Request{Method: method}
		if name != "" {
			req.Header = H(name, value)
		}
		return Case{Name: "wpt cors-no-preflight.any.js: " + method + " " + name + ": " + value,
			Request: req, Routes: preflightPy(env, false, 200, nil, nil), WPT: &Expect{OK: true}}
	}
	return []Case{
		row("GET", "", ""), row("POST", "", ""), row("HEAD", "", ""),
		row("GET", "Accept", "*/*"), row("GET", "Accept-Language", "fr"), row("GET", "Content-Language", "fr"),
		row("GET", "Content-Type", "application/x-www-form-urlencoded"), row("GET", "Content-Type", "multipart/form-data"),
		row("GET", "Content-Type", "text/plain"), row("GET", "Content-Type", "text/plain;charset=utf-8"),
		row("GET", "Content-Type", "Text/Plain;charset=utf-8"),
	}
}

// fetch/api/cors/cors-preflight-status.any.js: a preflight passes only
// with an ok status.
func wptPreflightStatus(env Env) []Case {
	var cs []Case
	for _, s := range []int{200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 306, 307, 308,
		400, 401, 402, 403, 404, 405, 501, 502, 503, 504, 505} {
		cs = append(cs, Case{Name: "wpt cors-preflight-status.any.js: " + strconv.Itoa(s),
			Request: fetch.Request{Header: H("x-force-preflight", "")},
			Routes:  preflightPy(env, false, s, nil, str("x-force-preflight")),
			WPT:     &Expect{OK: s/100 == 2, Preflight: true}})
	}
	return cs
}

// fetch/api/cors/resources/not-cors-safelisted.json, used by
// cors-preflight-not-cors-safelisted.any.js: each header forces a
// preflight, which allows it.
func wptNotSafelisted(env Env) []Case {
	long := "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678"
	pairs := [][2]string{
		{"accept", `"`}, {"accept", long}, {"accept-language", "\x01"}, {"accept-language", "@"},
		{"authorization", "basics"}, {"content-language", "\x01"}, {"content-language", "@"},
		{"content-type", "text/html"},
		{"content-type", "text/plain; long=0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901"},
		{"last-event-id", `"`}, {"last-event-id", long}, {"range", "bytes 0-"}, {"test", "hi"},
	}
	var cs []Case
	for _, p := range pairs {
		cs = append(cs, Case{Name: "wpt cors-preflight-not-cors-safelisted.any.js: " + p[0] + ": " + strconv.Quote(p[1]),
			Request: fetch.Request{Header: H(p[0], p[1])},
			Routes:  preflightPy(env, false, 200, nil, str(p[0])),
			WPT:     &Expect{OK: true, Preflight: true}})
	}
	return cs
}

// SafelistRows are the Content-Type and Range values of
// cors/cors-safelisted-request-header.any.js; Preflight reports that the
// value is not safelisted.
var SafelistRows = []struct {
	Name, Value string
	Preflight   bool
}{
	{"content-type", "text /plain", true},
	{"content-type", "text\t/\tplain", true},
	{"content-type", "text/plain;", false},
	{"content-type", "text/plain;garbage", false},
	{"content-type", "text/plain;garbage\x01\x02", true},
	{"content-type", "text/plain,", true},
	{"content-type", ",text/plain", true},
	{"content-type", "text/plain,text/plain", true},
	{"content-type", "text/plain,x/x", true},
	{"content-type", "text/plain\x0B", true},
	{"content-type", "text/plain\x0C", true},
	{"content-type", "application/www-form-urlencoded", true},
	{"content-type", "application/x-www-form-urlencoded;\x7F", true},
	{"content-type", "multipart/form-data", false},
	{"content-type", "multipart/form-data;\"", true},
	{"range", "100-200", true},
	{"range", "MB=100-200", true},
	{"range", "bytes=100-200", false},
	{"range", "bytes =100-200", true},
	{"range", "bytes\t=100-200", true},
	{"range", "bytes=  100-200", true},
	{"range", "bytes=\t\t100-200", true},
	{"range", "bytes= \t100-200", true},
	{"range", "bytes=100 -200", true},
	{"range", "bytes=100\t-200", true},
	{"range", "bytes=100- 200", true},
	{"range", "bytes=100-\t200", true},
	{"range", "bytes=100-200hello", true},
	{"range", "bytes=abc-def", true},
	{"range", "bytes=100-200,300-400", true},
	{"range", "bytes=-200", true},
	{"range", "bytes=200-", false},
	{"range", "bytes=200-100", true},
	{"range", "bytes=1" + strings.Repeat("0", 60) + "-2" + strings.Repeat("0", 60), true},
	{"range", "bytes 100-200", true},
	{"range", "bytes = 100-200", true},
	{"range", ",bytes=100-200", true},
	{"range", "bytes=,100-200", true},
}

// cors/cors-safelisted-request-header.any.js, as requests: the preflight
// allows the header, so the request passes either way, and only whether a
// preflight goes out tells the values apart.
func wptSafelisted(env Env) []Case {
	var cs []Case
	for _, r := range SafelistRows {
		cs = append(cs, Case{Name: "wpt cors-safelisted-request-header.any.js: " + r.Name + ": " + strconv.Quote(r.Value),
			Request: fetch.Request{Header: H(r.Name, r.Value)},
			Routes:  preflightPy(env, false, 200, nil, str(r.Name)),
			WPT:     &Expect{OK: true, Preflight: r.Preflight}})
	}
	return cs
}

// OriginValues are the Access-Control-Allow-Origin values of cors/origin.htm
// for a page at origin o (an http origin with a port) and the page's URL
// href: the ones a request accepts (pass), refuses (fail), and the pairs of
// header lines it refuses (double).
func OriginValues(o, href string) (pass, fail []string, double [][2]string) {
	host := strings.TrimPrefix(o, "http://")
	name, port, _ := strings.Cut(host, ":")
	pass = []string{"*", " *  ", "\t*", o, " " + o, " " + o + "   \t ", "\t" + o}
	fail = []string{
		"http://www." + host, "//" + host, "://" + host, "ftp://" + host, "http:://" + host,
		"http:/" + host, "http:" + host, host, o + "?", o + "/", o + " /", o + "#",
		o + "%23", o + ":80", o + ", *", o + "\x00", strings.ToUpper(o), "HTTP://" + host,
		"-", "**", "\x00*", "*\x00", "'*'", `"*"`, "* *", "* null", "*http://*", "*" + o,
		"* " + o, "*, " + o, "\x00" + o, "null " + o, "http://example.net", "null",
		"null *", "", href, o + "/cors/", "http://www1." + host + "/", name[strings.LastIndexByte(name, '.')+1:] + ":" + port,
		"." + name + ":" + port, "*." + name + ":" + port, "http://" + name[strings.LastIndexByte(name, '.')+1:] + ":" + port,
		"http://." + name + ":" + port, "http://*." + name + ":" + port,
	}
	double = [][2]string{{"", "*"}, {"*", ""}, {"*", "*"}, {"", o}, {"*", o}, {o, o}}
	return pass, fail, double
}

// cors/origin.htm: an XMLHttpRequest GET whose response carries the
// Access-Control-Allow-Origin value(s) of the row.
func wptOrigin(env Env) []Case {
	pass, fail, double := OriginValues(env.Origin, env.Origin+"/cors/origin.htm")
	var cs []Case
	row := func(desc string, ok bool, values ...string) {
		var kv []string
		for _, v := range values {
			kv = append(kv, acao, v)
		}
		cs = append(cs, Case{Name: "wpt cors/origin.htm: " + desc, Request: fetch.Request{Initiator: fetch.XHR},
			Routes: at(env.Target, nil, OK(kv...)), WPT: &Expect{OK: ok}})
	}
	for _, v := range pass {
		row("shouldPass("+strconv.Quote(v)+")", true, v)
	}
	for _, v := range fail {
		row("shouldFail("+strconv.Quote(v)+")", false, v)
	}
	for _, d := range double {
		row("doubleOrigin("+strconv.Quote(d[0])+", "+strconv.Quote(d[1])+")", false, d[0], d[1])
	}
	return cs
}

// fetch/api/cors/cors-preflight-redirect.any.js: a redirected preflight
// fails, whatever the redirect status.
func wptPreflightRedirect(env Env) []Case {
	var cs []Case
	for _, s := range []int{301, 302, 303, 307, 308} {
		cs = append(cs, Case{Name: "wpt cors-preflight-redirect.any.js: " + strconv.Itoa(s), Request: fetch.Request{Method: "PUT"},
			Routes: at(env.Target, Redirect(s, env.Target2, acao, "*", acam, "PUT"), OK(acao, "*")),
			WPT:    &Expect{OK: false, Preflight: true}})
	}
	return cs
}

// fetch/api/cors/cors-expose-star.sub.any.js, cors-filtering.sub.any.js and
// cors/resources/access-control-expose-headers.json: which response
// headers a script reads.
func wptReadable(env Env) []Case {
	row := func(desc string, creds bool, kv ...string) Case {
		base := []string{acao, "*"}
		req := fetch.Request{}
		if creds {
			base = []string{acao, env.Origin, acac, "true"}
			req.Credentials = fetch.Include
		}
		return Case{Name: "wpt " + desc, Request: req, Routes: at(env.Target, nil, OK(append(base, kv...)...)), WPT: &Expect{OK: true}}
	}
	return []Case{
		row("cors-filtering.sub.any.js: safelisted headers are readable, others hidden", false,
			"Cache-Control", "no-cache", "Content-Language", "fr", "Content-Type", "text/plain",
			"Expires", "0", "Last-Modified", "x", "Pragma", "no-cache", "Age", "1", "Server", "s", "Warning", "w", "Set-Cookie", "a=b"),
		row("cors-filtering.sub.any.js: exposed headers are readable, Set-Cookie and Set-Cookie2 never", false,
			"Age", "1", "Server", "s", "Set-Cookie", "a=b", "Set-Cookie2", "c=d", aceh, "age, server, set-cookie, set-cookie2"),
		row("cors-expose-star.sub.any.js: * exposes all but Set-Cookie without credentials", false, aceh, "*", "X-A", "1", "Set-Cookie", "a=b"),
		row("cors-expose-star.sub.any.js: with credentials * is a literal name", true, aceh, "*", "X-A", "1", "Content-Type", "t/p"),
		row("cors-expose-star.sub.any.js: set-cookie,* still hides Set-Cookie", false, aceh, "set-cookie,*", "X-A", "1", "Set-Cookie", "a=b"),
		row("access-control-expose-headers.json: an invalid item exposes nothing", false, aceh, "bb-8, no no", "Bb-8", "1"),
		row("access-control-expose-headers.json: quotes are token bytes", false, aceh, "'bb-8',bb-8", "Bb-8", "1"),
		row("access-control-expose-headers.json: empty items are allowed", false, aceh, ",bb-8,,", "Bb-8", "1"),
	}
}
