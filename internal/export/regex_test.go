package export_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/origin"
)

var regexCases = []struct {
	pattern string
	in, out []string
}{
	{
		pattern: "https://app.example.com",
		in:      []string{"https://app.example.com"},
		out: []string{"https://app.example.com.evil.net", "https://evilapp.example.com", "https://appXexample.com",
			"http://app.example.com", "HTTPS://APP.EXAMPLE.COM", "https://app.example.com:443", "https://app.example.com/",
			"https://app.example.co", "null", "*", "", "https://app.example.com\n"},
	},
	{
		pattern: "https://*.preview.example.com",
		in:      []string{"https://a.preview.example.com", "https://a.b.c.preview.example.com", "https://x_y-z.preview.example.com"},
		out: []string{"https://preview.example.com", "https://xpreview.example.com", "https://a.preview.example.com.evil.net",
			"http://a.preview.example.com", "https://.preview.example.com", "https://a..preview.example.com",
			"https://a.preview.example.com:8443", "https://evil.net/.preview.example.com", "https://A.preview.example.com",
			"https://a.preview-example.com", "https://a.previewXexample.com"},
	},
	{
		pattern: "http://localhost:*",
		in:      []string{"http://localhost", "http://localhost:1", "http://localhost:5173", "http://localhost:65535", "http://localhost:80"},
		out: []string{"http://localhost:0", "http://localhost:65536", "http://localhost:05173", "http://localhost:",
			"http://localhost.evil.net", "http://localhost:5173.evil.net", "https://localhost:5173", "http://localhostx:1",
			"http://localhost:99999", "http://localhost:1a"},
	},
	{
		pattern: "https://*.example.com:*",
		in:      []string{"https://a.example.com", "https://a.b.example.com:8443"},
		out:     []string{"https://example.com", "https://example.com:8443", "https://a.example.com:"},
	},
	{
		pattern: "http://[::1]:*",
		in:      []string{"http://[::1]", "http://[::1]:3000"},
		out:     []string{"http://[::2]:3000", "http://[::1]x", "http://::1:3000"},
	},
	{
		pattern: "http://127.0.0.1:8080",
		in:      []string{"http://127.0.0.1:8080"},
		out:     []string{"http://127x0.0.1:8080", "http://127.0.0.1:80800", "http://127.0.0.1:808"},
	},
}

func matcherFor(t testing.TB, s string) (*origin.Matcher, origin.Pattern) {
	t.Helper()
	p, err := origin.ParsePattern(s)
	if err != nil {
		t.Fatal(err)
	}
	return origin.NewMatcher([]origin.Pattern{p}), p
}

func TestOriginRegex(t *testing.T) {
	t.Parallel()
	for _, tc := range regexCases {
		m, p := matcherFor(t, tc.pattern)
		re := regexp.MustCompile(export.OriginRegex(p, export.RE2))
		for _, o := range tc.in {
			if !re.MatchString(o) || !m.Match(o) {
				t.Errorf("%s: %q: regex %t, matcher %t; want both true (%s)", tc.pattern, o, re.MatchString(o), m.Match(o), re)
			}
		}
		for _, o := range tc.out {
			if re.MatchString(o) || m.Match(o) {
				t.Errorf("%s: %q: regex %t, matcher %t; want both false (%s)", tc.pattern, o, re.MatchString(o), m.Match(o), re)
			}
		}
	}
}

func TestOriginRegexFlavors(t *testing.T) {
	t.Parallel()
	_, p := matcherFor(t, "https://*.example.com:*")
	for f, want := range map[export.Flavor]string{
		export.PCRE:   `^https://(?:[a-z0-9_-]{1,63}\.)+example\.com(?::` + export.PortRegex + `)?$`,
		export.RE2:    `^https://(?:[a-z0-9_-]{1,63}\.)+example\.com(?::` + export.PortRegex + `)?$`,
		export.JS:     `^https:\/\/(?:[a-z0-9_-]{1,63}\.)+example\.com(?::` + export.PortRegex + `)?$`,
		export.Python: `^https://(?:[a-z0-9_-]{1,63}\.)+example\.com(?::` + export.PortRegex + `)?\Z`,
	} {
		if got := export.OriginRegex(p, f); got != want {
			t.Errorf("flavour %d: got %s\nwant %s", f, got, want)
		}
	}
	if got := export.QuoteMeta(`a.b+c*d?e(f)g|h[i]j{k}l^m$n\o/p`, export.JS); got != `a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o\/p` {
		t.Errorf("QuoteMeta = %s", got)
	}
	if got := export.ExactRegex("http://[::1]:3000", export.Python); got != `^http://\[::1\]:3000\Z` {
		t.Errorf("ExactRegex = %s", got)
	}
}

func TestOriginsRegex(t *testing.T) {
	t.Parallel()
	var pats []origin.Pattern
	for _, s := range []string{"https://*.preview.example.com", "http://localhost:*"} {
		_, p := matcherFor(t, s)
		pats = append(pats, p)
	}
	exact := []string{"https://app.example.com", "https://b.example.com"}
	re := regexp.MustCompile(export.OriginsRegex(exact, pats, export.RE2))
	all := origin.NewMatcher(append(pats, mustPatterns(t, exact)...))
	for _, o := range []string{"https://app.example.com", "https://b.example.com", "https://x.preview.example.com",
		"http://localhost:3000", "https://app.example.comhttps://b.example.com", "https://app.example.com|https://b.example.com",
		"https://c.example.com", "http://localhost:3000https://app.example.com", "null", "*"} {
		if re.MatchString(o) != all.Match(o) {
			t.Errorf("%q: regex %t, matcher %t (%s)", o, re.MatchString(o), all.Match(o), re)
		}
	}
	if export.OriginsRegex(nil, nil, export.PCRE) != "" {
		t.Error("OriginsRegex of nothing is not empty")
	}
}

func mustPatterns(t testing.TB, ss []string) []origin.Pattern {
	var ps []origin.Pattern
	for _, s := range ss {
		_, p := matcherFor(t, s)
		ps = append(ps, p)
	}
	return ps
}

// hostLen returns the length of the host of s, an origin or not.
func hostLen(s string) int {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return 0
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		rest = rest[:i]
	}
	return len(rest)
}

// The regex of a pattern and internal/origin's matcher agree on every
// origin whose host fits a DNS name (253 bytes): the regex does not
// count lengths, and no page has a longer origin.
func FuzzOriginRegex(f *testing.F) {
	for _, tc := range regexCases {
		for _, o := range append(tc.in, tc.out...) {
			f.Add(tc.pattern, o)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, o string) {
		p, err := origin.ParsePattern(pattern)
		if err != nil || hostLen(o) > 253 {
			return
		}
		m := origin.NewMatcher([]origin.Pattern{p})
		for _, fl := range []export.Flavor{export.RE2, export.PCRE} {
			re, err := regexp.Compile(export.OriginRegex(p, fl))
			if err != nil {
				t.Fatalf("%q: %v", pattern, err)
			}
			if got, want := re.MatchString(o), m.Match(o); got != want {
				t.Fatalf("pattern %q, origin %q: regex %s says %t, matcher %t", pattern, o, re, got, want)
			}
		}
		exact := regexp.MustCompile(export.ExactRegex(pattern, export.RE2))
		if exact.MatchString(o) != (o == pattern) {
			t.Fatalf("ExactRegex(%q) on %q: %t", pattern, o, exact.MatchString(o))
		}
	})
}

func TestSyntaxRegexes(t *testing.T) {
	t.Parallel()
	method := regexp.MustCompile(export.MethodSyntaxRegex)
	headers := regexp.MustCompile(export.HeadersSyntaxRegex)
	auth := regexp.MustCompile(export.AuthorizationRegex)
	for v, want := range map[string]bool{"PUT": true, "x$'`|~!": true, "": false, "PU T": false, "PUT,GET": false, "P\r\nX": false} {
		if method.MatchString(v) != want {
			t.Errorf("method %q: %t", v, !want)
		}
	}
	for v, want := range map[string]bool{"": true, "a": true, "a,b": true, "a, b": true, " a ,b ": true, "a,,b": true, ",a,": true,
		"a b": false, "a;b": false, "content-type%0d%0ax": true, "a\r\nx-injected: 1": false, "a,b c": false, "a:b": false} {
		if headers.MatchString(v) != want {
			t.Errorf("headers %q: %t; want %t", v, !want, want)
		}
	}
	for v, want := range map[string]bool{"authorization": true, "x, Authorization ,y": true, "x-authorization": false, "authorizations": false} {
		if auth.MatchString(v) != want {
			t.Errorf("authorization %q: %t", v, !want)
		}
	}
}

// The JS and Python flavours mean the same in node and python3 as RE2 does
// in Go, on the table's origins (skipped where the interpreter is missing).
func TestOriginRegexOtherEngines(t *testing.T) {
	t.Parallel()
	type job struct {
		re, origin string
		want       bool
	}
	var js, py []job
	for _, tc := range regexCases {
		_, p := matcherFor(t, tc.pattern)
		for _, o := range append(append([]string{}, tc.in...), tc.out...) {
			want := regexp.MustCompile(export.OriginRegex(p, export.RE2)).MatchString(o)
			js = append(js, job{export.OriginRegex(p, export.JS), o, want})
			py = append(py, job{export.OriginRegex(p, export.Python), o, want})
		}
	}
	for _, eng := range []struct {
		bin, script string
		jobs        []job
	}{
		{"node", `const jobs = JSON.parse(require("fs").readFileSync(0, "utf8"));
for (const [re, o, want] of jobs) { if (new RegExp(re).test(o) !== want) console.log("MISMATCH", re, JSON.stringify(o), want); }`, js},
		{"python3", `import json, re, sys
for r, o, want in json.load(sys.stdin):
    if (re.match(r, o) is not None) != want: print("MISMATCH", r, json.dumps(o), want)`, py},
	} {
		bin, err := exec.LookPath(eng.bin)
		if err != nil {
			t.Logf("%s not installed: flavour not checked", eng.bin)
			continue
		}
		var rows [][]any
		for _, j := range eng.jobs {
			rows = append(rows, []any{j.re, j.origin, j.want})
		}
		in, _ := json.Marshal(rows)
		args := []string{"-e", eng.script}
		if eng.bin == "python3" {
			args = []string{"-c", eng.script}
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("%s: %v\n%s", eng.bin, err, out)
		}
	}
}
