package fetch_test

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

const (
	fileURL      = "file:///home/me/site/data.json"
	corsSchemes  = "Cross origin requests are only supported for protocol schemes: chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app."
	lnaDenied    = "Permission was denied for this request to access the `%s` address space."
	atT2Redirect = "Access to fetch at '" + T2 + "' (redirected from '" + T + "') from origin '" + O + "' has been blocked by CORS policy: "
)

func denied(space string) string { return strings.Replace(lnaDenied, "%s", space, 1) }

// contextScenarios are the requests whose verdict depends on the page's
// context, not on a response: rows 54 and 55 of browser-cors.md §6. The
// canned transport fails the test on any request it is not given an
// answer for, so the blocked rows also show that nothing is sent.
var contextScenarios = []scenario{
	{
		desc:    "§6#54 a file: page fetches a file: URL",
		request: fetch.Request{URL: fileURL, Origin: "null", PageScheme: "file"},
		want: outcome{id: fetch.CorsDisabledScheme,
			console:     "Access to fetch at '" + fileURL + "' from origin 'null' has been blocked by CORS policy: " + corsSchemes,
			firefox:     "CORSRequestNotHttp",
			firefoxText: "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + fileURL + ". (Reason: CORS request not http).",
			fixMentions: []string{"file:", "over http"}},
	}, {
		desc:    "§6#54 the same with XMLHttpRequest",
		request: fetch.Request{URL: fileURL, Origin: "null", PageScheme: "file", Initiator: fetch.XHR},
		want: outcome{id: fetch.CorsDisabledScheme, firefox: "CORSRequestNotHttp",
			console: "Access to XMLHttpRequest at '" + fileURL + "' from origin 'null' has been blocked by CORS policy: " + corsSchemes},
	}, {
		desc:     "a file: page fetches an http URL: CORS as usual, with Origin null",
		request:  fetch.Request{Origin: "null", PageScheme: "file"},
		response: ok("Access-Control-Allow-Origin", "*"),
		want:     outcome{allowed: true, responseType: fetch.Cors},
	}, {
		desc:     "§6#55 a public page fetches a loopback server",
		request:  fetch.Request{AddressSpace: fetch.PublicAddressSpace},
		response: ok("Access-Control-Allow-Origin", "*"),
		want: outcome{id: fetch.LocalNetworkAccessPermissionDenied, console: atT + denied("loopback"),
			fixMentions: []string{"nothing was sent", "Local Network Access"}},
	}, {
		desc:      "§6#55 a preflighted request is denied before its preflight",
		request:   fetch.Request{Method: "PUT", AddressSpace: fetch.PublicAddressSpace},
		preflight: ok("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"),
		response:  ok("Access-Control-Allow-Origin", "*"),
		want:      outcome{id: fetch.LocalNetworkAccessPermissionDenied, console: atT + denied("loopback")},
	}, {
		desc:     "§6#55 a public page fetches a server overridden as private",
		request:  fetch.Request{AddressSpace: fetch.PublicAddressSpace, TargetAddressSpace: fetch.LocalAddressSpace},
		response: ok("Access-Control-Allow-Origin", "*"),
		want:     outcome{id: fetch.LocalNetworkAccessPermissionDenied, console: atT + denied("local")},
	}, {
		desc:     "a local page fetches a loopback server",
		request:  fetch.Request{AddressSpace: fetch.LocalAddressSpace},
		response: ok("Access-Control-Allow-Origin", "*"),
		want:     outcome{id: fetch.LocalNetworkAccessPermissionDenied, console: atT + denied("loopback")},
	}, {
		desc:     "a loopback page fetches a loopback server",
		request:  fetch.Request{AddressSpace: fetch.LoopbackAddressSpace},
		response: ok("Access-Control-Allow-Origin", "*"),
		want:     outcome{allowed: true, responseType: fetch.Cors},
	}, {
		desc:    "a local page fetches a public server",
		request: fetch.Request{AddressSpace: fetch.LocalAddressSpace, URL: "http://203.0.113.7/api"},
		routes:  map[string]route{"http://203.0.113.7/api": {actual: ok("Access-Control-Allow-Origin", "*")}},
		want:    outcome{allowed: true, responseType: fetch.Cors},
	}, {
		desc:    "a public page fetches a host name: its space is unknown, so no check",
		request: fetch.Request{AddressSpace: fetch.PublicAddressSpace, URL: "http://api.example/x"},
		routes:  map[string]route{"http://api.example/x": {actual: ok("Access-Control-Allow-Origin", "*")}},
		want:    outcome{allowed: true, responseType: fetch.Cors},
	}, {
		desc:     "the spec engine has no Local Network Access",
		engine:   fetch.Spec,
		request:  fetch.Request{AddressSpace: fetch.PublicAddressSpace},
		response: ok("Access-Control-Allow-Origin", "*"),
		want:     outcome{allowed: true, responseType: fetch.Cors},
	}, {
		desc:    "a target overridden as public redirects to localhost: the next hop is checked on its own host",
		request: fetch.Request{AddressSpace: fetch.PublicAddressSpace, TargetAddressSpace: fetch.PublicAddressSpace},
		routes:  map[string]route{T: {actual: &resp{status: 302, header: hdr("Location", T2, "Access-Control-Allow-Origin", "*")}}},
		want:    outcome{id: fetch.LocalNetworkAccessPermissionDenied, console: atT2Redirect + denied("loopback")},
	},
}

func TestScenarios_pageContext(t *testing.T) {
	for _, sc := range contextScenarios {
		t.Run(sc.desc, func(t *testing.T) {
			t.Parallel()
			res, _ := sc.run(t)
			if !res.Allowed && sc.routes == nil && len(res.Steps) > 0 {
				t.Errorf("got %d steps; want nothing sent", len(res.Steps))
			}
		})
	}
}

func TestClassify_pageContextErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc string
		req  fetch.Request
		want string
	}{
		{"a file: URL from an http page", fetch.Request{URL: fileURL, Origin: O}, `invalid URL "` + fileURL + `"`},
		{"a file: page whose origin is not null", fetch.Request{URL: T, Origin: O, PageScheme: "file"}, `its origin is "null"`},
		{"an unknown page scheme", fetch.Request{URL: T, Origin: O, PageScheme: "ftp"}, `unsupported page scheme "ftp"`},
		{"a file: URL in mode no-cors", fetch.Request{URL: fileURL, Origin: "null", PageScheme: "file", Mode: fetch.NoCORS}, "mode cors only"},
		{"an unknown address space", fetch.Request{URL: T, Origin: O, AddressSpace: "private"}, `invalid address space "private"`},
		{"an unknown target address space", fetch.Request{URL: T, Origin: O, TargetAddressSpace: "intranet"}, `invalid address space "intranet"`},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			_, err := fetch.Chromium.Classify(tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestHostAddressSpace(t *testing.T) {
	t.Parallel()
	cases := []struct {
		host string
		want fetch.AddressSpace
	}{
		{"127.0.0.1", fetch.LoopbackAddressSpace},
		{"127.8.9.10", fetch.LoopbackAddressSpace},
		{"[::1]", fetch.LoopbackAddressSpace},
		{"::ffff:127.0.0.1", fetch.LoopbackAddressSpace},
		{"0.0.0.0", fetch.LoopbackAddressSpace},
		{"localhost", fetch.LoopbackAddressSpace},
		{"LOCALHOST.", fetch.LoopbackAddressSpace},
		{"app.localhost", fetch.LoopbackAddressSpace},
		{"10.1.2.3", fetch.LocalAddressSpace},
		{"172.16.0.1", fetch.LocalAddressSpace},
		{"172.32.0.1", fetch.PublicAddressSpace},
		{"192.168.1.1", fetch.LocalAddressSpace},
		{"169.254.169.254", fetch.LocalAddressSpace},
		{"100.64.0.1", fetch.LocalAddressSpace},
		{"fd00::1", fetch.LocalAddressSpace},
		{"fe80::1", fetch.LocalAddressSpace},
		{"8.8.8.8", fetch.PublicAddressSpace},
		{"2001:4860:4860::8888", fetch.PublicAddressSpace},
		{"api.example.com", ""},
		{"notlocalhost", ""},
	}
	for _, tc := range cases {
		if got := fetch.HostAddressSpace(tc.host); got != tc.want {
			t.Errorf("HostAddressSpace(%q): got %q; want %q", tc.host, got, tc.want)
		}
	}
}
