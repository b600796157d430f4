package lint_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/lint"
	"github.com/crossgate/crossgate/internal/policyfile"
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

// An endless standard input (yes | crossgate lint -) and a device that
// never ends are refused at the size limit, with exit code 2.
func TestRun_tooLarge(t *testing.T) {
	t.Parallel()
	files := []string{"-"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		files = append(files, "/dev/zero")
	}
	for _, file := range files {
		var stdout bytes.Buffer
		yes := io.MultiReader(strings.NewReader("policies: []\n"), endless{})
		ios := cmdutil.IO{In: yes, Out: &stdout}
		err := lint.Run(context.Background(), &lint.Options{IO: ios, File: file})
		var exit *cmdutil.ExitError
		if !errors.As(err, &exit) || exit.Code != cmdutil.ExitUsage || !errors.Is(err, policyfile.ErrTooLarge) {
			t.Errorf("lint %s: got error %v; want exit code %d for a file too large", file, err, cmdutil.ExitUsage)
		}
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "y\n"[i%2]
	}
	return len(p), nil
}
