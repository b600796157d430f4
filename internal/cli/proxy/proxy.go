// Package proxy is the crossgate proxy command: a CORS gateway that puts
// a policy file in front of HTTP APIs.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/spf13/cobra"
)

// Options are the inputs of the proxy command.
type Options struct {
	IO       cmdutil.IO
	Config   string // the policy file
	Listen   string // overrides proxy.listen
	Upstream string // overrides proxy.upstream
}

// NewCmdProxy returns the proxy command. runF, when not nil, runs instead
// of [Run] once the command line is parsed (for tests).
func NewCmdProxy(ios cmdutil.IO, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "proxy --config FILE [--listen ADDR] [--upstream URL]",
		Short: "Run the CORS gateway in front of an HTTP API",
		Long: `Run a reverse proxy that applies the policy file's CORS policies, so that
CORS is handled in exactly one layer.

Each request gets the policy that matches it (see crossgate lint). Preflights
are answered by the gateway and never forwarded; other requests go to the
policy's upstream (or the default one), with the path the policy was matched
on, and every response gets the policy's CORS headers, errors included. The
upstream's own Access-Control-* headers are removed unless the policy sets
keep_upstream_cors. Requests that no policy matches are forwarded to the
default upstream and get no CORS headers.

The upstream "echo" is built in: it answers every request with what it
received, to try a policy without any other server.

The policy file is reloaded on SIGHUP and when it changes. A file that fails
validation is refused, its problems are logged, and the policies in force
stay. SIGTERM or SIGINT stops the gateway once the requests in flight are
done (up to proxy.shutdown_timeout). Logs, one JSON or text record per
request, go to standard error. Metrics are served on proxy.admin_listen at
/metrics, with /healthz and /readyz.

Exit codes: 0 stopped by a signal after draining, 1 the gateway failed
(cannot listen, or requests were cut off at shutdown), 2 a usage error or a
policy file or setting that is invalid or unreadable.`,
		Example: `  crossgate proxy --config examples/crossgate.yaml
  curl -i -H 'Host: api.example.com' -H 'Origin: https://app.example.com' \
    http://127.0.0.1:8080/v1/orders
  crossgate proxy --config policy.yaml --listen :8443 --upstream http://127.0.0.1:9000`,
		DisableFlagsInUseLine: true,
		Args:                  cmdutil.ExactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Config == "" {
				return cmdutil.Usagef("missing --config FILE: the policy file to serve")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Config, "config", "", "the policy `FILE` (required)")
	f.StringVar(&opts.Listen, "listen", "", "the `ADDR`ess to listen on, host:port (overrides proxy.listen; default "+gateway.DefaultListen+")")
	f.StringVar(&opts.Upstream, "upstream", "", "the default upstream `URL`, or echo (overrides proxy.upstream)")
	return cmd
}

// Run runs the gateway until ctx is done or the process gets SIGTERM or
// SIGINT. It returns an *cmdutil.ExitError when the gateway cannot start
// or fails.
func Run(ctx context.Context, opts *Options) error {
	ovr := gateway.Overrides{Listen: opts.Listen, Upstream: opts.Upstream}
	if err := ovr.Check(); err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	srv, err := gateway.NewServer(gateway.ServerOptions{
		ConfigPath: opts.Config,
		Watch:      true,
		Overrides:  ovr,
		LogWriter:  opts.IO.ErrOut,
	})
	if err != nil {
		return startError(opts, err)
	}
	if err := srv.Listen(); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				srv.Reload()
			}
		}
	}()
	if err := srv.Serve(ctx); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	return nil
}

// startError reports why the gateway could not start.
func startError(opts *Options, err error) error {
	var perr *policyfile.Error
	var pathErr *fs.PathError
	switch {
	case errors.As(err, &perr):
		fmt.Fprintln(opts.IO.ErrOut, perr) // at most policyfile.MaxPrinted diagnostics
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("invalid policy file %q", opts.Config)}
	case errors.As(err, &pathErr) && pathErr.Path == opts.Config:
		// The policy file itself; TLS files are named by the error.
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("reading the policy file: %w", err)}
	}
	return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("%s: %w", opts.Config, err)}
}
