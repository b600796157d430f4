package origin_test

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/origin"
)

var parseCases = []struct {
	in   string
	want origin.Origin
	ok   bool
}{
	{"https://example.com", origin.Origin{Scheme: "https", Host: "example.com"}, true},
	{"http://localhost:3000", origin.Origin{Scheme: "http", Host: "localhost", Port: 3000}, true},
	{"http://127.0.0.1:65535", origin.Origin{Scheme: "http", Host: "127.0.0.1", Port: 65535}, true},
	{"https://[2001:db8::1]:8443", origin.Origin{Scheme: "https", Host: "[2001:db8::1]", Port: 8443}, true},
	{"chrome-extension://abcdef", origin.Origin{Scheme: "chrome-extension", Host: "abcdef"}, true},
	{"https://xn--bcher-kva.example", origin.Origin{Scheme: "https", Host: "xn--bcher-kva.example"}, true},
	{"null", origin.Origin{}, false},
	{"", origin.Origin{}, false},
	{"https://", origin.Origin{}, false},
	{"https://example.com/", origin.Origin{}, false},
	{"https://example.com:", origin.Origin{}, false},
	{"https://example.com:0", origin.Origin{}, false},
	{"https://example.com:080", origin.Origin{}, false},
	{"https://example.com:65536", origin.Origin{}, false},
	{"https://Example.com", origin.Origin{}, false},
	{"HTTPS://example.com", origin.Origin{}, false},
	{"https://exa mple.com", origin.Origin{}, false},
	{"https://a..b", origin.Origin{}, false},
	{"https://.example.com", origin.Origin{}, false},
	{"https://example.com.", origin.Origin{}, false},
	{"https://user@example.com", origin.Origin{}, false},
	{"https://[::1", origin.Origin{}, false},
	{"https://[::G]", origin.Origin{}, false},
	{"https://[::1]x", origin.Origin{}, false},
	{"https://[fe80::1%25eth0]", origin.Origin{}, false},
	{"//example.com", origin.Origin{}, false},
	{"https://" + strings.Repeat("a", 64) + ".com", origin.Origin{}, false},
	{"https://" + strings.Repeat("a.", 127) + "aa", origin.Origin{}, false},
	{"https://" + strings.Repeat("a", 64<<10), origin.Origin{}, false},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		got, ok := origin.Parse(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %t; want %+v, %t", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

var patternCases = []struct {
	in   string
	want origin.Pattern
	hint string // for refused patterns: the hint, if any
	ok   bool
}{
	{in: "https://example.com", want: origin.Pattern{Scheme: "https", Host: "example.com"}, ok: true},
	{in: "https://*.example.com", want: origin.Pattern{Scheme: "https", Host: "example.com", Subdomains: true}, ok: true},
	{in: "http://localhost:*", want: origin.Pattern{Scheme: "http", Host: "localhost", Port: origin.AnyPort}, ok: true},
	{in: "https://*.example.com:*", want: origin.Pattern{Scheme: "https", Host: "example.com", Subdomains: true, Port: origin.AnyPort}, ok: true},
	{in: "https://example.com:8443", want: origin.Pattern{Scheme: "https", Host: "example.com", Port: 8443}, ok: true},
	{in: "https://[2001:db8::1]", want: origin.Pattern{Scheme: "https", Host: "[2001:db8::1]"}, ok: true},
	{in: "http://192.0.2.1:8080", want: origin.Pattern{Scheme: "http", Host: "192.0.2.1", Port: 8080}, ok: true},
	{in: "https://example.com/", hint: "https://example.com"},
	{in: "https://example.com:443", hint: "https://example.com"},
	{in: "HTTPS://EXAMPLE.COM", hint: "https://example.com"},
	{in: "example.com", hint: "https://example.com"},
	{in: "https://user@example.com", hint: "https://example.com"},
	{in: "https://[2001:DB8::1]", hint: "https://[2001:db8::1]"},
	{in: "https://[2001:0db8::1]", hint: "[2001:db8::1]"},
	{in: "https://example.com:0080", hint: "https://example.com:80"},
	{in: "https://bücher.example", hint: "punycode"},
	{in: "https://*.192.0.2.1"},
	{in: "https://*.[::1]"},
	{in: "https://1.2.3"},
	{in: "https://a_b.example.com", want: origin.Pattern{Scheme: "https", Host: "a_b.example.com"}, ok: true},
	{in: "https://a.-b.com"},
	{in: "https://" + strings.Repeat("a", 64) + ".com"},
	{in: "https://xn--.com"},
	{in: "*"},
	{in: "null"},
	{in: ""},
	{in: "https://exa*mple.com"},
	{in: "https://example.com:*8"},
}

func TestParsePattern(t *testing.T) {
	for _, tc := range patternCases {
		got, err := origin.ParsePattern(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParsePattern(%q): got error %v; want ok %t", tc.in, err, tc.ok)
			continue
		}
		if tc.ok {
			if got != tc.want {
				t.Errorf("ParsePattern(%q) = %+v; want %+v", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.in {
				t.Errorf("ParsePattern(%q).String() = %q; want the input back", tc.in, s)
			}
			continue
		}
		if tc.hint != "" && !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("ParsePattern(%q): got %q; want a hint containing %q", tc.in, err, tc.hint)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "app.localhost": true, "127.0.0.1": true, "127.8.9.10": true, "[::1]": true,
		"localhost.evil.com": false, "128.0.0.1": false, "[::2]": false, "example.com": false, "mylocalhost": false,
	} {
		if got := origin.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %t; want %t", host, got, want)
		}
	}
}
