package lint_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/lint"
)

func TestNewCmdLint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc      string
		cli       string
		want      lint.Options
		wantUsage bool // a *cmdutil.UsageError
		wantErr   bool // any other error from the command line
	}{
		{desc: "file", cli: "policy.yaml", want: lint.Options{File: "policy.yaml"}},
		{desc: "json flag first", cli: "--json policy.yaml", want: lint.Options{File: "policy.yaml", JSON: true}},
		{desc: "json flag last", cli: "policy.yaml --json", want: lint.Options{File: "policy.yaml", JSON: true}},
		{desc: "standard input", cli: "-", want: lint.Options{File: "-"}},
		{desc: "no file", cli: "", wantUsage: true},
		{desc: "two files", cli: "a.yaml b.yaml", wantUsage: true},
		{desc: "unknown flag", cli: "--jsn a.yaml", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			got, err := clitest.Parse(t, lint.NewCmdLint, strings.Fields(tc.cli))
			if !clitest.CheckErr(t, err, tc.wantUsage, tc.wantErr) {
				return
			}
			if got.File != tc.want.File || got.JSON != tc.want.JSON {
				t.Errorf("got File %q, JSON %t; want File %q, JSON %t", got.File, got.JSON, tc.want.File, tc.want.JSON)
			}
		})
	}
}

func TestRun_stdin(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	ios := cmdutil.IO{In: strings.NewReader("policies:\n  - name: a\n    allow_origins: [\"null\"]\n"), Out: &stdout}
	err := lint.Run(context.Background(), &lint.Options{IO: ios, File: "-"})
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != cmdutil.ExitFail {
		t.Fatalf("got error %v; want exit code %d", err, cmdutil.ExitFail)
	}
	want := `<stdin>:3:21: policies[0].allow_origins[0]: cors: prohibited value "null": ` +
		"the null origin is sent by sandboxed iframes, file: pages and redirected requests, so any attacker can forge it\n" +
		"<stdin>: 1 error\n"
	if got := stdout.String(); got != want {
		t.Errorf("got output\n%s\nwant\n%s", got, want)
	}
}

func TestRun_target(t *testing.T) {
	t.Parallel()
	src := "policies:\n  - name: app\n    allow_origins: [\"*\"]\n    preflight_status: 200\n"
	cases := []struct {
		target string
		json   bool
		code   int // 0 for no error
		want   string
	}{
		{"nginx", false, 0, "<stdin>: ok, 1 policy\n"},
		{"apache", false, cmdutil.ExitFail, `<stdin>:2:5: policies[0].preflight_status: export --format apache: value "200": a preflight_status other than 204 is answered by mod_rewrite's R=NNN, which sends Apache's error-page body with it (approximated)` + "\n" +
			"<stdin>: valid, 1 policy, 1 difference for the target\n"},
		{"apache", true, cmdutil.ExitFail, `"path": "policies[0].preflight_status"`},
	}
	for _, tc := range cases {
		var stdout bytes.Buffer
		ios := cmdutil.IO{In: strings.NewReader(src), Out: &stdout}
		err := lint.Run(context.Background(), &lint.Options{IO: ios, File: "-", Target: tc.target, JSON: tc.json})
		code := 0
		var exit *cmdutil.ExitError
		if errors.As(err, &exit) {
			code = exit.Code
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("--target %s (json %t): exit %d; want %d\n%s\nwant %s", tc.target, tc.json, code, tc.code, stdout.String(), tc.want)
		}
	}
	_, err := clitest.Parse(t, lint.NewCmdLint, []string{"--target", "iis", "p.yaml"})
	clitest.CheckErr(t, err, true, false)
	got, err := clitest.Parse(t, lint.NewCmdLint, []string{"--target", "nginx", "p.yaml"})
	if clitest.CheckErr(t, err, false, false) && got.Target != "nginx" {
		t.Errorf("Target %q", got.Target)
	}
}
