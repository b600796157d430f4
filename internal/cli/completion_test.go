package cli_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
	"github.com/crossgate/crossgate/internal/cli/audit"
	"github.com/crossgate/crossgate/internal/cli/check"
	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// runMain runs crossgate with args and returns its exit code and outputs.
func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runMain(args...)
		if code != 0 || errOut != "" {
			t.Errorf("crossgate %s: exit %d, stderr %q", args[0], code, errOut)
		}
		// In a test binary the main module is the test's: "(devel)" or
		// a version, then the Go version.
		if !strings.HasPrefix(out, "crossgate ") || !strings.Contains(out, " go1.") || !strings.HasSuffix(out, "\n") {
			t.Errorf("crossgate %s: got %q; want \"crossgate VERSION ... goX.Y\"", args[0], out)
		}
	}
	_, v1, _ := runMain("version")
	_, v2, _ := runMain("--version")
	if v1 != v2 {
		t.Errorf("version and --version differ: %q, %q", v1, v2)
	}
	if code, _, _ := runMain("version", "extra"); code != 2 {
		t.Errorf("crossgate version extra: exit %d; want 2", code)
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "complete -o default -F __start_crossgate crossgate",
		"zsh":        "#compdef crossgate",
		"fish":       "complete -c crossgate",
		"powershell": "Register-ArgumentCompleter",
	} {
		code, out, errOut := runMain("completion", shell)
		if code != 0 || errOut != "" {
			t.Errorf("completion %s: exit %d, stderr %q", shell, code, errOut)
		}
		if !strings.Contains(out, marker) {
			t.Errorf("completion %s: output lacks %q", shell, marker)
		}
	}
	if code, _, _ := runMain("completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d; want 2", code)
	}
}

// complete returns the candidates that the shell scripts would get for
// the command line args (whose last element is the word being completed),
// without their descriptions, and the directive.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, errOut := runMain(append([]string{"__completeNoDesc"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestFlagCompletion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"audit", "--format", ""}, []string{"text", "json", "sarif"}},
		{[]string{"audit", "--format", "s"}, []string{"sarif"}},
		{[]string{"audit", "--format=j"}, []string{"json"}}, // the script puts back "--format="
		{[]string{"audit", "--fail-on", ""}, []string{"info", "low", "medium", "high"}},
		{[]string{"check", "--credentials", ""}, []string{"omit", "same-origin", "include"}},
		{[]string{"check", "--engine", ""}, []string{"chromium", "spec"}},
		{[]string{"check", "--address-space", "l"}, []string{"local", "loopback"}},
		{[]string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}},
	} {
		got, directive := complete(t, tt.args...)
		if !slices.Equal(got, tt.want) {
			t.Errorf("complete %q: got %q; want %q", tt.args, got, tt.want)
		}
		if tt.args[0] != "completion" && directive != ":4" { // ShellCompDirectiveNoFileComp
			t.Errorf("complete %q: directive %s; want :4 (no file names)", tt.args, directive)
		}
	}
	// A policy file flag completes file names with the YAML extensions.
	got, directive := complete(t, "explain", "--config", "")
	if !slices.Equal(got, []string{"yaml", "yml"}) || directive != ":8" { // ShellCompDirectiveFilterFileExt
		t.Errorf("complete explain --config: got %q %s; want [yaml yml] :8", got, directive)
	}
	// Subcommands, version and completion among them.
	got, _ = complete(t, "")
	for _, want := range []string{"audit", "check", "completion", "explain", "lint", "proxy", "version"} {
		if !slices.Contains(got, want) {
			t.Errorf("complete \"\": %q lacks %q", got, want)
		}
	}
}

// TestFlagValues checks the completion table against the commands: each
// value completed must be accepted, and a value outside the set refused
// (otherwise the set is not fixed and should not be completed).
func TestFlagValues(t *testing.T) {
	parse := map[string]func(t *testing.T, args []string) error{
		"crossgate audit": func(t *testing.T, args []string) error {
			_, err := clitest.Parse(t, audit.NewCmdAudit, append(args, "https://api.example.com/"))
			return err
		},
		"crossgate check": func(t *testing.T, args []string) error {
			origin := "https://app.example.com"
			if args[0] == "--page-scheme" {
				origin = "null" // the origin of a page loaded from a file: URL
			}
			_, err := clitest.Parse(t, check.NewCmdCheck, append(args, "--origin", origin, "https://api.example.com/"))
			return err
		},
	}
	table := cli.FlagValues()
	if len(table) == 0 {
		t.Fatal("no flag values to complete")
	}
	for cmd, flags := range table {
		p := parse[cmd]
		if p == nil {
			t.Errorf("%s: no parser in this test: add one", cmd)
			continue
		}
		for flag, values := range flags {
			for _, v := range values {
				v, _, _ = strings.Cut(v, "\t")
				if err := p(t, []string{"--" + flag, v}); err != nil {
					t.Errorf("%s --%s %s: %v; completion offers it", cmd, flag, v, err)
				}
			}
			err := p(t, []string{"--" + flag, "no-such-value"})
			clitest.CheckErr(t, err, true, false)
		}
	}
}

// Every flag completed with file names is a flag its command has: a
// renamed flag would otherwise lose its completion without a word.
func TestFileFlags(t *testing.T) {
	root := cli.NewCmdRoot(cmdutil.IO{})
	table := cli.FileFlags()
	if len(table) == 0 {
		t.Fatal("no file flags to complete")
	}
	for path, flags := range table {
		var c *cobra.Command
		for _, sub := range root.Commands() {
			if sub.CommandPath() == path {
				c = sub
			}
		}
		if c == nil {
			t.Errorf("%s: no such command", path)
			continue
		}
		for name := range flags {
			if c.Flags().Lookup(name) == nil {
				t.Errorf("%s has no --%s", path, name)
			}
		}
	}
}
