package origin_test

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/origin"
)

// A pattern that parses comes back unchanged from String: parsing is
// strict, so nothing is normalised away.
func FuzzParsePattern(f *testing.F) {
	for _, tc := range patternCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := origin.ParsePattern(s)
		if err != nil {
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("ParsePattern(%q).String() = %q", s, got)
		}
		if p.IsExact() {
			// An exact pattern is an origin a browser can send.
			o, ok := origin.Parse(s)
			if !ok {
				t.Fatalf("exact pattern %q does not parse as an origin", s)
			}
			if !p.Matches(o) {
				t.Fatalf("pattern %q does not match its own origin", s)
			}
		}
	})
}

// An origin that parses is made of its parts, and never longer than MaxLen.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := origin.Parse(s)
		if !ok {
			return
		}
		if len(s) > origin.MaxLen {
			t.Fatalf("Parse accepted %d bytes; MaxLen is %d", len(s), origin.MaxLen)
		}
		want := o.Scheme + "://" + o.Host
		if o.Port != 0 {
			want += ":" + itoa(o.Port)
		}
		if want != s {
			t.Fatalf("Parse(%q) = %+v, which serializes as %q", s, o, want)
		}
		if strings.ToLower(s) != s {
			t.Fatalf("Parse accepted upper case in %q", s)
		}
	})
}

// The Matcher agrees with a linear scan of Pattern.Matches.
func FuzzMatcher(f *testing.F) {
	f.Add("https://*.example.com", "http://localhost:*", "https://a.example.com", "https://x.a.example.com")
	f.Add("https://foo.com", "https://bar.com", "https://bar.com", "https://barfoo.com")
	f.Fuzz(func(t *testing.T, p1, p2, o1, o2 string) {
		var ps []origin.Pattern
		for _, s := range []string{p1, p2} {
			if p, err := origin.ParsePattern(s); err == nil {
				ps = append(ps, p)
			}
		}
		m := origin.NewMatcher(ps)
		for _, s := range []string{o1, o2} {
			want := false
			if o, ok := origin.Parse(s); ok {
				for _, p := range ps {
					want = want || p.Matches(o)
				}
			}
			if got := m.Match(s); got != want {
				t.Fatalf("patterns %q %q: Match(%q) = %t; want %t", p1, p2, s, got, want)
			}
		}
	})
}

func itoa(n int) string {
	var b [8]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
