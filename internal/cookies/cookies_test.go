package cookies_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cookies"
)

func TestCheckSetCookie(t *testing.T) {
	t.Parallel()
	const page = "https://app.example.com"
	cases := []struct {
		url, line string
		include   bool
		stored    bool
		reasons   []cookies.Reason
		third     bool
		partition string
	}{
		// Same site (api. and app. under example.com): SameSite does not bite.
		{"https://api.example.com/", "sid=1", true, true, nil, false, ""},
		{"https://api.example.com/", "sid=1; SameSite=Strict", true, true, nil, false, ""},
		// Cross-site: Lax by default, so not stored.
		{"https://api.other.com/", "sid=1", true, false, []cookies.Reason{cookies.SameSiteUnspecifiedTreatedAsLax}, false, ""},
		{"https://api.other.com/", "sid=1; SameSite=Lax", true, false, []cookies.Reason{cookies.SameSiteLax}, false, ""},
		{"https://api.other.com/", "sid=1; SameSite=Strict", true, false, []cookies.Reason{cookies.SameSiteStrict}, false, ""},
		{"https://api.other.com/", "sid=1; SameSite=None", true, false, []cookies.Reason{cookies.SameSiteNoneInsecure}, false, ""},
		{"https://api.other.com/", "sid=1; SameSite=None; Secure", true, true, nil, true, ""},
		{"https://api.other.com/", "sid=1; SameSite=None; Secure; Partitioned", true, true, nil, true, "https://example.com"},
		// Secure over http, but localhost counts as secure.
		{"http://api.other.com/", "sid=1; SameSite=None; Secure", true, false, []cookies.Reason{cookies.SecureOnly}, false, ""},
		{"http://localhost:8080/", "sid=1; SameSite=None; Secure", true, true, nil, true, ""},
		// Schemeful same-site: same registrable domain, other scheme.
		{"http://api.example.com/", "sid=1", true, false, []cookies.Reason{cookies.SchemefulSameSiteUnspecifiedTreatedAsLax}, false, ""},
		// Prefixes.
		{"https://api.example.com/", "__Host-sid=1; Secure; Path=/", true, true, nil, false, ""},
		{"https://api.example.com/", "__Host-sid=1; Secure; Path=/; Domain=example.com", true, false, []cookies.Reason{cookies.InvalidPrefix}, false, ""},
		{"https://api.example.com/", "__Host-sid=1; Secure", true, false, []cookies.Reason{cookies.InvalidPrefix}, false, ""},
		{"https://api.example.com/", "__secure-sid=1", true, false, []cookies.Reason{cookies.InvalidPrefix}, false, ""},
		{"https://api.example.com/", "__Secure-sid=1; Secure", true, true, nil, false, ""},
		// Domain.
		{"https://api.example.com/", "sid=1; Domain=other.com", true, false, []cookies.Reason{cookies.InvalidDomain}, false, ""},
		{"https://api.example.com/", "sid=1; Domain=.example.com", true, true, nil, false, ""},
		// Syntax, and no credentials.
		{"https://api.example.com/", "=", true, false, []cookies.Reason{cookies.SyntaxError}, false, ""},
		{"https://api.other.com/", "sid=1; SameSite=None; Secure", false, false, nil, false, ""},
	}
	for _, tc := range cases {
		v := cookies.CheckSetCookie(cookies.Context{Origin: page, Include: tc.include, AllowThirdParty: true}, tc.url, tc.line)
		if v.Stored != tc.stored || !slices.Equal(v.Reasons, tc.reasons) || v.ThirdParty != tc.third || v.Partition != tc.partition {
			t.Errorf("%s from %s: got stored %t reasons %v third-party %t partition %q; want %t %v %t %q",
				tc.line, tc.url, v.Stored, v.Reasons, v.ThirdParty, v.Partition, tc.stored, tc.reasons, tc.third, tc.partition)
		}
		if len(v.Issues) != len(v.Reasons) {
			t.Errorf("%s: %d issues for %d reasons", tc.line, len(v.Issues), len(v.Reasons))
		}
		if !v.Stored && v.Fix == "" {
			t.Errorf("%s from %s: not stored, and no fix", tc.line, tc.url)
		}
	}
}

// Every reason has DevTools' text.
func TestReasonText(t *testing.T) {
	t.Parallel()
	for _, r := range []cookies.Reason{cookies.SecureOnly, cookies.SameSiteStrict, cookies.SameSiteLax, cookies.SameSiteUnspecifiedTreatedAsLax,
		cookies.SameSiteNoneInsecure, cookies.SchemefulSameSiteStrict, cookies.SchemefulSameSiteLax, cookies.SchemefulSameSiteUnspecifiedTreatedAsLax,
		cookies.InvalidDomain, cookies.InvalidPrefix, cookies.NameValuePairExceedsMaxSize, cookies.SyntaxError, cookies.UserPreferences} {
		if !strings.Contains(r.Text(), "Set-Cookie") && !strings.Contains(r.Text(), "cookie") {
			t.Errorf("%s: text %q", r, r.Text())
		}
	}
}

// With third-party cookies blocked, every unpartitioned cookie from a
// cross-site response is refused for that reason alone; a partitioned one
// and a same-site one go on to the other rules.
func TestCheckSetCookie_thirdPartyBlocked(t *testing.T) {
	t.Parallel()
	ctx := cookies.Context{Origin: "https://app.example.com", Include: true}
	cases := []struct {
		url, line string
		reasons   []cookies.Reason
	}{
		{"https://api.other.com/", "sid=1; SameSite=None; Secure", []cookies.Reason{cookies.UserPreferences}},
		{"https://api.other.com/", "sid=1", []cookies.Reason{cookies.UserPreferences}},
		{"https://api.other.com/", "sid=1; SameSite=None; Secure; Partitioned", nil},
		{"http://api.other.com/", "sid=1; SameSite=None; Secure; Partitioned", []cookies.Reason{cookies.SecureOnly}},
		{"https://api.other.com/", "sid=1; Domain=example.com", []cookies.Reason{cookies.InvalidDomain}},
		{"https://api.example.com/", "sid=1", nil},
	}
	for _, tc := range cases {
		v := cookies.CheckSetCookie(ctx, tc.url, tc.line)
		if !slices.Equal(v.Reasons, tc.reasons) {
			t.Errorf("%s from %s: got %v; want %v", tc.line, tc.url, v.Reasons, tc.reasons)
		}
	}
}
