// Package lint is the crossgate lint command: it checks a policy file and
// prints every problem found.
package lint

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/spf13/cobra"
)

// Options are the inputs of the lint command.
type Options struct {
	IO   cmdutil.IO
	File string // the policy file, or "-" for standard input
	JSON bool
	// Target, when set, is an export format: lint then also lists what
	// crossgate export --format Target could not express exactly.
	Target string
}

// NewCmdLint returns the lint command. runF, when not nil, runs instead of
// [Run] once the command line is parsed (for tests).
func NewCmdLint(ios cmdutil.IO, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:                   "lint [--json] [--target FORMAT] FILE",
		DisableFlagsInUseLine: true,
		Short:                 "Check a policy file",
		Long: `Check a policy file and print every problem found, each as
FILE:LINE:COLUMN: key.path: message. Warnings (problems that do not stop the
policies from working as written) are marked "warning:".

FILE "-" reads the policy file from standard input. The files that proxy reads
at start, proxy.tls_cert and proxy.tls_key, are checked too: they must exist
and load as a pair.

With --target FORMAT, lint also lists what crossgate export --format FORMAT
could not express exactly, each naming the policy, the field and the
format's limit, and fails if there is any.

Exit codes: 0 the file is valid (it may have warnings), 1 the file has
errors (or, with --target, differences), 2 a usage error or an unreadable
file.`,
		Example: `  crossgate lint examples/crossgate.yaml
  crossgate lint --json policy.yaml`,
		Args: cmdutil.ExactArgs(1, "the policy file to check"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.Target != "" {
				if _, ok := export.Lookup(opts.Target); !ok {
					return cmdutil.Usagef("unknown --target %q: want one of %s", opts.Target, strings.Join(export.Names(), ", "))
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false,
		"print the diagnostics as a JSON list of {file, line, column, path, message, severity}")
	cmd.Flags().StringVar(&opts.Target, "target", "",
		"also list what export --format `FORMAT` cannot express exactly: "+strings.Join(export.Names(), ", "))
	return cmd
}

// Run checks the policy file and prints the diagnostics to opts.IO.Out. It
// returns an *cmdutil.ExitError for an invalid or unreadable file.
func Run(_ context.Context, opts *Options) error {
	name, src, err := read(opts)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	f, err := policyfile.Parse(name, src)
	var diags []policyfile.Diagnostic
	var perr *policyfile.Error
	switch {
	case err == nil:
		diags = f.Warnings
		// What the gateway would read at start: its TLS files; and an
		// upstream that is the file's own proxy.listen (the gateway
		// checks again with its --listen and --upstream).
		if extra := slices.Concat(f.CheckFiles(), f.CheckLoops()); len(extra) > 0 {
			diags = append(slices.Clone(diags), extra...)
			slices.SortStableFunc(diags, func(a, b policyfile.Diagnostic) int {
				return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
			})
			f = nil
		}
	case errors.As(err, &perr):
		diags = perr.Diagnostics
	default:
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	ndiffs := 0
	if f != nil && opts.Target != "" {
		td, err := targetDiagnostics(f, opts.Target)
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		ndiffs = len(td)
		diags = slices.Concat(diags, td)
	}
	if opts.JSON {
		err = writeJSON(opts.IO.Out, diags)
	} else {
		err = writeText(opts.IO.Out, name, f, diags)
	}
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	if f == nil || ndiffs > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail}
	}
	return nil
}

// targetDiagnostics returns what export --format target cannot express in
// f, as error diagnostics at the policies they are about, with the path of
// the field and the target's limit.
func targetDiagnostics(f *policyfile.File, target string) ([]policyfile.Diagnostic, error) {
	t, ok := export.Lookup(target)
	if !ok {
		return nil, fmt.Errorf("unknown --target %q", target)
	}
	pl, err := export.NewPlan(f, export.Overrides{})
	if err != nil {
		return nil, err
	}
	var diags []policyfile.Diagnostic
	for _, d := range export.Check(pl, t.Caps) {
		msg := fmt.Sprintf("export --format %s: %s", t.Name, d.Limit)
		if d.Value != "" {
			msg = fmt.Sprintf("export --format %s: value %q: %s", t.Name, d.Value, d.Limit)
		}
		if d.Level == export.Approximate {
			msg += " (approximated)"
		}
		diags = append(diags, policyfile.Diagnostic{Pos: d.Pos, Path: d.Field, Message: msg})
	}
	return diags, nil
}

func read(opts *Options) (name string, src []byte, err error) {
	if opts.File == "-" {
		src, err = policyfile.Read("<stdin>", opts.IO.In)
		if err != nil {
			return "", nil, fmt.Errorf("reading standard input: %w", err)
		}
		return "<stdin>", src, nil
	}
	src, err = policyfile.ReadFile(opts.File)
	return opts.File, src, err
}

// writeText prints the diagnostics as policyfile.FormatDiagnostics does
// (the first policyfile.MaxPrinted, then a count of the rest), and a
// summary that counts them all.
func writeText(w io.Writer, name string, f *policyfile.File, diags []policyfile.Diagnostic) error {
	nerrs, nwarns := 0, 0
	for _, d := range diags {
		if d.Warning {
			nwarns++
		} else {
			nerrs++
		}
	}
	if len(diags) > 0 {
		if _, err := fmt.Fprintln(w, policyfile.FormatDiagnostics(diags)); err != nil {
			return err
		}
	}
	summary := fmt.Sprintf("%s: %s", name, plural(nerrs, "error"))
	switch {
	case f != nil && nerrs > 0: // only --target's differences
		summary = fmt.Sprintf("%s: valid, %s, %s for the target", name, plural(len(f.Policies), "policy"), plural(nerrs, "difference"))
	case f != nil:
		summary = fmt.Sprintf("%s: ok, %s", name, plural(len(f.Policies), "policy"))
	}
	if nwarns > 0 {
		summary += ", " + plural(nwarns, "warning")
	}
	_, err := fmt.Fprintln(w, summary)
	return err
}

func plural(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case noun == "policy":
		return fmt.Sprintf("%d policies", n)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// jsonDiagnostic is a diagnostic in the --json output. Column is 0 when
// the YAML parser gives none.
type jsonDiagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Path     string `json:"path"`
	Message  string `json:"message"`
	Severity string `json:"severity"` // "error" or "warning"
}

func writeJSON(w io.Writer, diags []policyfile.Diagnostic) error {
	out := make([]jsonDiagnostic, 0, len(diags))
	for _, d := range diags {
		sev := "error"
		if d.Warning {
			sev = "warning"
		}
		out = append(out, jsonDiagnostic{
			File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Column,
			Path: d.Path, Message: d.Message, Severity: sev,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
