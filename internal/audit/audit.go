package audit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// Options configure an audit. The zero value is usable: it audits one
// target at a time over a default transport, with no rate limit and a
// 10 s timeout per request.
type Options struct {
	// Transport sends each request; nil means a transport like
	// http.DefaultTransport without compression. It must not follow
	// redirects (no http.RoundTripper does).
	Transport http.RoundTripper
	// Engine is the browser modelled when grading.
	Engine fetch.Engine
	// Concurrency is how many targets are audited at once; 0 means 4.
	// The probes of one target are sent one after the other.
	Concurrency int
	// RatePerHost is the most requests per second sent to one host (host
	// and port), spaced evenly; 0 means no limit. The command's default is
	// [DefaultRate].
	RatePerHost float64
	// Timeout bounds each request; 0 means 10 s.
	Timeout time.Duration
	// Header is sent on every request (-H).
	Header http.Header
	// CredentialsHeader is sent on simple requests only, as a browser
	// sends cookies: never on preflights. Its values are redacted in the
	// evidence.
	CredentialsHeader http.Header
	// Exposure says whether targets are public or internal, for grading
	// "*" and Private Network Access; the zero value judges from the
	// address.
	Exposure Exposure
	// Policy, when not nil, turns on conformance mode: the policy that
	// matches each target says what must be allowed and what refused.
	Policy *policyfile.File
	// oneHost makes every target share one rate limit, as the endpoints of
	// one API host do (the lab benchmark's endpoints have names of their
	// own).
	oneHost bool
	// KeepExchanges keeps every request sent and its response in
	// [TargetResult.Exchanges]. Without it only the findings' evidence is
	// kept once a target is done, so that an audit of many targets holds
	// what its findings need and no more.
	KeepExchanges bool
	// Thorough sends every probe of every family on a simple request and
	// on a preflight, whatever the answers. Without it the audit is
	// adaptive (see the package doc); with a Policy it is always thorough.
	Thorough bool
	// OnProgress, when not nil, is called after each request and after
	// each target, from the goroutines that audit the targets (it must be
	// safe for concurrent use).
	OnProgress func(Progress)
}

// DefaultRate is the command's default RatePerHost: one request every
// 20 ms to a host, never a burst. An adaptive audit sends about 25
// requests per endpoint, so 40 endpoints of one host take about 20 s.
const DefaultRate = 50

// Progress is how far an audit is.
type Progress struct {
	Done, Total int // targets
	Requests    int // sent so far
	Findings    int // in the targets done
}

// Report is the result of an audit. Its order depends only on the
// targets' order and the answers, never on timing.
type Report struct {
	Targets  []TargetResult
	Findings []Finding
}

// TargetResult is what was sent to one target.
type TargetResult struct {
	URL string `json:"url"`
	// Policy is the name of the policy that applies (conformance mode).
	Policy string `json:"policy,omitempty"`
	// Exchanges are every request sent, in order, with its response,
	// when [Options.KeepExchanges] is set.
	Exchanges []Exchange `json:"-"`
	// Exposure is how the target was graded: "public" or "internal".
	Exposure string `json:"exposure"`
	// Requests is the number of requests sent.
	Requests int `json:"requests"`
	// Error is the network error that stopped or disturbed the audit of
	// this target, or "".
	Error string `json:"error,omitempty"`

	observed *observation // what the answers show, for InferPolicy
}

// Finding is one misconfiguration found on one target.
type Finding struct {
	URL      string   `json:"url"`
	Class    Class    `json:"class"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Kind is the kind of request that showed it.
	Kind        Kind   `json:"kind"`
	ProbeOrigin string `json:"probe_origin"`
	// AlsoOrigins are the other probe origins of the same class that got
	// the same kind of request through, in the order sent.
	AlsoOrigins []string `json:"also_origins,omitempty"`
	// Read is what a page on ProbeOrigin can do, per the fetch model.
	Read   Level  `json:"read"`
	Detail string `json:"detail"`
	// Policy is the applicable policy's name in conformance mode.
	Policy   string     `json:"policy,omitempty"`
	Evidence []Exchange `json:"evidence"`
	Fix      string     `json:"fix"`
}

// Err returns the targets' network errors joined, or nil.
func (r *Report) Err() error {
	var errs []error
	for _, t := range r.Targets {
		if t.Error != "" {
			errs = append(errs, fmt.Errorf("%s: %s", t.URL, t.Error))
		}
	}
	return errors.Join(errs...)
}

// Max returns the highest severity found, and false when nothing was.
func (r *Report) Max() (Severity, bool) {
	if len(r.Findings) == 0 {
		return 0, false
	}
	m := Info
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m, true
}

// Requests returns the number of requests sent.
func (r *Report) Requests() int {
	n := 0
	for _, t := range r.Targets {
		n += t.Requests
	}
	return n
}

// DefaultTransport returns the transport used when Options.Transport is
// nil: http.DefaultTransport's settings, without compression so that the
// evidence shows the headers as sent, and with the header size limit of
// Chromium (256 KiB).
func DefaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	// Chromium's limit: a larger header block is an error there too.
	t.MaxResponseHeaderBytes = maxResponseHeaderBytes
	return t
}

// Run audits the targets and returns the report. Network errors are
// recorded per target (see [Report.Err]); Run returns an error only when
// ctx is done.
func Run(ctx context.Context, targets []*Target, opts Options) (*Report, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	rt := opts.Transport
	if rt == nil {
		rt = DefaultTransport()
	}
	lim := newLimiter(opts.RatePerHost)
	results := make([]targetRun, len(targets))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	var requests, findings atomic.Int64
	progress := func() {
		if opts.OnProgress != nil {
			mu.Lock()
			d := done
			mu.Unlock()
			opts.OnProgress(Progress{Done: d, Total: len(targets), Requests: int(requests.Load()), Findings: int(findings.Load())})
		}
	}
	onRequest := func() {
		requests.Add(1)
		progress()
	}
	for range min(opts.Concurrency, max(len(targets), 1)) {
		wg.Go(func() {
			for i := range jobs {
				results[i] = auditTarget(ctx, targets[i], &opts, rt, lim, onRequest)
				findings.Add(int64(len(results[i].findings)))
				mu.Lock()
				done++
				mu.Unlock()
				progress()
			}
		})
	}
feed:
	for i := range targets {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &Report{Targets: make([]TargetResult, len(targets)), Findings: []Finding{}}
	for i, r := range results {
		rep.Targets[i] = r.result
		rep.Findings = append(rep.Findings, r.findings...)
	}
	return rep, nil
}

// targetRun is the audit of one target. Nothing in it is shared.
type targetRun struct {
	result   TargetResult
	findings []Finding
}

// probeResult is a probe with what came back.
type probeResult struct {
	probe     Probe
	exchanges []Exchange
	resp      *fetch.Response // the last hop's, nil on error
	err       error
	level     Level
	failure   *fetch.Failure
	expected  Level // conformance mode only
}

// maxConsecutiveErrors stops the audit of a target that does not answer.
const maxConsecutiveErrors = 3

func auditTarget(ctx context.Context, t *Target, opts *Options, rt http.RoundTripper, lim *limiter, onRequest func()) targetRun {
	var tp *targetPolicy
	if opts.Policy != nil {
		tp = policyFor(opts.Policy, t)
	}
	key := t.hostKey()
	if opts.oneHost {
		key = "one host"
	}
	s := &sender{rt: rt, timeout: opts.Timeout, limit: lim, key: key, extra: opts.Header, creds: opts.CredentialsHeader}
	g := grader{engine: opts.Engine, target: t}
	run := targetRun{result: TargetResult{URL: t.URL.String(), Policy: tp.name(), Exposure: opts.Exposure.judged(t)}}
	var results []probeResult
	var firstErr, stopped string
	consecutive, failed := 0, 0
	stopping := func() bool {
		if consecutive >= maxConsecutiveErrors && stopped == "" {
			stopped = fmt.Sprintf("; audit stopped after %d failed requests in a row", consecutive)
		}
		return ctx.Err() != nil || consecutive >= maxConsecutiveErrors
	}
	// send sends p to rawURL and returns the result; ok is false when
	// nothing was sent because the audit of the target stops.
	send := func(p Probe, rawURL string) (pr probeResult, ok bool) {
		if stopping() {
			return pr, false
		}
		pr.probe = p
		h, follow := s.headers(g, &p)
		var resp *http.Response
		pr.exchanges, resp, pr.err = s.send(ctx, requestMethod(p.Kind), rawURL, h, follow)
		run.result.Requests += len(pr.exchanges)
		for range pr.exchanges {
			onRequest()
		}
		if opts.KeepExchanges {
			run.result.Exchanges = append(run.result.Exchanges, pr.exchanges...)
		}
		switch {
		case pr.err != nil && p.crlf() && malformed(pr.err):
			// The injected CR or LF broke the response: evidence, not
			// a network error.
		case pr.err != nil:
			consecutive++
			failed++
			if firstErr == "" {
				firstErr = fmt.Sprintf("%s request with Origin %q: %v", p.Kind, p.Origin, pr.err)
			}
		default:
			consecutive = 0
			pr.resp = &fetch.Response{Status: resp.StatusCode, Header: resp.Header}
			pr.level, pr.failure = g.grade(&p, *pr.resp, p.relaxed())
			if tp != nil {
				pr.expected = tp.expect(g, &p, pr.exchanges[len(pr.exchanges)-1].Request)
			}
		}
		results = append(results, pr)
		return pr, true
	}
	sendTarget := func(p Probe) (probeResult, bool) { return send(p, t.URL.String()) }
	if opts.Thorough || tp != nil {
		for _, p := range probes(t, tp) {
			if _, ok := sendTarget(p); !ok {
				break
			}
		}
	} else {
		adaptive(t, sendTarget)
	}
	// The error-response probe: the first origin that reads the target's
	// response, on a URL that answers with an error.
	for _, pr := range results {
		if pr.probe.Kind == Simple && pr.level > NoRead && !pr.probe.crlf() {
			send(Probe{Kind: Simple, Origin: pr.probe.Origin, Method: http.MethodGet, role: roleError}, errorURL(t))
			break
		}
	}
	stopping()
	if firstErr != "" {
		run.result.Error = fmt.Sprintf("%s (%d of %d requests failed)%s", firstErr, failed, run.result.Requests, stopped)
	}
	run.findings = analyze(t, opts.Exposure, tp, results)
	run.result.observed = observe(t, results)
	return run
}

func requestMethod(k Kind) string {
	if k == Preflight {
		return http.MethodOptions
	}
	return http.MethodGet
}

// headers returns the headers of p's request, built afresh, and whether
// redirects are followed.
func (s *sender) headers(g grader, p *Probe) (http.Header, bool) {
	h := http.Header{}
	for name, vs := range s.extra {
		h[name] = append([]string(nil), vs...)
	}
	h.Set("User-Agent", UserAgent)
	switch p.Kind {
	case Preflight:
		// Exactly the preflight a browser sends (Accept, ACRM, ACRH,
		// Origin), made by the fetch model; no credentials.
		if pl := g.plan(p, fetch.Include); pl != nil {
			for name, vs := range pl.PreflightHeader() {
				h[name] = vs
			}
		}
		if p.ACRH != "" {
			h.Set("Access-Control-Request-Headers", p.ACRH)
		}
		if p.PrivateNetwork {
			h.Set("Access-Control-Request-Private-Network", "true")
		}
		return h, false
	case Simple:
		h.Set("Origin", p.Origin)
	}
	h.Set("Accept", "*/*")
	for name, vs := range s.creds {
		h[name] = append([]string(nil), vs...)
	}
	return h, true
}

// errorURL returns a URL under the target's that should not exist.
func errorURL(t *Target) string {
	u := *t.URL
	u.RawQuery = ""
	u.RawPath = ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += errorSegment
	return u.String()
}

// malformed reports whether err is a response that did not parse as HTTP.
func malformed(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return strings.Contains(err.Error(), "malformed")
}
