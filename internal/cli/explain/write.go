package explain

import (
	"errors"
	"net/http"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// writeVerdict says whether a request with an unsafe method reaches the
// handler: refused is true when protect_writes refuses it with 403 (see
// cors.Config.ProtectWrites); the note says what happens and why, or is ""
// when there is nothing to say (a safe method, an allowed origin, no
// browser).
func writeVerdict(p *policyfile.Policy, r *http.Request, d cors.Decision) (refused bool, note string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false, ""
	}
	if p != nil {
		if err := p.Middleware.CheckWrite(r); err != nil {
			var we *cors.WriteError
			if errors.As(err, &we) {
				return true, "refused with 403 before the handler runs (protect_writes): " + err.Error()
			}
		}
	}
	if d.Kind != cors.KindActual || d.Allowed {
		return false, ""
	}
	if p != nil && p.Middleware.Config().ProtectWrites {
		// CheckWrite let it through although CORS refuses the origin:
		// net/http.CrossOriginProtection judges it same-origin.
		why := "its Origin matches Host"
		if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
			why = "Sec-Fetch-Site: " + s
		}
		return false, "reaches the handler: protect_writes lets it through as a same-origin request (" + why + "), " +
			"and CORS does not apply to same-origin requests"
	}
	// CORS refuses the origin: does the request still reach the handler?
	plan, err := fetch.Chromium.Classify(fetch.Request{Method: r.Method, URL: r.URL.String(), Origin: r.Header.Get("Origin"), Header: r.Header})
	if err == nil && plan.NeedsPreflight() {
		return false, "a browser sends a preflight first, which this policy refuses, so it never sends this " + r.Method +
			"; a script outside a browser can, and the handler runs (protect_writes: true refuses it)"
	}
	return false, "reaches the handler: a browser sends this " + r.Method + " without a preflight (a form, or fetch with a CORS-safelisted " +
		"Content-Type), so its side effect runs though the page cannot read the answer; protect_writes: true refuses it with 403 first"
}
