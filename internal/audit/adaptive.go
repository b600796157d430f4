package audit

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// adaptive sends the probes of an adaptive audit, the default: it learns
// the server's origin logic from a first round and sends the rest of a
// family only where an answer could hide a finding.
//
//  1. The target's own origin, an arbitrary origin, null and no Origin
//     on a simple request, the own and the arbitrary origin on a
//     preflight, and the made-up method and header preflights.
//  2. Unless the arbitrary origin is reflected (which implies every
//     narrower class, see analyze), the leads of each family on a simple
//     request. A family whose leads are all refused exactly as the
//     arbitrary origin is stops there; one whose leads get another
//     answer that is not a grant (another status, Access-Control-Allow-
//     Credentials alone, a fixed value ...) is tried in full. A granted
//     lead is the finding: the rest of its family would only add to the
//     list of origins (--thorough lists them all).
//  3. The preflight battery (null and every family's leads on a
//     preflight, CR/LF on a preflight) where the preflight's origin
//     decision differs from the simple request's for the own or the
//     arbitrary origin and the preflight does not reflect any origin.
//  4. Checks of their own, each where it can find something: the
//     Private Network Access preflight where the arbitrary origin's
//     preflight passes; CR/LF after a foreign origin where the server
//     writes a foreign origin into some header (all four encodings when
//     it writes back the text of the first, or leaves the first out of a
//     header other than Access-Control-Allow-Origin that echoes foreign
//     origins); CR/LF after the allowed origin where it is allowed, and,
//     where that is decoded and written back, the probes that decode to
//     something else ("%60", "+"); CR/LF in
//     Access-Control-Request-Headers where those are echoed.
//
// send returns false once the audit of the target stops.
func adaptive(t *Target, send func(Probe) (probeResult, bool)) {
	reqs := t.preflights()
	pm, ph := reqs[0].Method, reqs[0].Header
	own := t.Origin
	ops := originProbes(t)
	evil, null := ops[0], ops[1]
	simple := func(op originProbe) Probe {
		return Probe{Class: op.class, Kind: Simple, Origin: op.origin, Method: http.MethodGet}
	}
	preflight := func(op originProbe) Probe {
		return Probe{Class: op.class, Kind: Preflight, Origin: op.origin, Method: pm, Header: ph.Clone()}
	}
	var all []probeResult
	do := func(p Probe) probeResult {
		r, ok := send(p)
		if ok {
			all = append(all, r)
		}
		return r
	}

	// 1. The first round.
	sOwn := do(Probe{Kind: Simple, Origin: own, Method: http.MethodGet, role: roleOwn})
	pOwn := do(Probe{Kind: Preflight, Origin: own, Method: pm, Header: ph.Clone(), role: roleOwn})
	for _, r := range reqs[1:] {
		do(Probe{Kind: Preflight, Origin: own, Method: r.Method, Header: r.Header.Clone(), role: roleOwn})
	}
	// The real client's origins: the first one allowed is the origin the
	// CR/LF-after-an-allowed-origin probe is built on.
	allowed := ""
	if reflects(&sOwn) {
		allowed = own
	}
	for _, o := range t.trusted()[1:] {
		r := do(Probe{Kind: Simple, Origin: o, Method: http.MethodGet, role: roleOwn})
		do(Probe{Kind: Preflight, Origin: o, Method: pm, Header: ph.Clone(), role: roleOwn})
		if allowed == "" && reflects(&r) {
			allowed = o
		}
	}
	do(Probe{Kind: Preflight, Origin: own, Method: probeMethod, role: roleAnyMethod})
	anyHeader := do(Probe{Kind: Preflight, Origin: own, Method: http.MethodGet, Header: http.Header{probeHeader: {"1"}}, role: roleAnyHeader})
	sEvil := do(simple(evil))
	pEvil := do(preflight(evil))
	do(simple(null))
	do(Probe{Kind: NoOrigin, Method: http.MethodGet, role: roleNoOrigin})
	reflectS, reflectP := reflects(&sEvil), reflects(&pEvil)

	// 2. The families, on simple requests.
	if !reflectS {
		base := decision(&sEvil)
		for _, fam := range families(ops[2:]) {
			expand := false
			for _, op := range fam {
				if op.lead {
					r := do(simple(op))
					expand = expand || !reflects(&r) && decision(&r) != base
				}
			}
			if expand {
				for _, op := range fam {
					if !op.lead {
						do(simple(op))
					}
				}
			}
		}
	}

	// 3. The preflight battery.
	battery := !reflectP && (differs(&pEvil, &sEvil) || differs(&pOwn, &sOwn))
	if battery {
		for _, op := range ops[1:] {
			if op.lead {
				do(preflight(op))
			}
		}
	}

	// 4. Checks of their own.
	if pEvil.level > NoRead {
		do(Probe{Class: PrivateNetworkAllowed, Kind: Preflight, Origin: evil.origin, Method: http.MethodGet,
			PrivateNetwork: true, role: rolePrivateNetwork})
	}
	if reflectS || reflectP || echoesForeign(all, own) {
		kinds := []Kind{Simple}
		if reflectP || battery {
			kinds = append(kinds, Preflight)
		}
		for _, k := range kinds {
			forms := crlfProbes(t, k)
			r := do(forms[0])
			// The other encodings where the first was decoded and written
			// back, or where the server, which echoes foreign origins,
			// left this one out: it filters, and may miss a lone CR or LF.
			if r.resp != nil && (echoesText(r.resp.Header, injectedName) || echoesForeignOutside(all, own) && !echoesText(r.resp.Header, AttackerDomain)) {
				for _, p := range forms[1:] {
					do(p)
				}
			}
		}
	}
	if allowed != "" {
		r := do(Probe{Class: CRLFAllowedOrigin, Kind: Simple, Origin: crlfOrigin(allowed), Method: http.MethodGet, role: roleCRLFAllowed})
		// A server that decodes Origin before writing it back answers
		// the probes of the other families that decode to something else
		// ("%60", and "+" as a form decoder reads it) with what it decoded
		// (invalid-allow-origin): send them.
		if r.resp != nil && r.resp.Header.Get(injectedName) != "" && !reflectS {
			for _, op := range ops[2:] {
				if !op.lead && strings.ContainsAny(op.origin, "%+") {
					do(simple(op))
				}
			}
		}
	}
	if reflects(&pOwn) && battery {
		do(Probe{Class: CRLFAllowedOrigin, Kind: Preflight, Origin: crlfOrigin(own), Method: pm, Header: ph.Clone(), role: roleCRLFAllowed})
	}
	if anyHeader.resp != nil {
		if acah, _ := tokens(anyHeader.resp.Header, "Access-Control-Allow-Headers"); containsFold(acah, probeHeader) {
			do(Probe{Class: CRLFInjection, Kind: Preflight, Origin: own, Method: pm, Header: ph.Clone(),
				ACRH: "content-type%0d%0a" + injectedName + ":%20crlf", role: roleCRLF})
		}
	}
}

// families splits origin probes into runs of one class, in order.
func families(ops []originProbe) [][]originProbe {
	var out [][]originProbe
	for i := 0; i < len(ops); {
		j := i + 1
		for j < len(ops) && ops[j].class == ops[i].class {
			j++
		}
		out = append(out, ops[i:j])
		i = j
	}
	return out
}

// crlfProbes returns the CR/LF-after-a-foreign-origin probes of kind k,
// the percent-encoded CR LF first.
func crlfProbes(t *Target, k Kind) []Probe {
	req := t.preflights()[0]
	pm, ph := req.Method, req.Header
	evil := t.URL.Scheme + "://" + AttackerDomain
	var ps []Probe
	for _, f := range crlfForms {
		o := evil + f + injectedName + ":" + "%20crlf"
		if !strings.HasPrefix(f, "%") {
			o = evil + f + injectedName + ": crlf"
		}
		p := Probe{Class: CRLFInjection, Kind: k, Origin: o, Method: http.MethodGet, role: roleCRLF}
		if k == Preflight {
			p.Method, p.Header = pm, ph.Clone()
		}
		ps = append(ps, p)
	}
	return ps
}

// reflects reports whether r's response allows its own probe origin, by
// name, with a read.
func reflects(r *probeResult) bool {
	if r.resp == nil || r.level == NoRead {
		return false
	}
	acao := r.resp.Header.Values("Access-Control-Allow-Origin")
	return len(acao) == 1 && acao[0] == r.probe.Origin
}

// decision renders what a response says about its probe's origin: the
// status, Access-Control-Allow-Origin (the probe origin written <origin>)
// and Access-Control-Allow-Credentials. Two probes with the same decision
// were treated alike.
func decision(r *probeResult) string {
	if r.resp == nil {
		return "no response"
	}
	acao := slices.Clone(r.resp.Header.Values("Access-Control-Allow-Origin"))
	for i, v := range acao {
		if v == r.probe.Origin {
			acao[i] = "<origin>"
		}
	}
	return fmt.Sprintf("%d %q %q", r.resp.Status, acao, r.resp.Header.Values("Access-Control-Allow-Credentials"))
}

// differs reports whether the preflight p decides about its origin
// otherwise than the simple request s from the same origin, and allows
// something (a preflight refused where the simple request is allowed
// opens nothing more).
func differs(p, s *probeResult) bool {
	if p.resp == nil || s.resp == nil || len(p.resp.Header.Values("Access-Control-Allow-Origin")) == 0 {
		return false
	}
	pd, sd := decision(p), decision(s)
	// The status of a preflight is checked on its own (preflight-failed).
	_, pd, _ = strings.Cut(pd, " ")
	_, sd, _ = strings.Cut(sd, " ")
	return pd != sd
}

// echoesForeign reports whether a response to a foreign origin writes that
// origin into one of its headers: only then can a CR/LF after a foreign
// origin reach the response.
func echoesForeign(rs []probeResult, own string) bool {
	for i := range rs {
		r := &rs[i]
		if r.resp != nil && r.probe.role == roleOrigin && r.probe.Origin != own && r.probe.Origin != "null" && echoesText(r.resp.Header, r.probe.Origin) {
			return true
		}
	}
	return false
}

// echoesForeignOutside reports whether a response to a foreign origin
// writes that origin into a header other than Access-Control-Allow-Origin
// (a debug or log header, written whatever the origin check decides).
func echoesForeignOutside(rs []probeResult, own string) bool {
	for i := range rs {
		r := &rs[i]
		if r.resp == nil || r.probe.role != roleOrigin || r.probe.Origin == own || r.probe.Origin == "null" {
			continue
		}
		h := r.resp.Header.Clone()
		h.Del("Access-Control-Allow-Origin")
		if echoesText(h, r.probe.Origin) {
			return true
		}
	}
	return false
}

// echoesText reports whether a header value contains text, in any case.
func echoesText(h http.Header, text string) bool {
	text = strings.ToLower(text)
	for _, vs := range h {
		for _, v := range vs {
			if strings.Contains(strings.ToLower(v), text) {
				return true
			}
		}
	}
	return false
}
