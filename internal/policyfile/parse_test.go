package policyfile_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/cors/corserr"
	"github.com/crossgate/crossgate/internal/policyfile"
)

type parseCase struct {
	desc string
	src  string
	// want is every diagnostic, in order, as Diagnostic.String prints it
	// (the file is named "p.yaml"). A case wants a valid file when none
	// of them is an error.
	want []string
}

// lines joins its arguments into a file, one line each.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

var parseCases = []parseCase{
	{
		desc: "minimal policy",
		src: lines(
			"policies:",
			"  - name: public",
			`    allow_origins: ["*"]`,
		),
	}, {
		desc: "every key",
		src: lines(
			"policies:",
			"  - name: app",
			"    match: { hosts: [api.example.com, \"*.api.example.com\"], paths: [/api/, /v2] }",
			`    allow_origins: [https://app.example.com, "https://*.preview.example.com"]`,
			"    allow_credentials: true",
			"    allow_methods: [GET, POST, PUT, PATCH, DELETE]",
			"    allow_headers: [Authorization, Content-Type, X-Request-ID]",
			"    expose_headers: [X-Total-Count]",
			"    max_age: 2h",
			"    allow_private_network: true",
			"    preflight_status: 200",
			"    dangerously_allow_public_suffix_patterns: false",
			"    dangerously_allow_insecure_origins_with_credentials: false",
		),
	}, {
		desc: "warning only",
		src: lines(
			"policies:",
			"  - name: slow",
			`    allow_origins: ["*"]`,
			"    max_age: 3h",
		),
		want: []string{
			`p.yaml:4:5: warning: policies[0].max_age: cors: ineffective value "3h": Chromium caps the preflight cache at 2h (7200 s); only Firefox honours more`,
		},
	}, {
		desc: "empty file",
		src:  "",
		want: []string{`p.yaml:1:1: empty file: want a mapping with a "policies" list`},
	}, {
		desc: "only comments",
		src:  "# nothing yet\n",
		want: []string{`p.yaml:1:1: empty file: want a mapping with a "policies" list`},
	}, {
		desc: "top level is a list",
		src:  "- name: a\n",
		want: []string{`p.yaml:1:1: want a mapping, got a list`},
	}, {
		desc: "missing policies",
		src:  "{}\n",
		want: []string{`p.yaml:1:1: missing required key "policies"`},
	}, {
		desc: "empty policies list",
		src:  "policies: []\n",
		want: []string{`p.yaml:1:11: warning: policies: no policies: no request gets CORS headers`},
	}, {
		desc: "policies is a mapping",
		src:  "policies:\n  name: a\n",
		want: []string{`p.yaml:2:3: policies: want a list of policies, got a mapping`},
	}, {
		desc: "policy is a string",
		src:  "policies:\n  - app\n",
		want: []string{`p.yaml:2:5: policies[0]: want a mapping, got string "app"`},
	}, {
		desc: "unknown keys with and without a suggestion",
		src: lines(
			"policies:",
			"  - name: a",
			`    allow_origin: ["*"]`,
			"    Allow-Methods: [PUT]",
			"    colour: blue",
			"version: 2",
		),
		want: []string{
			`p.yaml:2:5: policies[0].allow_origins: cors: missing: no origin is allowed: list at least one origin, or "*" for any`,
			`p.yaml:3:5: policies[0]: unknown key "allow_origin" (did you mean "allow_origins"?)`,
			`p.yaml:4:5: policies[0]: unknown key "Allow-Methods" (did you mean "allow_methods"?)`,
			`p.yaml:5:5: policies[0]: unknown key "colour"`,
			`p.yaml:6:1: unknown key "version"`,
		},
	}, {
		desc: "wrong types",
		src: lines(
			"policies:",
			"  - name: 12",
			"    allow_origins: https://app.example.com",
			"    allow_methods: [PUT, 7, [DELETE]]",
			"    allow_credentials: yes",
			"    preflight_status: \"204\"",
			"    max_age: 3600",
			"    match: [api.example.com]",
			"    allow_headers:",
		),
		want: []string{
			`p.yaml:2:11: policies[0].name: want a string, got integer 12`,
			`p.yaml:3:20: policies[0].allow_origins: want a list of strings, got string "https://app.example.com"`,
			`p.yaml:4:26: policies[0].allow_methods[1]: want a string, got integer 7`,
			`p.yaml:4:29: policies[0].allow_methods[2]: want a string, got a list`,
			`p.yaml:5:24: policies[0].allow_credentials: want a boolean (true or false), got string "yes"`,
			`p.yaml:6:23: policies[0].preflight_status: want an integer, got string "204"`,
			`p.yaml:7:14: policies[0].max_age: want a duration such as "2h" or "10m", got integer 3600`,
			`p.yaml:8:12: policies[0].match: want a mapping, got a list`,
			`p.yaml:9:19: policies[0].allow_headers: want a list of strings, got null`,
		},
	}, {
		desc: "bad durations",
		src: lines(
			"policies:",
			"  - name: a",
			`    allow_origins: ["*"]`,
			"    max_age: two hours",
			"  - name: b",
			`    allow_origins: ["*"]`,
			"    max_age: -5s",
			"    match: { paths: [/b] }",
			"  - name: c",
			`    allow_origins: ["*"]`,
			"    max_age: 1500ms",
			"    match: { paths: [/c] }",
			"  - name: d",
			`    allow_origins: ["*"]`,
			"    max_age: 25h",
			"    match: { paths: [/d] }",
		),
		want: []string{
			`p.yaml:4:14: policies[0].max_age: invalid duration "two hours": want a duration such as "2h" or "10m"`,
			`p.yaml:7:14: policies[1].max_age: negative duration "-5s": write 0 to ask browsers not to cache preflights`,
			`p.yaml:11:5: policies[2].max_age: cors: invalid value "1500ms": Access-Control-Max-Age is in whole seconds`,
			`p.yaml:15:5: policies[3].max_age: cors: invalid value "25h": above 24h, which no browser honours (Firefox caps at 24h, Chromium at 2h)`,
		},
	}, {
		desc: "duplicate keys",
		src: lines(
			"policies:",
			"  - name: a",
			`    allow_origins: ["*"]`,
			`    allow_origins: ["https://b.example"]`,
			"    match:",
			"      paths: [/a]",
			"      paths: [/b]",
		),
		want: []string{
			`p.yaml:4:5: policies[0].allow_origins: duplicate key: first set at line 3`,
			`p.yaml:7:7: policies[0].match.paths: duplicate key: first set at line 6`,
		},
	}, {
		desc: "missing and empty names, duplicate names",
		src: lines(
			"policies:",
			`  - allow_origins: ["*"]`,
			`  - name: ""`,
			`    allow_origins: ["*"]`,
			"    match: { paths: [/x] }",
			"  - name: app",
			`    allow_origins: ["*"]`,
			"    match: { paths: [/y] }",
			"  - name: app",
			`    allow_origins: ["*"]`,
			"    match: { paths: [/z] }",
		),
		want: []string{
			`p.yaml:2:5: policies[0]: missing required key "name"`,
			`p.yaml:3:11: policies[1].name: empty policy name`,
			`p.yaml:9:11: policies[3].name: duplicate policy name "app": policies[2] at line 6 has it too`,
		},
	}, {
		desc: "trailing document",
		src: lines(
			"policies:",
			"  - name: a",
			`    allow_origins: ["*"]`,
			"---",
			"policies: []",
		),
		want: []string{`p.yaml:4:1: trailing data: a second YAML document (a policy file holds one document)`},
	}, {
		desc: "syntax error",
		src:  "policies: [\n",
		want: []string{`p.yaml:1:11: policies: yaml: did not find expected node content`},
	}, {
		desc: "unquoted star is an alias",
		src:  "policies:\n  - name: a\n    allow_origins: [*]\n",
		want: []string{`p.yaml:3:22: policies[0].allow_origins: yaml: did not find expected alphabetic or numeric character`},
	}, {
		desc: "control character",
		src:  "policies:\n  - name: a\x01\n",
		want: []string{`p.yaml:2:12: policies[0].name: yaml: control characters are not allowed`},
	}, {
		desc: "invalid UTF-8",
		src:  "policies:\n  - name: \xff\n",
		want: []string{`p.yaml:2:11: policies[0].name: yaml: invalid leading UTF-8 octet`},
	}, {
		desc: "aliases and merge keys",
		src: lines(
			"defaults: &d",
			`  allow_origins: ["*"]`,
			"policies:",
			"  - name: a",
			"    <<: *d",
			"  - name: b",
			"    allow_origins: *d",
			"    match: { paths: [/b] }",
		),
		want: []string{
			`p.yaml:1:1: unknown key "defaults"`,
			`p.yaml:4:5: policies[0].allow_origins: cors: missing: no origin is allowed: list at least one origin, or "*" for any`,
			`p.yaml:5:5: policies[0]: merge keys (<<) are not supported: write the keys out`,
			`p.yaml:7:20: policies[1].allow_origins: aliases (*d) are not supported: write the value out`,
		},
	}, {
		desc: "cors errors point at list elements",
		src: lines(
			"policies:",
			"  - name: app",
			"    allow_origins:",
			"      - https://app.example.com",
			`      - "null"`,
			"      - https://*.co.uk",
			"      - http://app.example.com",
			"    allow_credentials: true",
			`    allow_methods: [GET, connect, patch, "*"]`,
			"    allow_headers: [Cookie, X-Ok]",
			"    expose_headers: [Set-Cookie, Content-Type]",
			"    preflight_status: 302",
		),
		want: []string{
			`p.yaml:5:9: policies[0].allow_origins[1]: cors: prohibited value "null": the null origin is sent by sandboxed iframes, file: pages and redirected requests, so any attacker can forge it`,
			`p.yaml:6:9: policies[0].allow_origins[2]: cors: prohibited value "https://*.co.uk": "co.uk" is a public suffix: anyone can register a subdomain of it (set dangerously_allow_public_suffix_patterns to allow it anyway)`,
			`p.yaml:7:9: policies[0].allow_origins[3]: cors: incompatible value "http://app.example.com": an insecure origin with allow_credentials lets any network attacker read credentialed responses; use https (or set dangerously_allow_insecure_origins_with_credentials)`,
			`p.yaml:9:26: policies[0].allow_methods[1]: cors: prohibited value "connect": browsers never send CONNECT, TRACE or TRACK (Fetch: forbidden method)`,
			`p.yaml:9:35: warning: policies[0].allow_methods[2]: cors: ineffective value "patch": browsers send this method exactly as the page writes it, and method names are case-sensitive: this matches only "patch", not "PATCH"`,
			`p.yaml:9:42: policies[0].allow_methods[3]: cors: incompatible value "*": with allow_credentials, browsers read "*" as a method literally named *; list the methods`,
			`p.yaml:9:42: policies[0].allow_methods[3]: cors: duplicate value "*": "*" already allows every method: list either "*" alone or the methods`,
			`p.yaml:10:21: policies[0].allow_headers[0]: cors: prohibited value "Cookie": a forbidden request-header name: browsers set it themselves and scripts cannot, so listing it has no effect`,
			`p.yaml:11:22: policies[0].expose_headers[0]: cors: prohibited value "Set-Cookie": a forbidden response-header name: browsers never expose it to scripts`,
			`p.yaml:11:34: warning: policies[0].expose_headers[1]: cors: ineffective value "Content-Type": a CORS-safelisted response header: scripts can always read it`,
			`p.yaml:12:5: policies[0].preflight_status: cors: invalid value "302": browsers accept a preflight only with an ok status (200 to 299)`,
		},
	}, {
		desc: "empty origin list",
		src: lines(
			"policies:",
			"  - name: app",
			"    allow_origins: []",
		),
		want: []string{
			`p.yaml:3:5: policies[0].allow_origins: cors: empty list: no origin is allowed: list at least one origin, or "*" for any`,
		},
	}, {
		desc: "cors indexes count skipped elements",
		src: lines(
			"policies:",
			"  - name: app",
			`    allow_origins: [1, "null"]`,
		),
		want: []string{
			`p.yaml:3:21: policies[0].allow_origins[0]: want a string, got integer 1`,
			`p.yaml:3:24: policies[0].allow_origins[1]: cors: prohibited value "null": the null origin is sent by sandboxed iframes, file: pages and redirected requests, so any attacker can forge it`,
		},
	}, {
		desc: "bad match entries",
		src: lines(
			"policies:",
			"  - name: app",
			`    allow_origins: ["*"]`,
			"    match:",
			"      hosts:",
			"        - https://api.example.com",
			"        - Api.example.com",
			"        - api.example.com:8443",
			`        - "a.*.example.com"`,
			"        - api.example.com.",
			"        - api.example.com",
			"        - api.example.com",
			"      paths: [api, /a//b, /a/./b/../c, /%7euser, \"/x?y\", /ok]",
			"  - name: none",
			`    allow_origins: ["*"]`,
			"    match: { hosts: [] }",
		),
		want: []string{
			`p.yaml:6:11: policies[0].match.hosts[0]: host "https://api.example.com" is a URL: write the host name alone`,
			`p.yaml:7:11: policies[0].match.hosts[1]: host "Api.example.com" has upper-case letters: write "api.example.com"`,
			`p.yaml:8:11: policies[0].match.hosts[2]: host "api.example.com:8443" has a port: hosts match whatever the port`,
			`p.yaml:9:11: policies[0].match.hosts[3]: host "a.*.example.com" has a wildcard that is not the whole leftmost label, as in "*.example.com"`,
			`p.yaml:10:11: policies[0].match.hosts[4]: host "api.example.com." ends with a dot: write "api.example.com" (a trailing dot in requests is ignored)`,
			`p.yaml:12:11: policies[0].match.hosts[6]: "api.example.com" is listed twice (first at index 5)`,
			`p.yaml:13:15: policies[0].match.paths[0]: path "api" must start with "/"`,
			`p.yaml:13:20: policies[0].match.paths[1]: path "/a//b" is not in normal form, so no request path would match it: write "/a/b"`,
			`p.yaml:13:27: policies[0].match.paths[2]: path "/a/./b/../c" is not in normal form, so no request path would match it: write "/a/c"`,
			`p.yaml:13:40: policies[0].match.paths[3]: path "/%7euser" is not in normal form, so no request path would match it: write "/~user"`,
			`p.yaml:13:50: policies[0].match.paths[4]: path "/x?y" holds a query or fragment: paths are matched without them`,
			`p.yaml:16:21: policies[1].match.hosts: empty list: leave out "hosts" to match every host`,
		},
	}, {
		desc: "same match twice",
		src: lines(
			"policies:",
			"  - name: a",
			`    allow_origins: ["*"]`,
			"  - name: b",
			`    allow_origins: ["*"]`,
			"    match: { paths: [/] }",
			"  - name: c",
			`    allow_origins: ["*"]`,
			"    match: { hosts: [x.example, y.example], paths: [/api] }",
			"  - name: d",
			`    allow_origins: ["*"]`,
			"    match: { hosts: [y.example], paths: [/api/, /api] }",
			"  - name: e",
			`    allow_origins: ["*"]`,
			"    match: { hosts: [\"*.example\"] }",
			"  - name: f",
			`    allow_origins: ["*"]`,
			"    match: { hosts: [\"*.example\"] }",
		),
		want: []string{
			`p.yaml:6:22: policies[1].match.paths[0]: same match as policy "a" (policies[0], line 2) for any host and any path: neither is more specific, so make one so or merge them`,
			`p.yaml:12:49: policies[3].match.paths[1]: same match as policy "c" (policies[2], line 7) for host "y.example" and path "/api": neither is more specific, so make one so or merge them`,
			`p.yaml:18:22: policies[5].match.hosts[0]: same match as policy "e" (policies[4], line 13) for host "*.example" and any path: neither is more specific, so make one so or merge them`,
		},
	},
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range parseCases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			f, err := policyfile.Parse("p.yaml", []byte(tc.src))
			got := diagnostics(t, f, err)
			for i := range max(len(got), len(tc.want)) {
				g, w := "(none)", "(none)"
				if i < len(got) {
					g = got[i]
				}
				if i < len(tc.want) {
					w = tc.want[i]
				}
				if g != w {
					t.Errorf("diagnostic %d:\ngot  %s\nwant %s", i, g, w)
				}
			}
			wantValid := !slices.ContainsFunc(tc.want, func(s string) bool { return !strings.Contains(s, ": warning: ") })
			if gotValid := err == nil; gotValid != wantValid {
				t.Errorf("got valid %t; want %t (err: %v)", gotValid, wantValid, err)
			}
		})
	}
}

// diagnostics returns what Parse reported, as strings, after checking that
// the results are consistent with each other.
func diagnostics(t *testing.T, f *policyfile.File, err error) []string {
	t.Helper()
	var diags []policyfile.Diagnostic
	switch {
	case err == nil && f == nil:
		t.Fatal("got nil File and nil error")
	case err == nil:
		diags = f.Warnings
		for _, d := range diags {
			if !d.Warning {
				t.Errorf("got error %q among the warnings of a valid file", d)
			}
		}
	default:
		if f != nil {
			t.Errorf("got a File along with error %v", err)
		}
		var perr *policyfile.Error
		if !errors.As(err, &perr) {
			t.Fatalf("got error %T; want *policyfile.Error", err)
		}
		diags = perr.Diagnostics
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	return got
}

func TestParse_policies(t *testing.T) {
	t.Parallel()
	src := lines(
		"policies:",
		"  - name: app",
		"    match: { hosts: [api.example.com], paths: [/api/] }",
		`    allow_origins: [https://app.example.com, "https://*.preview.example.com"]`,
		"    allow_credentials: true",
		"    allow_methods: [PUT, DELETE]",
		"    allow_headers: [Authorization]",
		"    expose_headers: [X-Total-Count]",
		"    max_age: 0",
		"    preflight_status: 200",
		"  - name: public",
		`    allow_origins: ["*"]`,
		"    max_age: 90m",
	)
	f, err := policyfile.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatalf("got error %v; want none", err)
	}
	if got, want := len(f.Policies), 2; got != want {
		t.Fatalf("got %d policies; want %d", got, want)
	}
	app, public := f.Policies[0], f.Policies[1]
	for _, c := range []struct {
		desc      string
		got, want any
	}{
		{"app name", app.Name, "app"},
		{"app hosts", app.Hosts, []string{"api.example.com"}},
		{"app paths", app.Paths, []string{"/api/"}},
		{"app origins", app.Config.AllowOrigins, []string{"https://app.example.com", "https://*.preview.example.com"}},
		{"app credentials", app.Config.AllowCredentials, true},
		{"app methods", app.Config.AllowMethods, []string{"PUT", "DELETE"}},
		{"app headers", app.Config.AllowHeaders, []string{"Authorization"}},
		{"app expose", app.Config.ExposeHeaders, []string{"X-Total-Count"}},
		{"app max age", app.Config.MaxAge, cors.NoPreflightCache},
		{"app status", app.Config.PreflightStatus, 200},
		{"app pos", app.Pos, policyfile.Pos{File: "p.yaml", Line: 2, Column: 5}},
		{"public hosts", public.Hosts, []string(nil)},
		{"public max age", public.Config.MaxAge, 90 * time.Minute},
		{"public middleware set", public.Middleware != nil, true},
	} {
		if !equal(c.got, c.want) {
			t.Errorf("%s: got %v; want %v", c.desc, c.got, c.want)
		}
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs) && (as == nil) == (bs == nil)
	}
	return a == b
}

func TestError_unwrapsToCorserr(t *testing.T) {
	t.Parallel()
	_, err := policyfile.Parse("p.yaml", []byte("policies:\n  - name: a\n    allow_origins: [\"null\"]\n"))
	var ce *corserr.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v; want an error that unwraps to *corserr.Error", err)
	}
	if got, want := ce.Reason, corserr.Prohibited; got != want {
		t.Errorf("got reason %q; want %q", got, want)
	}
}

func TestLoad_missingFile(t *testing.T) {
	t.Parallel()
	_, err := policyfile.Load("testdata/does-not-exist.yaml")
	var perr *policyfile.Error
	if err == nil || errors.As(err, &perr) {
		t.Errorf("got %v; want a read error that is not a *policyfile.Error", err)
	}
}

// An invalid file prints at most MaxPrinted diagnostics, then counts the
// rest; every diagnostic stays in Diagnostics. A huge value is quoted cut.
func TestError_capsWhatItPrints(t *testing.T) {
	const n = 250
	var src strings.Builder
	src.WriteString("policies:\n  - name: big\n    max_age: 3h\n    allow_origins:\n")
	for i := range n {
		fmt.Fprintf(&src, "      - https://%03d.example.com/\n", i)
	}
	huge := "https://" + strings.Repeat("a", 10000) + ".example.com/"
	fmt.Fprintf(&src, "      - %s\n", huge)
	_, err := policyfile.Parse("big.yaml", []byte(src.String()))
	var perr *policyfile.Error
	if !errors.As(err, &perr) {
		t.Fatalf("got %v; want a *policyfile.Error", err)
	}
	if got := len(perr.Diagnostics); got != n+2 {
		t.Fatalf("got %d diagnostics; want %d", got, n+2)
	}
	lines := strings.Split(perr.Error(), "\n")
	if len(lines) != policyfile.MaxPrinted+1 {
		t.Fatalf("Error has %d lines; want %d", len(lines), policyfile.MaxPrinted+1)
	}
	for i, d := range perr.Diagnostics[:policyfile.MaxPrinted] {
		if lines[i] != d.String() {
			t.Fatalf("line %d: got %q; want %q", i, lines[i], d.String())
		}
	}
	// The max_age warning comes first in the file; the rest are errors.
	if want := fmt.Sprintf("... and %d more (%d errors, 0 warnings)", n+2-policyfile.MaxPrinted, n+2-policyfile.MaxPrinted); lines[policyfile.MaxPrinted] != want {
		t.Errorf("last line: got %q; want %q", lines[policyfile.MaxPrinted], want)
	}
	long := perr.Diagnostics[n+1].String()
	if len(long) > 1000 || !strings.Contains(long, fmt.Sprintf("... (%d bytes)", len(huge))) {
		t.Errorf("the diagnostic of a 10 KB origin: got %d bytes: %.300s", len(long), long)
	}
	// Up to MaxPrinted, everything is printed and nothing is counted.
	if got := policyfile.FormatDiagnostics(perr.Diagnostics[:policyfile.MaxPrinted]); strings.Contains(got, "\n... and") {
		t.Errorf("FormatDiagnostics of %d: got a count: %.200s", policyfile.MaxPrinted, got)
	}
}
