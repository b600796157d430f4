// Package check is the crossgate check command: it runs one request over
// the network as a browser would, and says what the browser makes of it.
package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/devtools"
	"github.com/crossgate/crossgate/internal/httplex"
	"github.com/spf13/cobra"
)

// Options are the inputs of the check command, checked.
type Options struct {
	IO cmdutil.IO
	// Request is the request the page makes, as fetch models it.
	Request fetch.Request
	Engine  fetch.Engine
	JSON    bool
	// Color turns on ANSI colour in the text output; the command sets it
	// when standard output is a terminal and NO_COLOR is not set.
	Color bool
	// Transport sends the requests; nil means fetch's default transport.
	Transport http.RoundTripper
	// Timeout bounds each request, preflight and redirects included, from
	// the connection to the last byte of the body; 0 means no bound.
	Timeout time.Duration
	// AllowThirdPartyCookies models a browser that keeps third-party
	// cookies (--third-party-cookies allow); Chromium 156 blocks them.
	AllowThirdPartyCookies bool
	// Browser runs the request in a real headless Chromium too
	// (--browser), BrowserPath the one given by --browser-path.
	Browser     bool
	BrowserPath string
	// Compare is a second URL to send the same request to (--compare).
	Compare string
	// HAR is the HAR file to diagnose offline (--har), instead of Request.
	HAR string
	// Input is the request read from --curl or --fetch, nil without one.
	Input *devtools.Script
	// Repeat is how many times the request is made, one after the other,
	// with one preflight cache: 1 or more.
	Repeat int
}

// NewCmdCheck returns the check command. runF, when not nil, runs instead
// of [Run] once the command line is parsed and checked (for tests).
func NewCmdCheck(ios cmdutil.IO, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios, Color: isTerminal(ios.Out) && os.Getenv("NO_COLOR") == ""}
	var (
		method, origin, credentials, engine string
		headers                             []string
		bodyStream, xhr                     bool
		pageScheme, space, targetSpace      string
		mode, thirdParty                    string
		in                                  input
	)
	cmd := &cobra.Command{
		DisableFlagsInUseLine: true,
		Use:                   "check URL --origin ORIGIN [--method M] [-H 'Name: value']... [--credentials omit|same-origin|include] [--mode cors|no-cors|same-origin] [--body-stream] [--xhr] [--page-scheme file] [--address-space S] [--target-address-space S] [--engine chromium|spec] [--repeat N] [--timeout D] [--third-party-cookies block|allow] [--browser [--browser-path P]] [--compare URL2] [--json]\n  crossgate check --curl 'curl ...'|- [flags]\n  crossgate check --fetch 'fetch(...)'|- [flags]\n  crossgate check --har FILE [--json]",
		Short:                 "Run a cross-origin request as a browser would, and say what it makes of it",
		Long: `Run a cross-origin request as a browser would: send the preflight when one
is needed, then the request, following redirects and checking every
response as Chromium 156 does. Print each request sent with the response
headers that matter, the verdict, the exact message Chromium prints in the
console, Firefox's reason, and what to change.

--origin is the origin of the page that makes the request. Headers that
scripts may not set (Cookie, Origin, Sec-*, ...) are dropped, as the browser
drops them. --body-stream makes the body a ReadableStream (with --xhr: an
upload listener is registered); either forces a preflight.

The page's context: --page-scheme file is a page opened from a file: URL
(its origin is null; it may request a file: URL, which Chromium refuses).
--address-space public|local|loopback is the page's IP address space, for
Chromium's Local Network Access: a request to a more private space is
denied before anything is sent. The target's space comes from its host
(an IP address, localhost) or from --target-address-space.

From DevTools: --curl reads a request copied as cURL (bash or cmd,
Chromium or Firefox), --fetch one copied as fetch (or fetch for Node.js);
"-" reads it from standard input. Nothing in them is run or evaluated.
The flags given beside them win. --har FILE diagnoses every cross-origin
request of a HAR export offline, from its recorded responses.

--compare URL2 sends the same request to a second URL (through the
gateway and straight to the app) and shows the CORS headers side by side.
--browser runs the request in a real headless Chromium too, from a page
served at exactly --origin, and flags where it disagrees with the model.
For credentialed requests, every Set-Cookie gets a verdict: stored, or
why not, in DevTools' words.

Exit codes: 0 the browser lets the page read the response, 1 it blocks the
request (or the script throws before sending it), 2 a usage error or a
network error (a refused connection, a name that does not resolve, too many
redirects): those are reported as the browser reports them, not as CORS
verdicts.`,
		Example: `  crossgate check https://api.example.com/v1/orders --origin https://app.example.com
  crossgate check https://api.example.com/v1/orders/42 --origin https://app.example.com \
    --method PUT -H 'Content-Type: application/json' --credentials include --json
  pbpaste | crossgate check --curl -
  crossgate check --har session.har
  crossgate check https://gw.example.com/v1/orders --origin https://app.example.com --compare http://10.0.0.5:8080/v1/orders`,
		Args: func(cmd *cobra.Command, args []string) error {
			if in.given() {
				if len(args) > 1 {
					return cmdutil.Usagef("too many arguments: want at most the request URL, got %q", args)
				}
				return nil
			}
			return cmdutil.ExactArgs(1, "the request URL (or --curl, --fetch)")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if in.har != "" {
				if len(args) > 0 || in.curl != "" || in.fetch != "" {
					return cmdutil.Usagef("--har diagnoses the requests of its file: give no URL, --curl or --fetch with it")
				}
				if err := opts.Engine.UnmarshalText([]byte(engine)); err != nil {
					return cmdutil.Usagef("invalid --engine %q: want chromium or spec", engine)
				}
				opts.HAR = in.har
				if runF != nil {
					return runF(cmd.Context(), opts)
				}
				return Run(cmd.Context(), opts)
			}
			page := pageContext{scheme: pageScheme, space: space, targetSpace: targetSpace}
			rawURL := ""
			if len(args) > 0 {
				rawURL = args[0]
			}
			script, err := in.load(ios.In)
			if err != nil {
				return err
			}
			if script != nil {
				opts.Input = script
				f := flagValues{url: &rawURL, method: &method, origin: &origin, credentials: &credentials, mode: &mode, headers: &headers}
				f.merge(cmd.Flags(), script)
			}
			if origin == "" {
				if script != nil {
					return cmdutil.Usagef("the copied request has no Origin header (a same-origin request?): give the page's origin with --origin")
				}
				return cmdutil.Usagef(`required flag(s) "origin" not set`)
			}
			if err := opts.check(rawURL, method, origin, credentials, engine, headers, bodyStream, xhr, page); err != nil {
				return err
			}
			if err := opts.checkMore(mode, xhr); err != nil {
				return err
			}
			switch thirdParty {
			case "block":
			case "allow":
				opts.AllowThirdPartyCookies = true
			default:
				return cmdutil.Usagef("invalid --third-party-cookies %q: want block or allow", thirdParty)
			}
			if script != nil && !bodyStream && script.Request.Body != nil {
				opts.Request.Body = script.Request.Body
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&origin, "origin", "", "the origin of the page making the request (required, unless the copied request has an Origin header)")
	fl.StringVar(&method, "method", http.MethodGet, "the method, as the script writes it")
	fl.StringArrayVarP(&headers, "header", "H", nil, "a request header the script sets, as 'Name: value' (repeatable)")
	fl.StringVar(&credentials, "credentials", string(fetch.SameOrigin), "the credentials mode: omit, same-origin or include")
	fl.BoolVar(&bodyStream, "body-stream", false, "send a ReadableStream body (with --xhr: register an upload listener)")
	fl.BoolVar(&xhr, "xhr", false, "make the request with XMLHttpRequest instead of fetch()")
	fl.StringVar(&pageScheme, "page-scheme", "", "the scheme of the page's URL when its origin does not tell it: file")
	fl.StringVar(&space, "address-space", "", "the page's IP address space (Local Network Access): public, local or loopback")
	fl.StringVar(&targetSpace, "target-address-space", "", "the target's IP address space when its host does not tell it: public, local or loopback")
	fl.StringVar(&engine, "engine", "chromium", "the browser modelled: chromium (Chromium 156) or spec (the Fetch standard)")
	fl.StringVar(&mode, "mode", "cors", "the request mode: cors, no-cors or same-origin")
	fl.BoolVar(&opts.Browser, "browser", false, "also run the request in a real headless Chromium, from a page served at exactly --origin, and show where it disagrees with the model")
	fl.StringVar(&opts.BrowserPath, "browser-path", "", "the Chromium to run with --browser (default: chromium on PATH)")
	fl.StringVar(&thirdParty, "third-party-cookies", "block", "whether the browser keeps third-party cookies: block (Chromium 156's default here) or allow")
	fl.StringVar(&opts.Compare, "compare", "", "send the same request to a second URL too (through the gateway and straight to the app) and show the CORS headers side by side")
	fl.IntVar(&opts.Repeat, "repeat", 1, "make the request N times in a row, with one preflight cache")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "give up on a request after this long (connection, headers and body): net::ERR_TIMED_OUT")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object (one per request with --repeat)")
	in.flags(fl)
	return cmd
}

// check checks and parses what the command line gives.
func (o *Options) check(rawURL, method, origin, credentials, engine string, headers []string, bodyStream, xhr bool, page pageContext) error {
	req := fetch.Request{URL: rawURL, Origin: origin, Method: method, Header: http.Header{}}
	switch c := fetch.Credentials(credentials); c {
	case fetch.Omit, fetch.SameOrigin, fetch.Include:
		req.Credentials = c
	default:
		return cmdutil.Usagef("invalid --credentials %q: want omit, same-origin or include", credentials)
	}
	if err := o.Engine.UnmarshalText([]byte(engine)); err != nil {
		return cmdutil.Usagef("invalid --engine %q: want chromium or spec", engine)
	}
	if !httplex.IsToken(method) {
		return cmdutil.Usagef("invalid --method %q: a method is a token (RFC 9110 §9.1)", method)
	}
	for _, h := range headers {
		name, value, err := cmdutil.ParseHeader("--header", h)
		if err != nil {
			return err
		}
		req.Header.Add(name, value)
	}
	if xhr {
		req.Initiator = fetch.XHR
		req.UploadListener = bodyStream
	} else {
		req.StreamBody = bodyStream
	}
	if bodyStream {
		req.Body = []byte{} // a stream, empty: the request still has a body
	}
	if err := page.apply(&req); err != nil {
		return err
	}
	// Classify checks the URL and the origin as fetch does.
	if _, err := o.Engine.Classify(req); err != nil {
		var se *fetch.ScriptError
		if !errors.As(err, &se) {
			return &cmdutil.UsageError{Err: errors.New(strings.TrimPrefix(err.Error(), "fetch: "))}
		}
	}
	o.Request = req
	return nil
}

// checkMore checks the flags that come after the request's own.
func (o *Options) checkMore(mode string, xhr bool) error {
	switch m := fetch.Mode(mode); m {
	case fetch.CORS:
	case fetch.NoCORS, fetch.SameOriginMode:
		if xhr {
			return cmdutil.Usagef("invalid --mode %q with --xhr: XMLHttpRequest always uses mode cors", mode)
		}
		o.Request.Mode = m
	default:
		return cmdutil.Usagef("invalid --mode %q: want cors, no-cors or same-origin", mode)
	}
	if o.Compare != "" {
		req := o.Request
		req.URL = o.Compare
		if _, err := o.Engine.Classify(req); err != nil {
			var se *fetch.ScriptError
			if !errors.As(err, &se) {
				return cmdutil.Usagef("invalid --compare: %s", strings.TrimPrefix(err.Error(), "fetch: "))
			}
		}
		if o.Repeat > 1 {
			return cmdutil.Usagef("--compare and --repeat: give one of them")
		}
	}
	if o.Browser && (o.Repeat > 1 || o.Compare != "") {
		return cmdutil.Usagef("--browser runs one request: not with --repeat or --compare")
	}
	if o.BrowserPath != "" && !o.Browser {
		return cmdutil.Usagef("--browser-path without --browser")
	}
	if o.Repeat < 1 {
		return cmdutil.Usagef("invalid --repeat %d: want 1 or more", o.Repeat)
	}
	if o.Timeout < 0 {
		return cmdutil.Usagef("invalid --timeout %s: want a positive duration, or 0 for none", o.Timeout)
	}
	return nil
}

// pageContext is the page's context as the flags give it.
type pageContext struct {
	scheme, space, targetSpace string
}

// apply checks the flags and sets them on req.
func (c pageContext) apply(req *fetch.Request) error {
	for _, f := range []struct{ flag, value string }{{"--address-space", c.space}, {"--target-address-space", c.targetSpace}} {
		switch fetch.AddressSpace(f.value) {
		case "", fetch.PublicAddressSpace, fetch.LocalAddressSpace, fetch.LoopbackAddressSpace:
		default:
			return cmdutil.Usagef("invalid %s %q: want public, local or loopback", f.flag, f.value)
		}
	}
	if c.scheme != "" && c.scheme != "file" {
		return cmdutil.Usagef("invalid --page-scheme %q: want file (an http or https page's scheme is its origin's)", c.scheme)
	}
	req.PageScheme = c.scheme
	req.AddressSpace = fetch.AddressSpace(c.space)
	req.TargetAddressSpace = fetch.AddressSpace(c.targetSpace)
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Run runs the request and prints what the browser makes of it. It returns
// a *cmdutil.ExitError with ExitFail when the request is blocked, and with
// ExitUsage for a network error. With Repeat above 1 it makes the request
// that many times with one preflight cache, prints each result, and
// returns the worst exit.
func Run(ctx context.Context, opts *Options) error {
	if opts.HAR != "" {
		return runHAR(ctx, opts)
	}
	if opts.Browser {
		// Before anything is sent: a missing Chromium or an origin no
		// page can have is known now.
		if err := checkBrowserOrigin(opts.Request.Origin); err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		path, err := findBrowser(opts.BrowserPath)
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		opts.BrowserPath = path
	}
	var jar *staticJar
	if opts.Input != nil && opts.Input.Cookie != "" {
		var err error
		if jar, err = newStaticJar(opts.Request.URL, opts.Input.Cookie); err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
	}
	rec := &refusalRecorder{base: opts.Transport} // sideeffect.go
	newClient := func() *fetch.Client {
		c := &fetch.Client{Transport: rec, Engine: opts.Engine, Cache: &fetch.PreflightCache{}}
		if jar != nil {
			c.Jar = jar
		}
		return c
	}
	if opts.Compare != "" {
		return runCompare(ctx, opts, newClient)
	}
	c := newClient()
	n := max(opts.Repeat, 1)
	var worst *cmdutil.ExitError
	for i := range n {
		if n > 1 && !opts.JSON {
			if i > 0 {
				fmt.Fprintln(opts.IO.Out)
			}
			fmt.Fprintf(opts.IO.Out, "== request %d of %d\n", i+1, n)
		}
		err := runOnce(ctx, opts, c, rec)
		var exit *cmdutil.ExitError
		if err != nil && !errors.As(err, &exit) {
			return err
		}
		if exit != nil && (worst == nil || exit.Code > worst.Code) {
			worst = exit
		}
		if exit != nil && exit.Code == cmdutil.ExitUsage {
			break
		}
	}
	if worst == nil {
		return nil
	}
	return worst
}

// runOnce makes the request once with c and prints the result; rec is
// c's transport, which tells whether the server refused a write.
func runOnce(ctx context.Context, opts *Options, c *fetch.Client, rec *refusalRecorder) error {
	rec.reset()
	parent := ctx // the browser's run has a timeout of its own
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	res, err := c.Do(ctx, opts.Request)
	var netErr *fetch.NetworkError
	if err != nil && (res == nil || !errors.As(err, &netErr)) {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	var obs *Observed
	code, effect := sideEffect(opts.Request, res, rec.refused())
	if code == sideEffectRefused {
		res.Fix = refusedWriteFix(opts.Request)
	}
	if opts.Browser {
		// Run has found Chromium, and checked the origin, before anything
		// was sent.
		var err error
		if obs, err = runBrowser(parent, opts.BrowserPath, opts.Request, opts.Timeout); err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		obs.Disagreements = disagree(res, obs, opts.Request.Credentials == fetch.Include)
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		out := newJSONResult(opts, res)
		out.Browser = obs
		out.SideEffect = code
		err = enc.Encode(out)
	} else {
		err = writeText(opts.IO.Out, opts, res, effect)
		if err == nil && obs != nil {
			err = writeObserved(opts.IO.Out, opts, obs)
		}
	}
	switch {
	case err != nil:
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	case netErr != nil:
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("%s: %s", netErr.URL, netErr.Code)}
	case !res.Allowed:
		return &cmdutil.ExitError{Code: cmdutil.ExitFail}
	}
	return nil
}
