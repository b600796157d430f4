package exporttest

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crossgate/crossgate/fetch"
)

// Outcome is what a browser (and a cache) sees of one response, as package
// fetch judges it. Two servers agree on a case when their Outcomes are
// equal.
type Outcome struct {
	Status int
	// Omit and Include are the verdicts of the CORS check (a preflight's,
	// for a preflight) with credentials omitted and included: "ok", or
	// fetch's error id. "-" for a request without Origin.
	Omit, Include string
	// ReadOmit and ReadInclude are the response headers a script can read
	// (of the upstream's interesting ones) when the check passes.
	ReadOmit, ReadInclude []string
	// MaxAge is how long Chromium caches a preflight that passes.
	MaxAge time.Duration
	// Vary is the set of names in Vary, lower case, sorted.
	Vary []string
	// ACAO is Access-Control-Allow-Origin on a request without Origin
	// (what a cache would serve to the next, cross-origin, request).
	ACAO string
	// Duplicates names the Access-Control-* headers sent more than once,
	// which browsers refuse.
	Duplicates []string
	// Reached reports whether the upstream got the request; Path is the
	// path it got.
	Reached  bool
	Path     string
	Upstream string // which upstream got it
}

func (o Outcome) String() string {
	s := fmt.Sprintf("status %d, omit %s, include %s", o.Status, o.Omit, o.Include)
	if len(o.ReadOmit)+len(o.ReadInclude) > 0 {
		s += fmt.Sprintf(", readable %v/%v", o.ReadOmit, o.ReadInclude)
	}
	if o.MaxAge != 0 {
		s += fmt.Sprintf(", max-age %v", o.MaxAge)
	}
	s += fmt.Sprintf(", vary %v", o.Vary)
	if o.ACAO != "" {
		s += ", ACAO " + o.ACAO
	}
	if len(o.Duplicates) > 0 {
		s += fmt.Sprintf(", DUPLICATES %v", o.Duplicates)
	}
	if o.Reached {
		s += ", reached upstream " + o.Upstream + " as " + o.Path
	} else {
		s += ", not forwarded"
	}
	return s
}

// interesting are the upstream's headers whose readability tells the
// expose lists apart.
var interesting = []string{"x-total-count", "x-request-id", "link", "x-ratelimit-limit", "x-upstream-secret"}

// Send sends the case to base (http://127.0.0.1:PORT) with client, tagged
// with the case id under prefix, and judges the response; whether the
// request reached an upstream, and which, is what SeenAnywhere recorded.
func Send(client *http.Client, base, prefix string, c Case) (Outcome, error) {
	req, err := http.NewRequest(c.Method, base+c.Target, nil)
	if err != nil {
		return Outcome{}, err
	}
	req.Host = c.Host
	id := prefix + c.ID
	req.Header.Set(CaseHeader, id)
	if c.Origin != "" {
		req.Header.Set("Origin", c.Origin)
	}
	var plan *fetch.Plan
	if c.Preflight != nil {
		plan, err = fetch.Chromium.Classify(*c.Preflight)
		if err != nil {
			return Outcome{}, fmt.Errorf("case %s: %w", c.Name, err)
		}
		for k, v := range plan.PreflightHeader() {
			if k != "Origin" {
				req.Header[k] = v
			}
		}
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return Outcome{}, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o := Outcome{Status: resp.StatusCode, Omit: "-", Include: "-"}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// An upgrade went through: CORS does not apply to what follows,
		// and the 101's own headers are the upstream's.
		if s, ok := SeenAnywhere(id); ok {
			o.Reached, o.Path, o.Upstream = true, s.Path, s.Upstream
		}
		return o, nil
	}
	r := fetch.Response{Status: resp.StatusCode, Header: resp.Header}
	switch {
	case plan != nil:
		for _, mode := range []fetch.Credentials{fetch.Omit, fetch.Include} {
			sr := *c.Preflight
			sr.Credentials = mode
			if sr.Initiator == fetch.XHR && mode == fetch.Omit {
				sr.Credentials = fetch.SameOrigin
			}
			p, err := fetch.Chromium.Classify(sr)
			if err != nil {
				return Outcome{}, err
			}
			f, _ := fetch.Chromium.CheckPreflight(p, r)
			v := verdict(f)
			if mode == fetch.Omit {
				o.Omit = v
			} else {
				o.Include = v
			}
			if f == nil {
				o.MaxAge = fetch.ChromiumMaxAge(resp.Header)
			}
		}
	case c.Origin != "" && c.Origin != "null" && validOrigin(c.Origin):
		for _, mode := range []fetch.Credentials{fetch.Omit, fetch.Include} {
			p, err := fetch.Chromium.Classify(fetch.Request{Method: "GET", URL: "http://" + hostOnly(c.Host) + "/", Origin: c.Origin, Credentials: mode})
			if err != nil {
				return Outcome{}, err
			}
			f := fetch.Chromium.CheckResponse(p, r)
			var read []string
			if f == nil {
				read = filter(fetch.ReadableHeaders(resp.Header, fetch.Cors, mode))
			}
			if mode == fetch.Omit {
				o.Omit, o.ReadOmit = verdict(f), read
			} else {
				o.Include, o.ReadInclude = verdict(f), read
			}
		}
	case c.Origin != "":
		// "null" and malformed origins: fetch cannot build the page's
		// request, so judge by what would let it read: ACAO equal to
		// the Origin, or "*".
		acao := resp.Header.Values("Access-Control-Allow-Origin")
		o.Omit = "refused"
		if len(acao) == 1 && (acao[0] == c.Origin || acao[0] == "*") {
			o.Omit = "ok"
		}
		o.Include = o.Omit
	default:
		o.ACAO = strings.Join(resp.Header.Values("Access-Control-Allow-Origin"), ", ")
	}
	o.Vary = varySet(resp.Header)
	for k, v := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") && len(v) > 1 {
			o.Duplicates = append(o.Duplicates, k)
		}
	}
	slices.Sort(o.Duplicates)
	if s, ok := SeenAnywhere(id); ok {
		o.Reached, o.Path, o.Upstream = true, s.Path, s.Upstream
	}
	return o, nil
}

func validOrigin(o string) bool {
	_, err := fetch.Chromium.Classify(fetch.Request{URL: "http://x.test/", Origin: o})
	return err == nil
}

func hostOnly(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

func verdict(f *fetch.Failure) string {
	if f == nil {
		return "ok"
	}
	return string(f.ID)
}

func filter(names []string) []string {
	var out []string
	for _, n := range names {
		if slices.Contains(interesting, n) {
			out = append(out, n)
		}
	}
	return out
}

func varySet(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Vary") {
		for e := range strings.SplitSeq(line, ",") {
			e = strings.ToLower(strings.TrimSpace(e))
			if e != "" && !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	slices.Sort(out)
	return out
}
