// Package export is the crossgate export command: it writes a policy file
// as the native configuration of another server.
package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/spf13/cobra"
)

// Options are the inputs of the export command.
type Options struct {
	IO                 cmdutil.IO
	File               string // the policy file
	Format             string
	Listen             string
	Upstream           string
	Output             string // "" for standard output
	AllowApproximation bool
}

// NewCmdExport returns the export command. runF, when not nil, runs
// instead of [Run] once the command line is parsed (for tests).
func NewCmdExport(ios cmdutil.IO, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:                   "export --format FORMAT [--listen ADDR] [--upstream URL] [-o FILE] [--allow-approximation] POLICYFILE",
		DisableFlagsInUseLine: true,
		Short:                 "Write a policy file as another server's configuration",
		Long: `Write the policies of a policy file as the native configuration of another
server, keeping their meaning: anchored origin matching, "*" only where the
policy says "*", credentials only with reflected origins, Vary, preflights
answered at the edge, the upstream's Access-Control-* headers removed, CORS
on error responses, the policies' host and path matching.

Formats: ` + strings.Join(export.Names(), ", ") + `.

--listen and --upstream override proxy.listen and the default upstream, as
they do for crossgate proxy. Without -o the output goes to standard output;
-o writes the file whole or not at all.

Where the format cannot express part of a policy exactly, export names the
policy, the field and the format's limit and exits 1; with
--allow-approximation it exports anyway, with the differences in a comment
at the top. "crossgate lint --target FORMAT FILE" lists them without
writing anything.

Exit codes: 0 exported, 1 not expressible exactly, 2 a usage error or an
unreadable or invalid policy file (diagnostics as crossgate lint prints
them).`,
		Example: `  crossgate export --format nginx --upstream http://127.0.0.1:9000 -o /etc/nginx/conf.d/cors.conf examples/crossgate.yaml
  crossgate export --format caddy --listen 127.0.0.1:8443 policy.yaml`,
		Args: cmdutil.ExactArgs(1, "the policy file to export"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.Format == "" {
				return cmdutil.Usagef("missing --format: one of %s", strings.Join(export.Names(), ", "))
			}
			if _, ok := export.Lookup(opts.Format); !ok {
				return cmdutil.Usagef("unknown --format %q: want one of %s", opts.Format, strings.Join(export.Names(), ", "))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "", "the output format: "+strings.Join(export.Names(), ", "))
	f.StringVar(&opts.Listen, "listen", "", "the address to listen on, host:port (overrides proxy.listen)")
	f.StringVar(&opts.Upstream, "upstream", "", "the default upstream URL (overrides proxy.upstream)")
	f.StringVarP(&opts.Output, "output", "o", "", "write to `FILE` (atomically) instead of standard output")
	f.BoolVar(&opts.AllowApproximation, "allow-approximation", false,
		"export even where the format cannot express a policy exactly, listing the differences at the top")
	return cmd
}

// Load reads and parses the policy file name for a command that needs a
// valid one. An unreadable or invalid file gives an *cmdutil.ExitError
// with ExitUsage, after the diagnostics are written to errOut as lint
// prints them.
func Load(name string, errOut io.Writer) (*policyfile.File, error) {
	f, err := policyfile.Load(name)
	var perr *policyfile.Error
	switch {
	case err == nil:
		for _, d := range f.Warnings {
			fmt.Fprintln(errOut, d)
		}
		return f, nil
	case errors.As(err, &perr):
		for _, d := range perr.Diagnostics {
			fmt.Fprintln(errOut, d)
		}
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("%s: invalid policy file", name)}
	}
	return nil, &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
}

// Run exports the policy file as opts says.
func Run(_ context.Context, opts *Options) error {
	t, ok := export.Lookup(opts.Format)
	if !ok {
		return cmdutil.Usagef("unknown --format %q", opts.Format)
	}
	f, err := Load(opts.File, opts.IO.ErrOut)
	if err != nil {
		return err
	}
	pl, err := export.NewPlan(f, export.Overrides{Listen: opts.Listen, Upstream: opts.Upstream})
	if err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	if err := t.Validate(pl); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("--format %s: %w", t.Name, err)}
	}
	diffs := export.Check(pl, t.Caps)
	if len(diffs) > 0 && !opts.AllowApproximation {
		for _, d := range diffs {
			fmt.Fprintf(opts.IO.ErrOut, "%s: %s: %s\n", opts.File, t.Name, d)
		}
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: fmt.Errorf(
			"%s cannot express %s exactly (%d difference(s) above); --allow-approximation exports it anyway", t.Name, opts.File, len(diffs))}
	}
	var buf bytes.Buffer
	if len(diffs) > 0 {
		pl.Differences = diffs
		if t.Comment != "" {
			if err := export.WriteComment(&buf, t.Name, diffs, t.Comment); err != nil {
				return err
			}
		} else {
			for _, d := range diffs {
				fmt.Fprintf(opts.IO.ErrOut, "%s: %s: approximated: %s\n", opts.File, t.Name, d)
			}
		}
	}
	if err := t.Render(pl, &buf); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: fmt.Errorf("--format %s: %w", t.Name, err)}
	}
	if opts.Output == "" {
		_, err := opts.IO.Out.Write(buf.Bytes())
		return err
	}
	if err := cmdutil.WriteFileAtomic(opts.Output, buf.Bytes()); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("-o %s: %w", opts.Output, err)}
	}
	return nil
}
