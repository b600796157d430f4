package devtools_test

import (
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/devtools"
)

// Hostile cURL lines: whatever the shell would expand, run or read is
// refused with an error naming it, quickly, whatever its size.
func TestParseCurl_hostile(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		// Nested substitutions by the thousand: refused before the
		// shell parser, which takes superlinear time on them.
		{"curl " + strings.Repeat("$(", 20000), "command substitution ($(...)) at offset 5"},
		{`curl "` + strings.Repeat("${a:-", 20000), "shell variable $a"},
		{"curl 'http://a.example/' <(id)", "process substitution at offset 25"},
		{"curl http://a.example/$[1+1]", "arithmetic expansion"},
		// Single quotes and $'...' hold no expansion.
		{"curl 'http://a.example/' -H $'X: \\'$(id)' -H " + strings.Repeat("{", 5000), "unquoted braces"},
		// Brace expansion, quadratic in mvdan.cc/sh, and which would make
		// two words of one.
		{"curl http://a.example/" + strings.Repeat("{a,", 2000), "unquoted braces"},
		{"curl http://a.example/{b,c}", "brace expansion at 1:6"},
		// Tilde expansion reads the user database.
		{"curl ~root/x", "tilde expansion"},
		{"curl http://a.example/ | sh", "want one plain curl command"},
		{"curl http://a.example/ > /tmp/x", "want one plain curl command"},
		{"X=1 curl http://a.example/", "want one plain curl command"},
		{"curl http://a.example/\nid", "want one command, got 2"},
		// Local files are never read.
		{"curl http://a.example/ -F a=@/etc/passwd", "-F sends a form or a file"},
		{"curl http://a.example/ -T/etc/passwd", "-T sends a form or a file"},
		{"curl http://a.example/ --data-binary @/etc/passwd", "reads the body from a file"},
		// cmd.exe expands %NAME%, between quotes too.
		{`curl ^"http://a.example/%PATH%^"`, "cmd variable %PATH% at offset 24"},
	}
	for _, tc := range cases {
		_, err := devtools.ParseCurl(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCurl(%.60q): got %v; want an error containing %q", tc.in, err, tc.want)
		}
	}
	// What is not an expansion is read as written.
	for in, wantURL := range map[string]string{
		"curl 'http://a.example/$(id)/`x`/{a,b}/~'": "http://a.example/$(id)/`x`/{a,b}/~",
		"curl http://a.example/a$":                  "http://a.example/a$",
		"curl http://a.example/{id}":                "http://a.example/{id}",
		`curl ^"http://a.example/%^PATH%^"`:         "http://a.example/%PATH%",
		`curl ^"http://a.example/100%^"`:            "http://a.example/100%",
	} {
		c, err := devtools.ParseCurl(in)
		if err != nil || c.URL != wantURL {
			t.Errorf("ParseCurl(%q): got %v; want URL %q", in, err, wantURL)
			continue
		}
	}
}
