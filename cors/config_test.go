package cors_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/cors/corserr"
)

// want is an expected problem: field, index and reason, plus a fragment the
// message must contain.
type want struct {
	path   string
	reason corserr.Reason
	value  string
	detail string // a substring of the detail
}

func (w want) String() string { return fmt.Sprintf("%s %s %q", w.path, w.reason, w.value) }

func problems(errs []*corserr.Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, want{path: e.Path(), reason: e.Reason, value: e.Value}.String())
	}
	return out
}

// assertProblems checks that errs is exactly wants: nothing missing and
// nothing more.
func assertProblems(t *testing.T, errs []*corserr.Error, wants []want) {
	t.Helper()
	var ws []string
	for _, w := range wants {
		ws = append(ws, w.String())
	}
	if got := problems(errs); !slices.Equal(got, ws) {
		t.Errorf("got problems\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(ws, "\n\t"))
		return
	}
	for i, w := range wants {
		if !strings.Contains(errs[i].Detail, w.detail) {
			t.Errorf("%s: got detail %q; want it to contain %q", w, errs[i].Detail, w.detail)
		}
		if msg := errs[i].Error(); !strings.HasPrefix(msg, "cors: "+w.path+": ") || w.reason != corserr.Missing && !strings.Contains(msg, fmt.Sprintf("%q", w.value)) {
			t.Errorf("got message %q; want it to name %s and %q", msg, w.path, w.value)
		}
	}
}

var invalidConfigs = []struct {
	desc  string
	cfg   cors.Config
	wants []want
}{
	{
		desc:  "no origins",
		cfg:   cors.Config{},
		wants: []want{{"AllowOrigins", corserr.Missing, "", "no origin"}},
	}, {
		desc: "null origin and star with credentials",
		cfg:  cors.Config{AllowOrigins: []string{"null", "*"}, AllowCredentials: true},
		wants: []want{
			{"AllowOrigins[0]", corserr.Prohibited, "null", "forge"},
			{"AllowOrigins[1]", corserr.Incompatible, "*", "AllowCredentials"},
			{"AllowOrigins[1]", corserr.Duplicate, "*", "\"*\" already allows every origin"},
		},
	}, {
		desc: "malformed origins",
		cfg: cors.Config{AllowOrigins: []string{
			"https://example.com/", "https://example.com/path", "https://example.com?q", "https://example.com#f",
			"https://user:pw@example.com", "https://example.com:443", "http://example.com:80", "https://Example.com",
			"example.com", "https://example.com:08080", "https://example.com:70000", "ftp*://example.com",
			"file:///etc", "https://ex*.com", "https://*", "https://*.*.example.com", "https://[::0001]",
			"https://010.1.1.1", "https://bücher.example", " https://example.com", "https://-a.example.com",
		}},
		wants: []want{
			{"AllowOrigins[0]", corserr.Invalid, "https://example.com/", "trailing slash"},
			{"AllowOrigins[1]", corserr.Invalid, "https://example.com/path", "a path"},
			{"AllowOrigins[2]", corserr.Invalid, "https://example.com?q", "a query"},
			{"AllowOrigins[3]", corserr.Invalid, "https://example.com#f", "a fragment"},
			{"AllowOrigins[4]", corserr.Invalid, "https://user:pw@example.com", "userinfo"},
			{"AllowOrigins[5]", corserr.Invalid, "https://example.com:443", "default port"},
			{"AllowOrigins[6]", corserr.Invalid, "http://example.com:80", "default port"},
			{"AllowOrigins[7]", corserr.Invalid, "https://Example.com", "upper case"},
			{"AllowOrigins[8]", corserr.Invalid, "example.com", `"https://example.com"`},
			{"AllowOrigins[9]", corserr.Invalid, "https://example.com:08080", "leading zero"},
			{"AllowOrigins[10]", corserr.Invalid, "https://example.com:70000", "invalid port"},
			{"AllowOrigins[11]", corserr.Invalid, "ftp*://example.com", "invalid scheme"},
			{"AllowOrigins[12]", corserr.Invalid, "file:///etc", "opaque origin"},
			{"AllowOrigins[13]", corserr.Invalid, "https://ex*.com", "leftmost label"},
			{"AllowOrigins[14]", corserr.Invalid, "https://*", "leftmost label"},
			{"AllowOrigins[15]", corserr.Invalid, "https://*.*.example.com", "leftmost label"},
			{"AllowOrigins[16]", corserr.Invalid, "https://[::0001]", "[::1]"},
			{"AllowOrigins[17]", corserr.Invalid, "https://010.1.1.1", "canonical IPv4"},
			{"AllowOrigins[18]", corserr.Invalid, "https://bücher.example", "punycode"},
			{"AllowOrigins[19]", corserr.Invalid, " https://example.com", "whitespace"},
			{"AllowOrigins[20]", corserr.Invalid, "https://-a.example.com", "hyphen"},
		},
	}, {
		desc: "public suffixes",
		cfg:  cors.Config{AllowOrigins: []string{"https://*.co.uk", "https://*.github.io", "https://*.com", "http://*.localhost:*"}},
		wants: []want{
			{"AllowOrigins[0]", corserr.Prohibited, "https://*.co.uk", "public suffix"},
			{"AllowOrigins[1]", corserr.Prohibited, "https://*.github.io", "DangerouslyAllowPublicSuffixPatterns"},
			{"AllowOrigins[2]", corserr.Prohibited, "https://*.com", "public suffix"},
		},
	}, {
		desc: "insecure origins with credentials",
		cfg: cors.Config{
			AllowOrigins:     []string{"http://app.example.com", "http://localhost:*", "http://127.0.0.1:8080", "http://[::1]:3000", "https://ok.example.com"},
			AllowCredentials: true,
		},
		wants: []want{{"AllowOrigins[0]", corserr.Incompatible, "http://app.example.com", "DangerouslyAllowInsecureOriginsWithCredentials"}},
	}, {
		desc: "duplicates and origins covered by a pattern",
		cfg:  cors.Config{AllowOrigins: []string{"https://a.example.com", "https://*.example.com", "https://a.example.com"}},
		wants: []want{
			{"AllowOrigins[2]", corserr.Duplicate, "https://a.example.com", "index 0"},
			{"AllowOrigins[0]", corserr.Duplicate, "https://a.example.com", `covered by "https://*.example.com"`},
		},
	}, {
		desc: "methods",
		cfg: cors.Config{
			AllowOrigins:     []string{"https://example.com"},
			AllowCredentials: true,
			AllowMethods:     []string{"*", "CONNECT", "trace", "delete", "GE T", "", "PUT", "PUT"},
		},
		wants: []want{
			{"AllowMethods[0]", corserr.Incompatible, "*", "literally"},
			{"AllowMethods[1]", corserr.Prohibited, "CONNECT", "forbidden"},
			{"AllowMethods[2]", corserr.Prohibited, "trace", "forbidden"},
			{"AllowMethods[3]", corserr.Invalid, "delete", `write "DELETE"`},
			{"AllowMethods[4]", corserr.Invalid, "GE T", "token"},
			{"AllowMethods[5]", corserr.Invalid, "", "token"},
			{"AllowMethods[7]", corserr.Duplicate, "PUT", "twice"},
			{"AllowMethods[0]", corserr.Duplicate, "*", "alone"},
		},
	}, {
		desc: "request headers",
		cfg: cors.Config{
			AllowOrigins:     []string{"https://example.com"},
			AllowCredentials: true,
			AllowHeaders:     []string{"*", "Cookie", "Sec-Fetch-Mode", "Proxy-Authorization", "X Y", "X-A", "x-a"},
		},
		wants: []want{
			{"AllowHeaders[0]", corserr.Incompatible, "*", "literally"},
			{"AllowHeaders[1]", corserr.Prohibited, "Cookie", "forbidden"},
			{"AllowHeaders[2]", corserr.Prohibited, "Sec-Fetch-Mode", "forbidden"},
			{"AllowHeaders[3]", corserr.Prohibited, "Proxy-Authorization", "forbidden"},
			{"AllowHeaders[4]", corserr.Invalid, "X Y", "token"},
			{"AllowHeaders[6]", corserr.Duplicate, "x-a", "case-insensitive"},
			{"AllowHeaders[5]", corserr.Duplicate, "x-a", "but Authorization"},
		},
	}, {
		desc: "exposed headers",
		cfg: cors.Config{
			AllowOrigins:     []string{"https://example.com"},
			AllowCredentials: true,
			ExposeHeaders:    []string{"*", "Set-Cookie", "X-A", "X-A"},
		},
		wants: []want{
			{"ExposeHeaders[0]", corserr.Incompatible, "*", "literally"},
			{"ExposeHeaders[1]", corserr.Prohibited, "Set-Cookie", "never expose"},
			{"ExposeHeaders[3]", corserr.Duplicate, "X-A", "twice"},
			{"ExposeHeaders[0]", corserr.Duplicate, "*", "alone"},
		},
	}, {
		desc: "max age and status",
		cfg:  cors.Config{AllowOrigins: []string{"https://example.com"}, MaxAge: 1500 * time.Millisecond, PreflightStatus: 302},
		wants: []want{
			{"MaxAge", corserr.Invalid, "1.5s", "whole seconds"},
			{"PreflightStatus", corserr.Invalid, "302", "ok status"},
		},
	}, {
		desc:  "max age too long",
		cfg:   cors.Config{AllowOrigins: []string{"https://example.com"}, MaxAge: 25 * time.Hour},
		wants: []want{{"MaxAge", corserr.Invalid, "25h0m0s", "no browser"}},
	}, {
		desc:  "negative max age",
		cfg:   cors.Config{AllowOrigins: []string{"https://example.com"}, MaxAge: -time.Second},
		wants: []want{{"MaxAge", corserr.Invalid, "-1s", "NoPreflightCache"}},
	},
}

func TestNew_invalid(t *testing.T) {
	for _, tc := range invalidConfigs {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			mw, err := cors.New(tc.cfg)
			if mw != nil || err == nil {
				t.Fatalf("got (%v, %v); want a nil Middleware and an error", mw, err)
			}
			assertProblems(t, slices.Collect(corserr.All(err)), tc.wants)
			// Reconfigure refuses the same policy and keeps the one in force.
			good, _ := cors.New(cors.Config{AllowOrigins: []string{"https://kept.example"}})
			if err := good.Reconfigure(tc.cfg); err == nil {
				t.Error("Reconfigure: got nil error")
			}
			if got := good.Config().AllowOrigins; !slices.Equal(got, []string{"https://kept.example"}) {
				t.Errorf("after a refused Reconfigure: got origins %q; want the old ones", got)
			}
		})
	}
}

func TestValidate_warnings(t *testing.T) {
	cfg := cors.Config{
		AllowOrigins:  []string{"https://example.com", "https://*.github.io"},
		AllowMethods:  []string{"patch"},
		ExposeHeaders: []string{"Content-Type"},
		MaxAge:        3 * time.Hour,

		DangerouslyAllowPublicSuffixPatterns: true,
	}
	warns, err := cors.Validate(cfg)
	if err != nil {
		t.Fatalf("got error %v; want none", err)
	}
	assertProblems(t, warns, []want{
		{"AllowMethods[0]", corserr.Ineffective, "patch", `not "PATCH"`},
		{"ExposeHeaders[0]", corserr.Ineffective, "Content-Type", "safelisted"},
		{"MaxAge", corserr.Ineffective, "3h0m0s", "7200"},
	})
}

// A response header among the allowed request headers, or a request
// header among the exposed ones, is almost always a copy-paste mistake:
// a warning naming the field and the value, whatever the case.
func TestValidate_headersOnTheWrongSide(t *testing.T) {
	cfg := cors.Config{
		AllowOrigins: []string{"https://example.com"},
		AllowHeaders: []string{"Content-Type", "Access-Control-Allow-Origin", "access-control-allow-credentials",
			"Access-Control-Expose-Headers", "Access-Control-Max-Age", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"},
		ExposeHeaders: []string{"X-Total-Count", "Origin", "Access-Control-Request-Method", "ACCESS-CONTROL-REQUEST-HEADERS"},
	}
	warns, err := cors.Validate(cfg)
	if err != nil {
		t.Fatalf("got error %v; want none", err)
	}
	var wants []want
	for i, h := range cfg.AllowHeaders[1:] {
		wants = append(wants, want{fmt.Sprintf("AllowHeaders[%d]", i+1), corserr.Ineffective, h, "CORS response header"})
	}
	for i, h := range cfg.ExposeHeaders[1:] {
		wants = append(wants, want{fmt.Sprintf("ExposeHeaders[%d]", i+1), corserr.Ineffective, h, "a request header"})
	}
	assertProblems(t, warns, wants)
	// The policy still works as written: a warning does not stop New.
	if _, err := cors.New(cfg); err != nil {
		t.Errorf("New: got error %v; want none", err)
	}
}

func TestNew_valid(t *testing.T) {
	for _, cfg := range []cors.Config{
		{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*", "Authorization"}, ExposeHeaders: []string{"*"}},
		{AllowOrigins: []string{"https://example.com", "https://*.example.org:*", "http://localhost:*", "https://[2001:db8::1]:8443", "https://192.0.2.1"}, AllowCredentials: true},
		{AllowOrigins: []string{"chrome-extension://abcdefghijklmnop"}, MaxAge: cors.NoPreflightCache, PreflightStatus: 200},
		{AllowOrigins: []string{"http://app.example.com"}, AllowCredentials: true, DangerouslyAllowInsecureOriginsWithCredentials: true},
		{AllowOrigins: []string{"https://xn--bcher-kva.example"}, AllowMethods: []string{"QUERY", "PROPFIND"}},
	} {
		if _, err := cors.New(cfg); err != nil {
			t.Errorf("cors.New(%+v): got error %v; want none", cfg, err)
		}
	}
}

// Config's blank [0]func() field keeps it from being compared or written as
// an unkeyed literal, so that fields can be added later.
func TestConfig_incomparable(t *testing.T) {
	if reflect.TypeFor[cors.Config]().Comparable() {
		t.Error("cors.Config is comparable; want it not to be")
	}
}

// Config returns a copy: changing it changes nothing in force.
func TestMiddleware_Config(t *testing.T) {
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://a.example"}})
	if err != nil {
		t.Fatal(err)
	}
	mw.Config().AllowOrigins[0] = "https://evil.example"
	if got := mw.Config().AllowOrigins[0]; got != "https://a.example" {
		t.Errorf("got %q after mutating a copy; want %q", got, "https://a.example")
	}
}

func TestAll(t *testing.T) {
	e1 := &corserr.Error{Field: "A", Index: -1}
	e2 := &corserr.Error{Field: "B", Index: 3}
	err := fmt.Errorf("loading: %w", errors.Join(e1, errors.Join(errors.New("other"), e2)))
	got := slices.Collect(corserr.All(err))
	if len(got) != 2 || got[0] != e1 || got[1] != e2 {
		t.Errorf("got %v; want [%v %v]", got, e1, e2)
	}
}

// Origins of schemes whose origin is opaque (browsers send null) are
// refused; origins of schemes browsers send as written only when an
// extension or a WebView registers them draw a warning.
func TestValidate_schemes(t *testing.T) {
	for _, o := range []string{"javascript://a.example", "data://a.example", "about://blank", "blob://a.example", "mailto://a.example"} {
		_, err := cors.Validate(cors.Config{AllowOrigins: []string{o}})
		assertProblems(t, slices.Collect(corserr.All(err)), []want{{"AllowOrigins[0]", corserr.Invalid, o, "opaque origin"}})
	}
	cfg := cors.Config{AllowOrigins: []string{"https://a.example", "chrome-extension://abcdefghijklmnop", "moz-extension://4b1f", "capacitor://localhost", "foo://a.example", "web+app://a.example"}}
	warns, err := cors.Validate(cfg)
	if err != nil {
		t.Fatalf("got error %v; want none", err)
	}
	assertProblems(t, warns, []want{
		{"AllowOrigins[4]", corserr.Ineffective, "foo://a.example", "only where an extension or a WebView"},
		{"AllowOrigins[5]", corserr.Ineffective, "web+app://a.example", "opaque"},
	})
}

// Header names past 256 bytes are refused in both lists; lists whose
// joined value passes 4 KiB draw a warning.
func TestValidate_headerNameLength(t *testing.T) {
	ok, long := "X-"+strings.Repeat("a", 254), "X-"+strings.Repeat("a", 255)
	huge := strings.Repeat("h", 65536)
	_, err := cors.Validate(cors.Config{AllowOrigins: []string{"*"}, AllowHeaders: []string{ok, long, huge}, ExposeHeaders: []string{ok, huge}})
	assertProblems(t, slices.Collect(corserr.All(err)), []want{
		{"AllowHeaders[1]", corserr.Invalid, long, "257-byte header name"},
		{"AllowHeaders[2]", corserr.Invalid, huge, "65536-byte header name"},
		{"ExposeHeaders[1]", corserr.Invalid, huge, "65536-byte header name"},
	})
	var many []string
	for i := range 400 { // 400 names of 12 bytes: 5,199 bytes joined
		many = append(many, fmt.Sprintf("X-Header-%03d", i))
	}
	warns, err := cors.Validate(cors.Config{AllowOrigins: []string{"*"}, AllowHeaders: many, ExposeHeaders: many})
	if err != nil {
		t.Fatalf("got error %v; want none", err)
	}
	assertProblems(t, warns, []want{
		{"AllowHeaders", corserr.Ineffective, "400 names", "proxy_buffer_size"},
		{"ExposeHeaders", corserr.Ineffective, "400 names", "proxy_buffer_size"},
	})
}
