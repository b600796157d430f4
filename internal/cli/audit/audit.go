// Package audit is the crossgate audit command: it probes URLs for the CORS
// misconfigurations an attacker's page can use, and with --policy checks
// that they behave as the policy file says.
package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/audit/source"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/httplex"
	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/crossgate/crossgate/internal/report"
	"github.com/spf13/cobra"
)

// ExitFindings is the exit code when findings at or above --fail-on are
// found.
const ExitFindings = 3

// Options are the inputs of the audit command, checked.
type Options struct {
	IO          cmdutil.IO
	URLs        []string // the positional URLs
	TargetsFile string   // --targets: a file of URLs, or "-" for standard input
	PolicyFile  string
	OpenAPIFile string // --openapi
	OpenAPIBase string // --openapi-base: resolves relative servers
	HARFile     string // --har
	InferPolicy string // --infer-policy: where the inferred policy file goes
	Format      report.Format
	FailOn      audit.Severity
	Concurrency int
	Rate        float64 // requests per second per host; 0 for no limit
	Timeout     time.Duration
	Header      http.Header
	Credentials http.Header
	// Exposure grades "*" and Private Network Access (--exposure).
	Exposure audit.Exposure
	// Thorough sends every probe (--thorough) instead of adapting.
	Thorough bool
	// Transport, when not nil, sends the requests (for tests).
	Transport http.RoundTripper
	// Progress shows a progress bar on IO.ErrOut (targets done of total,
	// requests sent, findings so far); set when it is a terminal.
	Progress bool
}

// NewCmdAudit returns the audit command. runF, when not nil, runs instead
// of [Run] once the command line is parsed and checked (for tests).
func NewCmdAudit(ios cmdutil.IO, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	var format, failOn, rate, creds, exposure string
	var headers []string
	cmd := &cobra.Command{
		DisableFlagsInUseLine: true,
		Use:                   "audit [URL...] [--targets FILE|-] [--openapi FILE [--openapi-base URL]] [--har FILE] [--policy FILE] [--infer-policy FILE] [--format text|json|sarif] [--fail-on info|low|medium|high] [--thorough] [--exposure public|internal|auto] [--concurrency N] [--rate N/s] [--timeout D] [-H 'Name: value']... [--credentials-header 'Cookie: ...']",
		Short:                 "Probe URLs for CORS misconfigurations",
		Long: `Probe URLs for the CORS misconfigurations an attacker's page can use:
reflected, null, prefix, suffix, substring, unescaped-dot and special-character
origins, third-party hosts, any subdomain, http:// trusted by https://, any
port, CR/LF injection, "*" with and without credentials, malformed values,
missing Vary: Origin, preflights that reflect any method or header or that are
redirected, need authentication or fail, and error responses without CORS.
The audit adapts: a first round (the target's own origin, an arbitrary one,
null, no Origin, one or two origins of each bypass family) shows the server's
origin logic, and only the families whose answers could hide a finding are
tried in full, on the preflight too where the preflight decides otherwise
(about 25 requests per URL). --thorough sends every probe of every family on
a simple request and on a preflight (about 110 per URL). Severities are
graded by what a page on the probe origin can read, per the browser model:
high for a read with the user's cookies, medium without, lower for the rest.

--exposure public|internal|auto says who can reach the targets, for grading
"*" and Private Network Access (auto judges from the address). --openapi FILE
(OpenAPI 3.0/3.1) and --har FILE (a browser session) add targets, with the
methods and headers the real client sends, which the preflights then ask for.
--infer-policy FILE writes the policy the targets really enforce, each key
commented with what it was inferred from: crossgate lint, explain and export
then work on what is deployed.

With --policy, the audit also checks conformance: every origin, method and
header the policy file allows for a URL must work in a browser, and every
probe outside it must be refused; each difference is a finding.

Probes never carry a request body and use only GET and OPTIONS. Redirects are
followed only to the same origin. --credentials-header is sent on simple
requests only, as browsers send cookies (never on preflights), and is
redacted in the output. -H headers go on every request.

Exit codes: 0 nothing at or above --fail-on, 3 findings at or above it,
2 a usage error or a network error (which takes precedence).`,
		Example: `  crossgate audit https://api.example.com/v1/me
  crossgate audit --targets urls.txt --format sarif --fail-on medium > audit.sarif
  crossgate audit --openapi openapi.yaml --har session.har --infer-policy deployed.yaml
  crossgate audit --policy examples/crossgate.yaml --credentials-header 'Cookie: session=...' \
    https://api.example.com/v1/orders`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.check(args, format, failOn, rate, creds, headers); err != nil {
				return err
			}
			var err error
			if opts.Exposure, err = audit.ParseExposure(exposure); err != nil {
				return cmdutil.Usagef("invalid --exposure %q: want public, internal or auto", exposure)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.TargetsFile, "targets", "", "read URLs from `FILE`, one a line (# comments), or - for standard input")
	fl.StringVar(&opts.PolicyFile, "policy", "", "check conformance with the policy `FILE`")
	fl.StringVar(&opts.OpenAPIFile, "openapi", "", "audit the servers and paths of an OpenAPI 3.0/3.1 `FILE` (YAML or JSON); preflights ask for each operation's method and headers")
	fl.StringVar(&opts.OpenAPIBase, "openapi-base", "", "the `URL` that relative OpenAPI server URLs are resolved against")
	fl.StringVar(&opts.InferPolicy, "infer-policy", "", "write the policy the targets really enforce to `FILE`, as a crossgate policy file with a comment on each key (implies --thorough)")
	fl.StringVar(&opts.HARFile, "har", "", "audit the cross-origin URLs of a HAR `FILE` recorded in a browser, with their methods, headers and origins")
	fl.StringVar(&format, "format", "text", "output format: text, json or sarif")
	fl.StringVar(&failOn, "fail-on", "low", "exit 3 when a finding is at or above this severity: info, low, medium or high")
	fl.IntVar(&opts.Concurrency, "concurrency", 4, "how many URLs are audited at once")
	fl.StringVar(&rate, "rate", strconv.Itoa(audit.DefaultRate)+"/s", "most requests per second to one host, spaced evenly, as N/s or N; 0 for no limit")
	fl.StringVar(&exposure, "exposure", "auto", "who can reach the targets, for grading \"*\" and Private Network Access: public, internal, or auto (judged from the address)")
	fl.BoolVar(&opts.Thorough, "thorough", false, "send every probe of every family on a simple request and a preflight, instead of adapting to the answers")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "timeout of each request")
	fl.StringArrayVarP(&headers, "header", "H", nil, "a header sent on every request, as 'Name: value' (repeatable)")
	fl.StringVar(&creds, "credentials-header", "", "a credentials header sent on simple requests only, as 'Cookie: ...' or 'Authorization: ...'")
	return cmd
}

// check checks and parses what the command line gives.
func (o *Options) check(args []string, format, failOn, rate, creds string, headers []string) error {
	o.URLs = args
	o.Progress = IsTerminal(o.IO.ErrOut)
	if len(args) == 0 && o.TargetsFile == "" && o.OpenAPIFile == "" && o.HARFile == "" {
		return cmdutil.Usagef("no URL to audit: give URLs as arguments, --targets FILE, --openapi FILE or --har FILE")
	}
	if o.OpenAPIBase != "" {
		if o.OpenAPIFile == "" {
			return cmdutil.Usagef("--openapi-base without --openapi")
		}
		if u, err := url.Parse(o.OpenAPIBase); err != nil || !u.IsAbs() {
			return cmdutil.Usagef("invalid --openapi-base %q: want an absolute URL", o.OpenAPIBase)
		}
	}
	var err error
	if o.Format, err = report.ParseFormat(format); err != nil {
		return cmdutil.Usagef("invalid --format: %v", err)
	}
	if o.FailOn, err = audit.ParseSeverity(failOn); err != nil {
		return cmdutil.Usagef("invalid --fail-on %q: want info, low, medium or high", failOn)
	}
	if o.Concurrency < 1 || o.Concurrency > 256 {
		return cmdutil.Usagef("invalid --concurrency %d: want 1 to 256", o.Concurrency)
	}
	if o.Rate, err = parseRate(rate); err != nil {
		return &cmdutil.UsageError{Err: err}
	}
	if o.Timeout <= 0 {
		return cmdutil.Usagef("invalid --timeout %v: want a positive duration", o.Timeout)
	}
	o.Header = http.Header{}
	for _, h := range headers {
		name, value, err := parseHeader("-H", h)
		if err != nil {
			return err
		}
		switch strings.ToLower(name) {
		case "origin", "host", "access-control-request-method", "access-control-request-headers":
			return cmdutil.Usagef("invalid -H %q: the audit sets %s itself", h, name)
		}
		o.Header.Add(name, value)
	}
	if creds != "" {
		name, value, err := parseHeader("--credentials-header", creds)
		if err != nil {
			return err
		}
		o.Credentials = http.Header{http.CanonicalHeaderKey(name): {value}}
	}
	return nil
}

func parseRate(s string) (float64, error) {
	v, _ := strings.CutSuffix(s, "/s")
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r < 0 || r > 1e6 {
		return 0, fmt.Errorf("invalid --rate %q: want requests per second, as N/s or N (0 for no limit)", s)
	}
	return r, nil
}

func parseHeader(flag, h string) (string, string, error) {
	name, value, ok := strings.Cut(h, ":")
	if !ok || !httplex.IsToken(name) {
		return "", "", cmdutil.Usagef("invalid %s %q: want 'Name: value'", flag, h)
	}
	value = strings.Trim(value, " \t")
	if strings.ContainsAny(value, "\r\n\x00") {
		return "", "", cmdutil.Usagef("invalid %s %q: the value holds CR, LF or NUL", flag, h)
	}
	return name, value, nil
}

// Run audits the targets and writes the report to opts.IO.Out. It returns
// an *cmdutil.ExitError for findings (3), and for unreadable inputs or
// network errors (2).
func Run(ctx context.Context, opts *Options) error {
	raw, err := readTargets(opts)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	var targets []*audit.Target
	seen := map[string]bool{}
	for _, r := range raw {
		t, err := audit.ParseTarget(r)
		if err != nil {
			return &cmdutil.UsageError{Err: err}
		}
		if key := t.URL.String(); !seen[key] {
			seen[key] = true
			targets = append(targets, t)
		}
	}
	more, err := sourceTargets(opts)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	targets = source.Merge(targets, more)
	if len(targets) == 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: errors.New("no URL to audit in --targets")}
	}
	aopts := audit.Options{
		Transport: opts.Transport, Concurrency: opts.Concurrency, RatePerHost: opts.Rate,
		Timeout: opts.Timeout, Header: opts.Header, CredentialsHeader: opts.Credentials,
		Thorough: opts.Thorough || opts.InferPolicy != "", Exposure: opts.Exposure,
	}
	if opts.PolicyFile != "" {
		f, err := policyfile.Load(opts.PolicyFile)
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		aopts.Policy = f
	}
	var bar *progress
	if opts.Progress {
		bar = newProgress(opts.IO.ErrOut, len(targets))
		aopts.OnProgress = bar.update
	}
	rep, err := audit.Run(ctx, targets, aopts)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	if err := report.Write(opts.IO.Out, opts.Format, rep); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	if opts.InferPolicy != "" {
		b, err := audit.InferPolicy(rep)
		if err == nil {
			err = os.WriteFile(opts.InferPolicy, b, 0o644)
		}
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("--infer-policy: %w", err)}
		}
	}
	return exitFor(rep, opts.FailOn)
}

// exitFor returns the error that carries the exit code of rep.
func exitFor(rep *audit.Report, failOn audit.Severity) error {
	if err := rep.Err(); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("network errors:\n%w", err)}
	}
	if m, ok := rep.Max(); ok && m >= failOn {
		return &cmdutil.ExitError{Code: ExitFindings}
	}
	return nil
}

// sourceTargets returns the targets of --openapi and --har.
func sourceTargets(opts *Options) ([]*audit.Target, error) {
	var out []*audit.Target
	if opts.OpenAPIFile != "" {
		b, err := readFile(opts.OpenAPIFile)
		if err != nil {
			return nil, fmt.Errorf("reading --openapi: %w", err)
		}
		var base *url.URL
		if opts.OpenAPIBase != "" {
			base, _ = url.Parse(opts.OpenAPIBase)
		}
		ts, err := source.OpenAPI(opts.OpenAPIFile, b, base)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	if opts.HARFile != "" {
		// Read an entry at a time, as check --har does: a HAR with the
		// responses' bodies runs to hundreds of MiB.
		f, err := os.Open(opts.HARFile)
		if err != nil {
			return nil, fmt.Errorf("reading --har: %w", err)
		}
		ts, err := source.HAR(opts.HARFile, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = source.Merge(out, ts)
	}
	return out, nil
}

// readFile reads a file of at most source.MaxFileSize bytes.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, source.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > source.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, source.MaxFileSize>>20)
	}
	return b, nil
}

func readTargets(opts *Options) ([]string, error) {
	urls := append([]string(nil), opts.URLs...)
	if opts.TargetsFile == "" {
		return urls, nil
	}
	var r io.Reader = opts.IO.In
	if opts.TargetsFile != "-" {
		f, err := os.Open(opts.TargetsFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		urls = append(urls, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading --targets %s: %w", opts.TargetsFile, err)
	}
	return urls, nil
}

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
