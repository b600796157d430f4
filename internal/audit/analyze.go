package audit

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/fetch"
)

// analyzer turns the probe results of one target into findings.
type analyzer struct {
	t        *Target
	exposure Exposure
	tp       *targetPolicy
	findings []Finding
	once     map[string]bool // findings reported once per target
	grouped  map[string]int  // index of the finding of a class and kind
}

func analyze(t *Target, exposure Exposure, tp *targetPolicy, results []probeResult) []Finding {
	a := &analyzer{t: t, exposure: exposure, tp: tp, once: make(map[string]bool), grouped: make(map[string]int)}
	// Reflection of a foreign origin implies every narrower origin class:
	// report it alone. And the preflight checks only apply where the
	// target shows it means to do CORS (any response carried ACAO).
	var reflectAny [2]bool
	intent := false
	for _, r := range results {
		if r.resp == nil {
			continue
		}
		if _, ok := r.resp.Header["Access-Control-Allow-Origin"]; ok {
			intent = true
		}
		if r.probe.Class == OriginReflected && r.probe.role == roleOrigin && a.granted(&r) {
			reflectAny[r.probe.Kind] = true
		}
	}
	for i := range results {
		r := &results[i]
		if r.resp == nil {
			if r.probe.crlf() && r.err != nil && malformed(r.err) && a.crlfFirst(r) {
				a.add(r, r.probe.Class, NoRead, "the response to a request with CR/LF in it does not parse as HTTP: the CR or LF was written into the response headers")
			}
			continue
		}
		a.analyzeOne(r, reflectAny[min(r.probe.Kind, Preflight)], intent)
	}
	a.preflightVary(results)
	wildcardNoOrigin := a.noOriginWildcard(results)
	a.partialVary(results, wildcardNoOrigin)
	return a.findings
}

// granted reports whether the response grants the probe origin itself
// (not "*") a read beyond what the policy allows.
func (a *analyzer) granted(r *probeResult) bool {
	acao := r.resp.Header.Values("Access-Control-Allow-Origin")
	if r.level == NoRead || len(acao) != 1 || acao[0] != r.probe.Origin {
		return false
	}
	return a.tp == nil || r.level > r.expected
}

func (a *analyzer) analyzeOne(r *probeResult, reflectAny, intent bool) {
	p := &r.probe
	h := r.resp.Header
	acao := h.Values("Access-Control-Allow-Origin")
	conformance := a.tp != nil && p.Kind != NoOrigin

	switch p.role {
	case roleOrigin:
		if a.granted(r) && (p.Class == OriginReflected || !reflectAny) {
			// One finding per class and kind; the other origins of the
			// class that got through are listed in it.
			key := fmt.Sprintf("class-%d/%d", p.Class, p.Kind)
			if i, ok := a.grouped[key]; ok {
				a.findings[i].AlsoOrigins = append(a.findings[i].AlsoOrigins, p.Origin)
			} else {
				a.grouped[key] = len(a.findings)
				a.add(r, p.Class, r.level, a.readDetail(r))
			}
		}
		if conformance && r.level < r.expected && a.first("refused-attacker", p.Kind) {
			a.add(r, PolicyAllowedRefused, r.expected, a.refusedDetail(r))
		}
	case roleOwn, rolePolicy:
		if conformance && r.level < r.expected {
			a.add(r, PolicyAllowedRefused, r.expected, a.refusedDetail(r))
		}
		if conformance && r.level > r.expected && !isWildcard(acao) {
			a.add(r, PolicyExceeded, r.level, a.readDetail(r)+"; "+a.policyDetail(r))
		}
	case roleAnyMethod:
		if acam, _ := tokens(h, "Access-Control-Allow-Methods"); slices.Contains(acam, probeMethod) &&
			!(conformance && r.expected > NoRead) && a.first("any-method", p.Kind) {
			a.add(r, PreflightAnyMethod, r.level, fmt.Sprintf("the preflight for the made-up method %s is answered with Access-Control-Allow-Methods: %s",
				probeMethod, strings.Join(h.Values("Access-Control-Allow-Methods"), ", ")))
		}
	case roleAnyHeader:
		if acah, _ := tokens(h, "Access-Control-Allow-Headers"); containsFold(acah, probeHeader) &&
			!(conformance && r.expected > NoRead) && a.first("any-header", p.Kind) {
			a.add(r, PreflightAnyHeader, r.level, fmt.Sprintf("the preflight for the made-up header %s is answered with Access-Control-Allow-Headers: %s",
				strings.ToLower(probeHeader), strings.Join(h.Values("Access-Control-Allow-Headers"), ", ")))
		}
	case rolePrivateNetwork:
		// Only a preflight that passes for the foreign origin opens
		// anything: with its origin refused, the header alone does not.
		if v, _ := headerValue(h, "Access-Control-Allow-Private-Network"); v == "true" && r.level > NoRead &&
			!a.tp.allowsPrivateNetwork(r.exchanges[len(r.exchanges)-1].Request) && a.first("private-network", 0) {
			a.add(r, PrivateNetworkAllowed, r.level, a.privateNetworkDetail(r))
		}
	case roleCRLF, roleCRLFAllowed:
		if _, ok := h[injectedName]; ok && a.crlfFirst(r) {
			d := fmt.Sprintf("the response carries the header %s: the CR/LF sent in the request was written into the response headers", injectedName)
			if p.role == roleCRLFAllowed {
				d = fmt.Sprintf("the response carries the header %s: the Origin %s, an allowed origin with a percent-encoded CR/LF and a header line appended, was decoded and written back into the response headers", injectedName, p.Origin)
			}
			a.add(r, p.Class, r.level, d)
		}
	case roleNoOrigin:
		if len(acao) > 0 && !isWildcard(acao) {
			a.add(r, AllowOriginWithoutOrigin, NoRead, fmt.Sprintf("a request without Origin is answered with Access-Control-Allow-Origin: %s", strings.Join(acao, ", ")))
		}
		return
	case roleError:
		if r.resp.Status >= 400 && len(acao) == 0 {
			a.add(r, CORSMissingOnError, NoRead, fmt.Sprintf("%s reads %s, but the error response (status %d) to a request from the same origin has no Access-Control-Allow-Origin: the page sees a CORS error, not the status",
				p.Origin, a.t.URL, r.resp.Status))
		}
	}

	// Checks on every response to a request with an Origin.
	if isWildcard(acao) {
		if v, _ := headerValue(h, "Access-Control-Allow-Credentials"); v == "true" && a.first("wildcard-credentials", 0) {
			a.add(r, WildcardCredentials, NoRead, "Access-Control-Allow-Origin: * comes with Access-Control-Allow-Credentials: true; browsers refuse credentialed reads but any page reads the response without cookies")
		}
		if r.level > NoRead && (!conformance || r.level > r.expected) && a.first("wildcard", 0) {
			d := "any page reads the response (without cookies)"
			if a.internal() {
				d += "; the target is " + a.exposureReason() + ", so \"*\" exposes what only the network protects"
			}
			if conformance {
				d += "; " + a.policyDetail(r)
			}
			a.add(r, WildcardOrigin, r.level, d)
		}
	}
	if len(acao) > 0 && !(len(acao) == 1 && (acao[0] == p.Origin || validAllowOrigin(acao[0]))) && a.first("invalid-acao", 0) {
		a.add(r, InvalidAllowOrigin, r.level, fmt.Sprintf("Access-Control-Allow-Origin is %s; browsers want one value: \"*\" or one origin", quoteAll(acao)))
	}
	// Only actual responses need Vary: Origin. A preflight response is not
	// stored by caches unless told to (OPTIONS is not cacheable, RFC 9110
	// §9.3.7), and the browser's preflight cache is keyed by origin and URL,
	// never by Vary (Fetch, "CORS-preflight cache"); the per-header case of
	// preflights is vary-preflight-missing's.
	if p.Kind != Preflight && len(acao) == 1 && acao[0] == p.Origin && !varies(h) && a.first("vary", 0) {
		a.add(r, VaryOriginMissing, r.level, fmt.Sprintf("Access-Control-Allow-Origin echoes the Origin %s but Vary is %q", p.Origin, strings.Join(h.Values("Vary"), ", ")))
	}
	if p.Kind != Preflight || !intent {
		return
	}
	switch s := r.resp.Status; {
	case s >= 300 && s < 400:
		if a.first("preflight-redirected", 0) {
			a.add(r, PreflightRedirected, NoRead, fmt.Sprintf("the preflight is answered with %d, Location: %s; browsers fail a redirected preflight", s, h.Get("Location")))
		}
	case s == 401 || s == 407:
		if a.first("preflight-auth", 0) {
			a.add(r, PreflightAuthRequired, NoRead, fmt.Sprintf("the preflight is answered with %d; browsers never send credentials on a preflight, so it always fails", s))
		}
	case s < 200 || s > 299:
		// Only for origins the target means to allow: refusing a made-up
		// method, a CR/LF or an attacker with a 403 is right.
		trusted := p.role == roleOwn || p.role == rolePolicy
		if trusted && r.failure != nil && r.failure.ID == fetch.PreflightInvalidStatus && a.first("preflight-failed", 0) {
			a.add(r, PreflightFailed, NoRead, fmt.Sprintf("the preflight from %s passes the origin check but its status is %d, so the browser fails it", p.Origin, s))
		}
	}
}

func (a *analyzer) privateNetworkDetail(r *probeResult) string {
	d := fmt.Sprintf("the preflight from %s with Access-Control-Request-Private-Network: true is answered with Access-Control-Allow-Private-Network: true and Access-Control-Allow-Origin: %s, "+
		"so a browser enforcing Private Network Access lets that public page send requests to this server", r.probe.Origin, strings.Join(r.resp.Header.Values("Access-Control-Allow-Origin"), ", "))
	if a.internal() {
		d += "; the target is " + a.exposureReason() + ", which is exactly what Private Network Access protects"
	}
	return d + "; Chromium 156 no longer sends this preflight (Local Network Access replaced it with a permission prompt), so only older Chromium-based browsers are concerned"
}

// The request headers a preflight's answer may depend on, and the
// response headers compared to tell.
var (
	preflightRequestHeaders = []string{"Access-Control-Request-Method", "Access-Control-Request-Headers", "Access-Control-Request-Private-Network"}
	preflightAnswerHeaders  = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
		"Access-Control-Allow-Headers", "Access-Control-Allow-Private-Network"}
)

// preflightVary finds preflights whose answer depends on
// Access-Control-Request-Method, -Headers or -Private-Network without a
// Vary naming it. Two preflights from the same origin to the same URL
// differ only in those headers; when their CORS headers differ, the answer
// depends on at least one of the headers that differ, and a response whose
// Vary names none of them may be served from a cache to the other request.
// (Vary: Origin is checked on its own, by vary-origin-missing.)
func (a *analyzer) preflightVary(results []probeResult) {
	candidate := func(r *probeResult) bool {
		return r.resp != nil && r.probe.Kind == Preflight && !r.probe.crlf() && len(r.exchanges) == 1
	}
	for i := range results {
		ri := &results[i]
		if !candidate(ri) {
			continue
		}
		for j := i + 1; j < len(results); j++ {
			rj := &results[j]
			if !candidate(rj) || rj.probe.Origin != ri.probe.Origin {
				continue
			}
			answer := ""
			for _, n := range preflightAnswerHeaders {
				if !slices.Equal(ri.resp.Header.Values(n), rj.resp.Header.Values(n)) {
					answer = n
					break
				}
			}
			if answer == "" {
				continue
			}
			var differ []string
			qi, qj := ri.exchanges[0].Request.Header, rj.exchanges[0].Request.Header
			for _, n := range preflightRequestHeaders {
				if !slices.Equal(qi.Values(n), qj.Values(n)) {
					differ = append(differ, n)
				}
			}
			if len(differ) == 0 {
				continue // the same request answered twice differently: not a cache matter
			}
			for _, pair := range [][2]*probeResult{{ri, rj}, {rj, ri}} {
				r, other := pair[0], pair[1]
				if variesOnAny(r.resp.Header, differ) {
					continue
				}
				vary := "has no Vary"
				if vs := r.resp.Header.Values("Vary"); len(vs) > 0 {
					vary = fmt.Sprintf("has Vary: %s, which names none of them", strings.Join(vs, ", "))
				}
				a.add(r, VaryPreflightMissing, r.level, fmt.Sprintf(
					"the preflights from %s for %s and for %s differ only in %s, yet get different answers (%s: %s and %s); the first %s: a cache that stores preflights may serve one answer to the other request",
					r.probe.Origin, preflightDesc(r), preflightDesc(other), strings.Join(differ, " and "), answer,
					quoteOrNone(r.resp.Header.Values(answer)), quoteOrNone(other.resp.Header.Values(answer)), vary))
				f := &a.findings[len(a.findings)-1]
				f.Evidence = append(f.Evidence, cloneExchanges(other.exchanges)...)
				return
			}
		}
	}
}

// preflightDesc describes the request a preflight stands for.
func preflightDesc(r *probeResult) string {
	h := r.exchanges[0].Request.Header
	d := h.Get("Access-Control-Request-Method")
	if acrh := h.Get("Access-Control-Request-Headers"); acrh != "" {
		d += " with " + acrh
	}
	if h.Get("Access-Control-Request-Private-Network") != "" {
		d += " (Private Network Access)"
	}
	return d
}

func quoteOrNone(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return quoteAll(vs)
}

// variesOnAny reports whether the Vary header names one of names (or is
// "*").
func variesOnAny(h map[string][]string, names []string) bool {
	for _, v := range h["Vary"] {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "*" || containsFold(names, item) {
				return true
			}
		}
	}
	return false
}

// crlfFirst reports whether r's CR/LF finding is the first of its kind.
// The allowed-origin form is not reported where an attacker's origin
// already got its CR/LF through: the narrower finding adds nothing.
func (a *analyzer) crlfFirst(r *probeResult) bool {
	if r.probe.role == roleCRLFAllowed {
		if a.once[fmt.Sprintf("crlf/%d", r.probe.Kind)] {
			return false
		}
		return a.first("crlf-allowed", r.probe.Kind)
	}
	return a.first("crlf", r.probe.Kind)
}

// internal reports whether the target is graded as internal: said so by
// Options.Exposure, or judged from its address.
func (a *analyzer) internal() bool { return a.exposure.internal(a.t) }

func (a *analyzer) exposureReason() string {
	if a.exposure == ExposureInternal {
		return "internal (--exposure internal)"
	}
	return "on a loopback or private address (or named localhost)"
}

// first reports whether a finding keyed by key and kind is the first of
// the target; findings of such keys are reported once.
func (a *analyzer) first(key string, k Kind) bool {
	key = fmt.Sprintf("%s/%d", key, k)
	if a.once[key] {
		return false
	}
	a.once[key] = true
	return true
}

// add records a finding. Its evidence is a copy: findings share nothing.
func (a *analyzer) add(r *probeResult, c Class, l Level, detail string) {
	f := Finding{
		URL:         a.t.URL.String(),
		Class:       c,
		Severity:    c.Severity(l),
		Title:       c.Title(),
		Kind:        r.probe.Kind,
		ProbeOrigin: r.probe.Origin,
		Read:        l,
		Detail:      detail,
		Policy:      a.tp.name(),
		Evidence:    cloneExchanges(r.exchanges),
		Fix:         c.Fix(),
	}
	if classes[c].grade == gradeNetwork && a.internal() {
		f.Severity = Medium
	}
	a.findings = append(a.findings, f)
}

func cloneExchanges(exs []Exchange) []Exchange {
	out := make([]Exchange, len(exs))
	for i, ex := range exs {
		out[i] = ex
		out[i].Request.Header = ex.Request.Header.Clone()
		if ex.Response != nil {
			resp := *ex.Response
			resp.Header = ex.Response.Header.Clone()
			out[i].Response = &resp
		}
	}
	return out
}

func (a *analyzer) readDetail(r *probeResult) string {
	o := r.probe.Origin
	switch {
	case r.probe.Kind == Preflight && r.level == CredentialedRead:
		return fmt.Sprintf("the preflight lets a page on %s send non-simple requests (%s with %s) with the user's cookies", o, r.probe.Method, headerNames(r.probe))
	case r.probe.Kind == Preflight:
		return fmt.Sprintf("the preflight lets a page on %s send non-simple requests (%s with %s), without cookies", o, r.probe.Method, headerNames(r.probe))
	case r.level == CredentialedRead:
		return fmt.Sprintf("a page on %s reads the response with the user's cookies", o)
	}
	return fmt.Sprintf("a page on %s reads the response, without cookies", o)
}

func (a *analyzer) refusedDetail(r *probeResult) string {
	what := "read the response"
	if r.probe.Kind == Preflight {
		what = fmt.Sprintf("send %s with %s", r.probe.Method, headerNames(r.probe))
	}
	d := fmt.Sprintf("policy %q lets a page on %s %s (%s), but the browser refuses", a.tp.name(), r.probe.Origin, what, r.expected)
	if r.failure != nil {
		d += ": " + string(r.failure.ID)
		if r.failure.Parameter != "" {
			d += fmt.Sprintf(" (%s)", r.failure.Parameter)
		}
	}
	return d
}

func (a *analyzer) policyDetail(r *probeResult) string {
	if a.tp.policy == nil {
		return "no policy of the file applies to this URL, so it should send no CORS headers"
	}
	return fmt.Sprintf("policy %q allows %s here", a.tp.name(), r.expected)
}

func headerNames(p Probe) string {
	if len(p.Header) == 0 {
		return "no header"
	}
	var names []string
	for n := range p.Header {
		names = append(names, strings.ToLower(n))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func isWildcard(acao []string) bool { return len(acao) == 1 && acao[0] == "*" }

// validAllowOrigin reports whether v is a value browsers can match: "*",
// "null", or a serialized origin (scheme://host[:port], nothing more).
func validAllowOrigin(v string) bool {
	if v == "*" || v == "null" {
		return true
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return false
	}
	return v == strings.ToLower(u.Scheme)+"://"+u.Host && !strings.ContainsAny(u.Host, "*, ")
}

// varies reports whether the Vary header names Origin (or is "*").
func varies(h map[string][]string) bool { return variesOnAny(h, []string{"Origin"}) }

// tokens returns the comma-separated items of a header's lines, trimmed.
func tokens(h map[string][]string, name string) ([]string, bool) {
	vs, ok := h[name]
	var out []string
	for _, v := range vs {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out, ok
}

func headerValue(h map[string][]string, name string) (string, bool) {
	vs, ok := h[name]
	return strings.Join(vs, ", "), ok
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(t string) bool { return strings.EqualFold(t, s) })
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " and ")
}

// noOriginWildcard finds a request without Origin answered with "*" and
// no Vary: Origin by a server that checks the origins of requests that
// have one (the arbitrary origin's simple request does not get "*"). A
// shared cache keys such a response by URL alone and serves it to every
// origin (RFC 9110, section 12.5.5: without Vary, the stored response
// matches any request). It reports whether it found one.
func (a *analyzer) noOriginWildcard(results []probeResult) bool {
	var none, evil *probeResult
	for i := range results {
		r := &results[i]
		switch {
		case r.resp == nil || len(r.exchanges) != 1:
		case r.probe.role == roleNoOrigin:
			none = r
		case r.probe.role == roleOrigin && r.probe.Class == OriginReflected && r.probe.Kind == Simple:
			evil = r
		}
	}
	if none == nil || evil == nil || !isWildcard(none.resp.Header.Values("Access-Control-Allow-Origin")) ||
		varies(none.resp.Header) || isWildcard(evil.resp.Header.Values("Access-Control-Allow-Origin")) {
		return false
	}
	d := fmt.Sprintf("a request without Origin is answered with Access-Control-Allow-Origin: * and no Vary: Origin, but the request from %s is not: a shared cache that stored the first serves \"*\" to any origin", evil.probe.Origin)
	if v, _ := headerValue(none.resp.Header, "Access-Control-Allow-Credentials"); v == "true" {
		d += "; it also sends Access-Control-Allow-Credentials: true, which browsers refuse with \"*\", so pages read it without cookies"
	}
	a.add(none, WildcardWithoutOrigin, NoRead, d)
	f := &a.findings[len(a.findings)-1]
	f.Evidence = append(f.Evidence, cloneExchanges(evil.exchanges)...)
	return true
}

// partialVary finds a URL that sends Vary: Origin with an allowed origin's
// response but not with a refused origin's, or with the response to a
// request without Origin (unless that one is already a
// wildcard-without-origin finding). Only simple requests count: responses
// to OPTIONS are not cacheable (RFC 9110, section 9.3.7). A cache that
// stores the response without Vary serves it to the allowed origin too,
// whose page then fails its CORS check.
func (a *analyzer) partialVary(results []probeResult, wildcardNoOrigin bool) {
	var allowed, other *probeResult
	for i := range results {
		r := &results[i]
		if r.resp == nil || len(r.exchanges) != 1 || r.probe.Kind == Preflight || r.probe.crlf() || r.probe.role == roleError {
			continue
		}
		acao := r.resp.Header.Values("Access-Control-Allow-Origin")
		echoed := len(acao) == 1 && r.probe.Kind == Simple && acao[0] == r.probe.Origin
		switch {
		case echoed && varies(r.resp.Header):
			if allowed == nil {
				allowed = r
			}
		case !echoed && !varies(r.resp.Header) && !(r.probe.Kind == NoOrigin && wildcardNoOrigin):
			if other == nil {
				other = r
			}
		}
	}
	if allowed == nil || other == nil {
		return
	}
	what := "the request from " + other.probe.Origin
	if other.probe.Kind == NoOrigin {
		what = "the request without Origin"
	}
	a.add(other, VaryOriginPartial, NoRead, fmt.Sprintf(
		"the response to %s allows it with Vary: %s, but the response to %s (Access-Control-Allow-Origin: %s) has no Vary: Origin: a shared cache may serve that one to %s, whose page then fails",
		allowed.probe.Origin, strings.Join(allowed.resp.Header.Values("Vary"), ", "), what,
		quoteOrNone(other.resp.Header.Values("Access-Control-Allow-Origin")), allowed.probe.Origin))
	f := &a.findings[len(a.findings)-1]
	f.Evidence = append(f.Evidence, cloneExchanges(allowed.exchanges)...)
}
