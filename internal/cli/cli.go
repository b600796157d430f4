// Package cli is crossgate's command line: [Main] parses the arguments and
// runs a subcommand, each in its own package under internal/cli.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/crossgate/crossgate/internal/cli/audit"
	"github.com/crossgate/crossgate/internal/cli/check"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/dev"
	"github.com/crossgate/crossgate/internal/cli/explain"
	"github.com/crossgate/crossgate/internal/cli/export"
	"github.com/crossgate/crossgate/internal/cli/lint"
	"github.com/crossgate/crossgate/internal/cli/proxy"
	"github.com/spf13/cobra"
)

// Main runs crossgate with args (without the program name) and returns
// the exit code: 0 for success, 1 for a negative answer (an invalid policy
// file, a refused request), 2 for a usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ios := cmdutil.IO{In: stdin, Out: stdout, ErrOut: stderr}
	root := NewCmdRoot(ios)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	var exit *cmdutil.ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), exit.Err)
		}
		return exit.Code
	}
	// A *cmdutil.UsageError, or an error of cobra's own command-line
	// parsing (an unknown command or flag, a missing required flag).
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return cmdutil.ExitUsage
}

// NewCmdRoot returns the crossgate command with its subcommands.
func NewCmdRoot(ios cmdutil.IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "crossgate <command> [flags]",
		Short: "crossgate checks and explains CORS policies",
		Long: `crossgate checks and explains CORS policies.

Exit codes: 0 success, 1 a negative answer (an invalid policy file, a
refused request), 2 a usage or network error, 3 findings (audit).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.Usagef("unknown command %q", args[0])
			}
			return cmdutil.Usagef("missing command")
		},
		RunE: func(*cobra.Command, []string) error { return nil }, // unreachable: Args always fails
	}
	root.Version = readVersion().String() // --version
	root.SetVersionTemplate("crossgate {{.Version}}\n")
	root.InitDefaultVersionFlag() // now, for docs/cli/
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: err}
	})
	root.AddCommand(
		lint.NewCmdLint(ios, nil),
		explain.NewCmdExplain(ios, nil),
		proxy.NewCmdProxy(ios, nil),
		check.NewCmdCheck(ios, nil),
		audit.NewCmdAudit(ios, nil),
		export.NewCmdExport(ios, nil),
		dev.NewCmdDev(ios, nil),
		newCmdVersion(ios),
	)
	// cobra adds "completion" when it executes; adding it now lets the
	// reference in docs/cli/ show it too.
	root.InitDefaultCompletionCmd()
	fixCompletionCmd(root)
	registerCompletions(root)
	return root
}
