package cli

import (
	"strings"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// fixCompletionCmd makes cobra's completion command fail with a usage error
// on a missing or unknown shell, instead of printing its help and exiting 0.
func fixCompletionCmd(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.Usagef("missing shell: want bash, zsh, fish or powershell")
			}
			return cmdutil.Usagef("unknown shell %q: want bash, zsh, fish or powershell", args[0])
		}
	}
}

// flagValues are the values of the flags that take one of a fixed set, by
// command path and flag name, each value with what it means (cobra shows
// the text after the tab where the shell can). TestFlagValues checks that
// every command accepts each of them and refuses a value outside the set,
// so that the list cannot drift from what the commands parse.
var flagValues = map[string]map[string][]string{
	"crossgate audit": {
		"format":  {"text\thuman-readable report", "json\tone JSON document", "sarif\tSARIF 2.1.0"},
		"fail-on": {"info", "low", "medium", "high"},
	},
	"crossgate check": {
		"credentials":          {"omit\tnever send cookies", "same-origin\tcookies to the page's own origin only (fetch's default)", "include\tcookies cross-origin too"},
		"engine":               {"chromium\tChromium 156", "spec\tthe Fetch standard"},
		"page-scheme":          {"file\ta page opened from a file: URL (origin null)"},
		"address-space":        {"public", "local", "loopback"},
		"target-address-space": {"public", "local", "loopback"},
	},
}

// fileFlags are the flags that name a policy file (or a list of URLs),
// completed with file names.
var fileFlags = map[string]map[string][]string{
	"crossgate audit":   {"policy": {"yaml", "yml"}, "targets": nil},
	"crossgate dev":     {"write-policy": {"yaml", "yml"}},
	"crossgate explain": {"config": {"yaml", "yml"}},
	"crossgate proxy":   {"config": {"yaml", "yml"}},
}

// registerCompletions registers the completion of fixed-set flag values and
// of file names on the commands under root. A flag of the tables that a
// command no longer has is skipped (the test reports it).
func registerCompletions(root *cobra.Command) {
	walk(root, func(c *cobra.Command) {
		for name, values := range flagValues[c.CommandPath()] {
			if c.Flags().Lookup(name) == nil {
				continue
			}
			_ = c.RegisterFlagCompletionFunc(name, fixedValues(values)) // cannot fail: the flag exists and has none yet
		}
		for name, exts := range fileFlags[c.CommandPath()] {
			if c.Flags().Lookup(name) == nil {
				continue
			}
			_ = c.MarkFlagFilename(name, exts...)
		}
	})
}

func fixedValues(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// walk calls f on c and every command under it.
func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}
