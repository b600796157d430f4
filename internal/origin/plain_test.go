package origin

import "testing"

// The one-pass parser of plain patterns agrees with the full one on every
// pattern it accepts, and accepts the plain ones.
func FuzzParsePlain(f *testing.F) {
	for _, s := range []string{
		"https://example.com", "http://localhost:3000", "https://a-b.c.example:8443", "https://xn--bcher-kva.example",
		"https://1.2.3.4", "https://a.0x1", "https://-a.com", "https://a-.com", "https://xn--.com", "https://a.com:443",
		"http://a.com:80", "https://a.com:0", "https://a.com:08", "https://a..com", "https://a.com.", "file://x",
		"https://A.com", "https://*.a.com", "https://a.com:*", "https://a.com:1:2", "https://123", "https://a.123",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parsePlain(s)
		if !ok {
			return
		}
		q, err := parsePattern(s)
		if err != nil {
			t.Fatalf("parsePlain(%q) = %+v, but parsePattern refuses it: %v", s, p, err)
		}
		if p != q {
			t.Fatalf("parsePlain(%q) = %+v; parsePattern = %+v", s, p, q)
		}
	})
}

func TestParsePlain(t *testing.T) {
	for s, want := range map[string]bool{
		"https://example.com": true, "http://localhost:3000": true, "https://a-b.example": true,
		"https://1.2.3.4": false, "https://-a.com": false, "https://a.com:443": false, "https://a.123": false,
		"https://*.a.com": false, "https://A.com": false, "https://a.com/": false,
	} {
		if _, ok := parsePlain(s); ok != want {
			t.Errorf("parsePlain(%q) ok = %t; want %t", s, ok, want)
		}
	}
}
