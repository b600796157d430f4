package origin_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/origin"
)

var matcherCases = []struct {
	desc     string
	patterns []string
	in, out  []string
}{
	{
		// GHSA-vhxv-fg4m-p2w8 / GO-2024-2813: a radix tree that let
		// https://barfoo.com through when foo.com and bar.com were allowed.
		desc:     "shared suffixes, in either order",
		patterns: []string{"https://foo.com", "https://bar.com"},
		in:       []string{"https://foo.com", "https://bar.com"},
		out:      []string{"https://barfoo.com", "https://foobar.com", "https://oo.com", "https://xbar.com", "https://foo.co", "https://bar.com.evil.com"},
	}, {
		desc:     "shared suffixes, reversed",
		patterns: []string{"https://bar.com", "https://foo.com"},
		in:       []string{"https://foo.com", "https://bar.com"},
		out:      []string{"https://barfoo.com", "https://foobar.com"},
	}, {
		desc:     "subdomains at any depth, never the apex",
		patterns: []string{"https://*.example.com"},
		in:       []string{"https://a.example.com", "https://a.b.c.example.com", "https://xn--bcher-kva.example.com"},
		out: []string{"https://example.com", "https://aexample.com", "https://a.example.com.evil.com", "http://a.example.com",
			"https://a.example.com:8443", "https://.example.com", "https://A.example.com", "https://a.example.co"},
	}, {
		desc:     "any port",
		patterns: []string{"http://localhost:*", "https://*.dev.example:*"},
		in:       []string{"http://localhost", "http://localhost:1", "http://localhost:65535", "https://a.dev.example:8443", "https://a.dev.example"},
		out:      []string{"https://localhost:3000", "http://localhost.evil.com", "http://127.0.0.1:3000", "http://a.localhost:3000", "https://dev.example:1"},
	}, {
		desc:     "nested patterns and exact origins",
		patterns: []string{"https://*.a.example", "https://*.b.a.example", "https://c.example:8443"},
		in:       []string{"https://x.a.example", "https://x.b.a.example", "https://b.a.example", "https://c.example:8443"},
		out:      []string{"https://a.example", "https://c.example", "https://c.example:443"},
	}, {
		desc:     "IP addresses",
		patterns: []string{"http://[::1]:*", "https://192.0.2.1"},
		in:       []string{"http://[::1]", "http://[::1]:8080", "https://192.0.2.1"},
		out:      []string{"http://[::2]:8080", "https://192.0.2.10", "https://1.192.0.2.1", "https://[0:0:0:0:0:0:0:1]"},
	}, {
		desc:     "malformed request origins",
		patterns: []string{"https://*.example.com"},
		out:      []string{"null", "", "https://", "https://a.example.com/", "https://a.example.com:", "https://a..example.com", "https://a.example.com:0443"},
	},
}

func TestMatcher(t *testing.T) {
	for _, tc := range matcherCases {
		t.Run(tc.desc, func(t *testing.T) {
			m := origin.NewMatcher(mustPatterns(t, tc.patterns...))
			for _, o := range tc.in {
				if !m.Match(o) {
					t.Errorf("Match(%q) = false; want true", o)
				}
			}
			for _, o := range tc.out {
				if m.Match(o) {
					t.Errorf("Match(%q) = true; want false", o)
				}
			}
		})
	}
}

func mustPatterns(t testing.TB, ss ...string) []origin.Pattern {
	t.Helper()
	var ps []origin.Pattern
	for _, s := range ss {
		p, err := origin.ParsePattern(s)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", s, err)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestMatcher_allocations(t *testing.T) {
	var ss []string
	for i := range 300 {
		ss = append(ss, fmt.Sprintf("https://h%d.example.com", i), fmt.Sprintf("https://*.t%d.example.net", i))
	}
	m := origin.NewMatcher(mustPatterns(t, ss...))
	for _, o := range []string{"https://h299.example.com", "https://a.b.t150.example.net", "https://nope.example.org", "https://" + strings.Repeat("a.", 120) + "t1.example.net"} {
		if n := testing.AllocsPerRun(100, func() { m.Match(o) }); n != 0 {
			t.Errorf("Match(%q): got %v allocs; want 0", o, n)
		}
	}
}

// Past a handful of exact origins the Matcher looks them up in its map:
// every listed origin matches, whatever its length, and one that is not
// listed does not, on either side of the threshold.
func TestMatcher_manyExactOrigins(t *testing.T) {
	for _, n := range []int{1, 8, 9, 40} {
		var ps []origin.Pattern
		var in, out []string
		for i := range n {
			host := label("a", i*9%240+1) + ".example"
			if i == n-1 {
				host = label("a", 240) + ".example" // 262 bytes with the port
			}
			o := "https://" + host
			if i%2 == 1 || i == n-1 {
				o += ":65000"
			}
			p, err := origin.ParsePattern(o)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
			in = append(in, o)
			out = append(out, strings.Replace(o, "a", "b", 1), o+"1", o[:len(o)-1])
		}
		m := origin.NewMatcher(ps)
		for _, o := range in {
			if !m.Match(o) {
				t.Errorf("%d origins: Match(%.40q...) = false; want true", n, o)
			}
		}
		for _, o := range out {
			if m.Match(o) {
				t.Errorf("%d origins: Match(%.40q...) = true; want false", n, o)
			}
		}
	}
}

// label returns n bytes of c, in labels of at most 60 bytes.
func label(c string, n int) string {
	var b strings.Builder
	for i := range n {
		if i%61 == 60 && i != n-1 {
			b.WriteByte('.')
		} else {
			b.WriteString(c)
		}
	}
	return b.String()
}
