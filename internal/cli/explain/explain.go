// Package explain is the crossgate explain command: it shows what a policy
// file does with one request, and why.
package explain

import (
	"context"
	"errors"
	"fmt"
	"github.com/crossgate/crossgate/fetch"
	"net/http"
	"net/url"
	"strings"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/httplex"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/spf13/cobra"
)

// Options are the inputs of the explain command, checked.
type Options struct {
	IO     cmdutil.IO
	Config string // the policy file
	// Method is the request's method, or with Preflight the method of the
	// request a preflight is sent for (normalised as browsers do).
	Method string
	Origin string      // "" for a request without Origin
	Header http.Header // the other request headers
	// Preflight asks to explain the preflight a browser sends for the
	// request, not the request itself.
	Preflight bool
	JSON      bool
	URL       *url.URL
}

// NewCmdExplain returns the explain command. runF, when not nil, runs
// instead of [Run] once the command line is parsed and checked (for tests).
func NewCmdExplain(ios cmdutil.IO, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	var headers []string
	cmd := &cobra.Command{
		DisableFlagsInUseLine: true,
		Use:                   "explain --config FILE [--method M] [--origin O] [--header 'Name: value']... [--preflight] [--json] URL",
		Short:                 "Show what a policy file does with a request",
		Long: `Show what a policy file does with a request: which policy matches it,
whether it is a preflight, the status a preflight is answered with, the CORS
headers of the response, and whether the browser lets the page go on, and why.

The URL's host and path choose the policy. With --preflight, the request
explained is the preflight a browser sends before the request described by
--method and --header: OPTIONS, with Access-Control-Request-Method and, for
the headers that are not CORS-safelisted, Access-Control-Request-Headers.

Exit codes: 0 the request is allowed (or is not a CORS request), 1 it is
refused or no policy matches it, 2 a usage error or an invalid policy file.`,
		Example: `  crossgate explain --config examples/crossgate.yaml \
    --origin https://app.example.com https://api.example.com/v1/orders
  crossgate explain --config examples/crossgate.yaml --preflight \
    --origin https://app.example.com --method PUT \
    --header 'Content-Type: application/json' https://api.example.com/v1/orders/42`,
		Args: cmdutil.ExactArgs(1, "the request URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.check(args[0], headers); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Config, "config", "", "the policy file (required)")
	fl.StringVar(&opts.Method, "method", http.MethodGet, "the request method")
	fl.StringVar(&opts.Origin, "origin", "", "the Origin header (none: not a CORS request)")
	fl.StringArrayVar(&headers, "header", nil, "a request header, as 'Name: value' (repeatable)")
	fl.BoolVar(&opts.Preflight, "preflight", false, "explain the preflight a browser sends for the request")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object")
	_ = cmd.MarkFlagRequired("config") // cannot fail: the flag exists
	return cmd
}

// check checks and parses what the command line gives.
func (o *Options) check(rawURL string, headers []string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cmdutil.Usagef("invalid URL %q: want an absolute http or https URL", rawURL)
	}
	o.URL = u
	if !httplex.IsToken(o.Method) {
		return cmdutil.Usagef("invalid --method %q: a method is a token (RFC 9110 §9.1)", o.Method)
	}
	if strings.ContainsFunc(o.Origin, cmdutil.IsControl) {
		return cmdutil.Usagef("invalid --origin %q: it holds a control character", o.Origin)
	}
	o.Header = make(http.Header)
	for _, h := range headers {
		name, value, err := cmdutil.ParseHeader("--header", h)
		if err != nil {
			return err
		}
		switch lower := strings.ToLower(name); {
		case lower == "origin":
			return cmdutil.Usagef("invalid --header %q: set the origin with --origin", h)
		case lower == "host":
			return cmdutil.Usagef("invalid --header %q: the host comes from the URL", h)
		case o.Preflight && fetch.IsForbiddenRequestHeader(name, value):
			return cmdutil.Usagef("invalid --header %q: scripts cannot set %s, so it plays no part in the preflight", h, name)
		}
		o.Header.Add(name, value)
	}
	if o.Preflight {
		if o.Origin == "" {
			return cmdutil.Usagef("--preflight needs --origin: browsers only send preflights for cross-origin requests")
		}
		o.Method = fetch.NormalizeMethod(o.Method)
		if fetch.IsForbiddenMethod(o.Method) {
			return cmdutil.Usagef("invalid --method %q: browsers never send CONNECT, TRACE or TRACK", o.Method)
		}
	}
	return nil
}

// Run loads the policy file, evaluates the request and prints the result.
// It returns a *cmdutil.ExitError when the request is refused or no policy
// matches it (ExitFail), or when the file is invalid (ExitUsage).
func Run(ctx context.Context, opts *Options) error {
	f, err := policyfile.Load(opts.Config)
	if err != nil {
		var perr *policyfile.Error
		if !errors.As(err, &perr) {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		fmt.Fprintln(opts.IO.ErrOut, perr) // at most policyfile.MaxPrinted diagnostics
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("%s: invalid policy file", opts.Config)}
	}
	res, err := explain(ctx, f, opts)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	if opts.JSON {
		err = res.writeJSON(opts.IO.Out)
	} else {
		err = res.writeText(opts.IO.Out)
	}
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	if !res.Allowed {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail}
	}
	return nil
}

// explain builds the request, finds its policy and evaluates it.
func explain(ctx context.Context, f *policyfile.File, opts *Options) (*result, error) {
	r, notes, err := newRequest(ctx, opts)
	if err != nil {
		return nil, err
	}
	res := &result{Request: r, Notes: notes}
	var d cors.Decision
	p, path, routeErr := f.Route(r)
	if res.Policy = p; p != nil {
		d = p.Middleware.Evaluate(r)
	} else {
		var none cors.Middleware // the zero Middleware has no policy
		d = none.Evaluate(r)
		if routeErr != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("path %q: %v; crossgate proxy answers it with 400", path, routeErr))
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("no policy of %s matches host %q and path %q", f.Name, r.URL.Hostname(), r.URL.EscapedPath()))
		}
	}
	res.Decision = d
	res.Allowed = d.Allowed
	res.WriteRefused, res.Write = writeVerdict(p, r, d) // write.go
	return res, nil
}
