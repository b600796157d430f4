// Package dev is the crossgate dev command: one origin for a frontend's
// development server and its APIs (package devproxy), and the policy the
// production deployment will need.
package dev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/devproxy"
	"github.com/crossgate/crossgate/internal/origin"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/spf13/cobra"
)

// Options are the inputs of the dev command, checked.
type Options struct {
	IO          cmdutil.IO
	Frontend    *url.URL
	APIs        []devproxy.API
	Listen      string
	Origin      string // the frontend's production origin, or ""
	WritePolicy string // the file to write the policy to, or ""
	// AllowedHosts are the --allowed-host names: Host values served beyond
	// localhost and IP addresses.
	AllowedHosts []string
	// Ready, when not nil, gets the address listened on (for tests).
	Ready func(addr string)
}

// NewCmdDev returns the dev command. runF, when not nil, runs instead of
// [Run] once the command line is parsed and checked (for tests).
func NewCmdDev(ios cmdutil.IO, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	var frontend string
	var apis []string
	cmd := &cobra.Command{
		Use:   "dev --frontend URL --api /PATH=URL [--api ...] [--listen ADDR] [--origin ORIGIN] [--write-policy FILE] [--allowed-host NAME]...",
		Short: "Serve a frontend's dev server and its APIs on one origin",
		Long: `Serve the frontend's development server and the APIs it calls on one
origin, as the Vite and webpack dev-server proxies do: requests under each
--api path go to that API, everything else (WebSocket upgrades included, so
hot reload works) to the frontend. The browser then makes no cross-origin
request at all: no preflight, and no Origin header reaches the APIs from the
page (the proxy removes the Origin of requests from its own origin; a page of
another origin keeps its Origin, so the APIs' own checks still apply).

Requests whose Host is not localhost (or under .localhost), an IP address or
an --allowed-host get 403: a site re-pointed at this machine (DNS rebinding)
would otherwise be the page's own origin.

With --origin, the frontend's production origin, it prints the policy file
the production deployment will need when the frontend and the APIs are on
different origins: the methods, headers and credentials the page actually
used, learnt from its requests, with protect_writes on. It prints it when
it starts and again when it stops; --write-policy FILE writes it to FILE
instead, whenever it changes. Check it with crossgate lint.

Exit codes: 0 stopped by SIGINT or SIGTERM, 1 the server failed, 2 a usage
error.`,
		Example: `  crossgate dev --frontend http://localhost:5173 --api /api=http://localhost:8081 \
    --origin https://app.example.com --write-policy crossgate.yaml`,
		Args: cmdutil.ExactArgs(0, "no argument"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.check(frontend, apis); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&frontend, "frontend", "", "the frontend's development server, such as http://localhost:5173 (required)")
	fl.StringArrayVar(&apis, "api", nil, "an API, as /PATH=URL: requests under /PATH go to URL (repeatable)")
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:5000", "the address to serve on")
	fl.StringVar(&opts.Origin, "origin", "", "the frontend's origin in production, for the policy")
	fl.StringVar(&opts.WritePolicy, "write-policy", "", "write the policy to this file instead of printing it (needs --origin)")
	fl.StringArrayVar(&opts.AllowedHosts, "allowed-host", nil, "a host name, beyond localhost and IP addresses, that requests may name in Host; .example.com for it and its subdomains (repeatable; others get 403, against DNS rebinding)")
	_ = cmd.MarkFlagRequired("frontend")
	return cmd
}

func (o *Options) check(frontend string, apis []string) error {
	u, err := url.Parse(frontend)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cmdutil.Usagef("invalid --frontend %q: want an http or https URL", frontend)
	}
	o.Frontend = u
	if len(apis) == 0 {
		return cmdutil.Usagef("missing --api /PATH=URL: with no API, the frontend's own dev server is all there is")
	}
	for _, a := range apis {
		prefix, target, ok := strings.Cut(a, "=")
		tu, err := url.Parse(target)
		if !ok || !strings.HasPrefix(prefix, "/") || err != nil || (tu.Scheme != "http" && tu.Scheme != "https") || tu.Host == "" {
			return cmdutil.Usagef("invalid --api %q: want /PATH=URL, such as /api=http://localhost:8081", a)
		}
		o.APIs = append(o.APIs, devproxy.API{Prefix: prefix, Target: tu})
	}
	if _, port, err := net.SplitHostPort(o.Listen); err != nil || !validPort(port) {
		return cmdutil.Usagef("invalid --listen %q: want host:port, the port a number (0 for any free port)", o.Listen)
	}
	if o.Origin != "" {
		if _, ok := origin.Parse(o.Origin); !ok {
			return cmdutil.Usagef("invalid --origin %q: want an origin as browsers send it, such as https://app.example.com", o.Origin)
		}
	}
	for _, h := range o.AllowedHosts {
		if h == "" || strings.ContainsAny(h, ":/ *") {
			return cmdutil.Usagef("invalid --allowed-host %q: want a host name without port, such as devbox.lan", h)
		}
	}
	if o.WritePolicy != "" && o.Origin == "" {
		return cmdutil.Usagef("--write-policy needs --origin: the policy is for the frontend's production origin")
	}
	return nil
}

// Run serves until ctx is done or the process gets SIGINT or SIGTERM.
func Run(ctx context.Context, opts *Options) error {
	var pmu sync.Mutex
	var p *devproxy.Proxy
	var lastWritten string
	emit := func(final bool) error {
		pmu.Lock()
		defer pmu.Unlock()
		pol := p.Policy()
		if pol == "" {
			return nil
		}
		if _, err := policyfile.Parse("policy", []byte(pol)); err != nil {
			return fmt.Errorf("the policy learnt does not pass lint:\n%v", err)
		}
		if opts.WritePolicy == "" {
			if final {
				fmt.Fprintf(opts.IO.Out, "\n# crossgate dev: the policy for production, from the requests seen\n%s", pol)
			} else {
				fmt.Fprintf(opts.IO.Out, "# crossgate dev: the policy for production (printed again, with what the page uses, when crossgate dev stops)\n%s", pol)
			}
			return nil
		}
		if pol == lastWritten {
			return nil
		}
		if err := cmdutil.WriteFileAtomic(opts.WritePolicy, []byte(pol)); err != nil {
			return fmt.Errorf("--write-policy %s: %w", opts.WritePolicy, err)
		}
		lastWritten = pol
		return nil
	}
	var err error
	p, err = devproxy.New(devproxy.Config{
		Frontend: opts.Frontend, APIs: opts.APIs, Origin: opts.Origin, AllowedHosts: opts.AllowedHosts,
		OnChange: func() {
			if opts.WritePolicy != "" {
				if err := emit(false); err != nil {
					fmt.Fprintf(opts.IO.ErrOut, "crossgate dev: %v\n", err)
				}
			}
		},
	})
	if err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	addr := ln.Addr().String()
	fmt.Fprintf(opts.IO.ErrOut, "crossgate dev: serving http://%s\n  /* -> %s (frontend)\n", addr, opts.Frontend)
	for _, a := range opts.APIs {
		fmt.Fprintf(opts.IO.ErrOut, "  %s -> %s\n", a.Prefix, a.Target)
	}
	if err := emit(false); err != nil {
		ln.Close()
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	if opts.Ready != nil {
		opts.Ready(addr)
	}
	// Shutdown neither waits for nor closes hijacked connections, such as
	// the frontend's hot-reload WebSocket: ending their context does (the
	// reverse proxy then closes both sides), and the page reconnects.
	base, cut := context.WithCancel(context.Background())
	defer cut()
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return base }}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	cut()
	if err := emit(true); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail, Err: err}
	}
	return nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535 && p == strconv.Itoa(n)
}
