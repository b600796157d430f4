package audit

import (
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// Limits on the conformance probes of one target.
const (
	maxPolicyOrigins  = 16
	maxPolicyRequests = 8
)

// targetPolicy is what a policy file prescribes for one target.
type targetPolicy struct {
	policy *policyfile.Policy // nil: no policy applies, so no CORS at all
	// origins are the policy's origins, patterns instantiated; requests
	// the preflighted requests it allows.
	origins  []string
	requests []policyRequest
}

type policyRequest struct {
	method string
	header http.Header
}

// policyFor returns what f prescribes for t.
func policyFor(f *policyfile.File, t *Target) *targetPolicy {
	r, _ := http.NewRequest(http.MethodGet, t.URL.String(), nil)
	pol := f.Match(r)
	tp := &targetPolicy{policy: pol}
	if pol == nil {
		return tp
	}
	cfg := pol.Config
	for _, o := range cfg.AllowOrigins {
		if o == "*" || len(tp.origins) == maxPolicyOrigins {
			continue
		}
		o = strings.Replace(o, "://*.", "://crossgate-audit.", 1)
		o = strings.TrimSuffix(o, ":*")
		if !slices.Contains(tp.origins, o) {
			tp.origins = append(tp.origins, o)
		}
	}
	h := http.Header{}
	for _, name := range cfg.AllowHeaders {
		if name != "*" && !fetch.IsCORSSafelistedRequestHeader(name, "crossgate") {
			h.Set(name, "crossgate")
		}
	}
	for _, m := range cfg.AllowMethods {
		if m == "*" || fetch.IsCORSSafelistedMethod(m) || len(tp.requests) == maxPolicyRequests {
			continue
		}
		tp.requests = append(tp.requests, policyRequest{method: m, header: h})
	}
	if len(tp.requests) == 0 && len(h) > 0 {
		tp.requests = append(tp.requests, policyRequest{method: http.MethodPost, header: h})
	}
	return tp
}

// expect returns the level the policy grants to the probe request: the
// headers the policy's middleware would send, graded like the real ones.
func (tp *targetPolicy) expect(g grader, p *Probe, req Request) Level {
	if tp.policy == nil || p.Kind == NoOrigin {
		return NoRead
	}
	r, err := http.NewRequest(req.Method, req.URL, nil)
	if err != nil {
		return NoRead
	}
	r.Header = req.Header.Clone()
	d := tp.policy.Middleware.Evaluate(r)
	status := d.Status
	if status == 0 {
		status = http.StatusOK
	}
	level, _ := g.grade(p, fetch.Response{Status: status, Header: d.Header}, p.relaxed())
	return level
}

// allowsPrivateNetwork reports whether the policy's middleware answers req
// with Access-Control-Allow-Private-Network: true.
func (tp *targetPolicy) allowsPrivateNetwork(req Request) bool {
	if tp == nil || tp.policy == nil {
		return false
	}
	r, err := http.NewRequest(req.Method, req.URL, nil)
	if err != nil {
		return false
	}
	r.Header = req.Header.Clone()
	return tp.policy.Middleware.Evaluate(r).Header.Get("Access-Control-Allow-Private-Network") == "true"
}

func (tp *targetPolicy) name() string {
	if tp == nil || tp.policy == nil {
		return ""
	}
	return tp.policy.Name
}
