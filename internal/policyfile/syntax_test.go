package policyfile_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// Every YAML syntax error is reported at FILE:LINE:COLUMN, at the token
// where the problem is, with the key path when the problem is in the
// value of a key on that line (issue 8, reliability defect 7: unclosed
// brackets used to be reported one line too early, with no column).
func TestParse_syntaxErrorPositions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc, src string
		want      string // the diagnostic's position and path
	}{
		{"unclosed [ at the top", "policies: [a, b\n", "p.yaml:1:11: policies: "},
		{"unclosed [ at the end", "policies:\n  - name: a\n    allow_origins: [https://a.example\n", "p.yaml:3:20: policies[0].allow_origins: "},
		{"unclosed [ then a key", "policies:\n  - name: a\n    allow_origins: [https://a.example\n    allow_methods: [GET]\n", "p.yaml:4:5: "},
		{"unclosed [ then blank lines", "policies:\n  - name: a\n    allow_origins: [x\n\n\n", "p.yaml:3:20: policies[0].allow_origins: "},
		{"unclosed [ after a comma", "policies:\n  - name: a\n    allow_origins: [x,\n", "p.yaml:3:20: policies[0].allow_origins: "},
		{"unclosed {", "policies:\n  - name: a\n    match: {hosts: [a.example]\n", "p.yaml:3:12: policies[0].match: "},
		{"unclosed { then a policy", "policies:\n  - name: a\n    match: {hosts: [a.example]\n  - name: b\n", "p.yaml:4:3: "},
		{"unclosed { of a list", "policies:\n  - name: a\n    allow_origins: {x\n", "p.yaml:3:21: policies[0].allow_origins: "},
		{"[ closed by }", "policies:\n  - name: a\n    match: {hosts: [a.example], paths: [/x}\n", "p.yaml:3:43: policies[0].match: "},
		{"unclosed double quote", "policies:\n  - name: a\n    allow_origins: [\"https://a.example]\n", "p.yaml:3:21: policies[0].allow_origins: "},
		{"unclosed single quote", "policies:\n  - name: 'a\n", "p.yaml:2:11: policies[0].name: "},
		{"unclosed quote in proxy", "proxy:\n  listen: \"127.0.0.1:80\n", "p.yaml:2:11: proxy.listen: "},
		{"key indented too little", "policies:\n  - name: a\n   allow_origins: [x]\n", "p.yaml:3:4: "},
		{"policy indented too little", "policies:\n  - name: a\n  allow_origins: [x]\n - name: b\n", "p.yaml:3:3: "},
		{"list item indented too little", "policies:\n  - name: a\n    allow_origins:\n      - x\n     - y\n", "p.yaml:5:6: "},
		{"mapping in a plain value", "policies:\n  - name: a\n    allow_origins: x: y\n", "p.yaml:3:20: policies[0].allow_origins: "},
		{"tab indentation", "policies:\n\t- name: a\n", "p.yaml:2:1: "},
		{"reserved @", "policies:\n  - name: a\n    max_age: @2h\n", "p.yaml:3:14: policies[0].max_age: "},
		{"reserved backquote", "policies:\n  - name: a\n    max_age: `2h`\n", "p.yaml:3:14: policies[0].max_age: "},
		{"stray ]", "policies: ]\n", "p.yaml:1:11: policies: "},
		{"stray }", "policies: }\n", "p.yaml:1:1: "},
		{"extra ]", "policies:\n  - name: a\n    allow_origins: [x]]\n", "p.yaml:3:23: policies[0].allow_origins: "},
		{"two lists", "policies:\n  - name: a\n    allow_origins: [x], [y]\n", "p.yaml:3:23: policies[0].allow_origins: "},
		{"unknown escape", "policies:\n  - name: \"a\\q\"\n", "p.yaml:2:14: policies[0].name: "},
		{"line without a colon", "policies:\n  - name: a\nkey without colon\n", "p.yaml:3:1: "},
		{"duplicate %YAML directive", "%YAML 1.1\n%YAML 1.1\n---\npolicies: []\n", "p.yaml:1:1: "},
		{"list then mapping", "- a\nb: c\n", "p.yaml:2:1: "},
		{"undefined tag handle", "policies:\n  - name: !!str a\n  - !foo!bar b\n", "p.yaml:3:5: "},
		{"unknown anchor", "policies:\n  - name: a\n  - *b\n", "p.yaml:3:5: "},
		{"bad UTF-8", "policies:\n  - name: \xff\n", "p.yaml:2:11: policies[0].name: "},
	}
	shape := regexp.MustCompile(`^p\.yaml:\d+:\d+: `)
	for _, tc := range cases {
		_, err := policyfile.Parse("p.yaml", []byte(tc.src))
		var perr *policyfile.Error
		if !errors.As(err, &perr) {
			t.Errorf("%s: got %v; want a *policyfile.Error", tc.desc, err)
			continue
		}
		for _, d := range perr.Diagnostics {
			if !shape.MatchString(d.String()) {
				t.Errorf("%s: diagnostic %q has no FILE:LINE:COLUMN", tc.desc, d)
			}
		}
		d := perr.Diagnostics[0]
		got := d.Pos.String() + ": "
		if d.Path != "" {
			got += d.Path + ": "
		}
		if got != tc.want {
			t.Errorf("%s: got %q; want it at %q", tc.desc, d, tc.want)
		}
	}
}
