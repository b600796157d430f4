package exportcheck

import (
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/origin"
)

// probeOrigins returns the origins to try against a policy's exported
// origin matching: each allowed origin and, around it, the attacks of the
// shared battery (suffix and prefix, apex, deeper subdomains, the http twin,
// other ports, upper case, null).
func probeOrigins(p *export.Policy) []string {
	out := []string{"null", "https://evil.example", "http://localhost", "http://localhost:5173", "http://127.0.0.1:3000", "http://localhost.evil.net"}
	add := func(scheme, host, port string) {
		o := scheme + "://" + host + port
		out = append(out, o, o+".evil.net", scheme+"://evil"+host+port, scheme+"://evil-"+host+port,
			strings.ToUpper(o), twin(scheme)+"://"+host+port, o+":8443", scheme+"://"+host+".", o+"/")
	}
	for _, e := range p.Exact {
		pat, _ := origin.ParsePattern(e)
		add(pat.Scheme, pat.Host, portOf(pat))
	}
	for _, pat := range p.Patterns {
		port := portOf(pat)
		if pat.Port == origin.AnyPort {
			port = ":5173"
			add(pat.Scheme, pat.Host, "")
		}
		add(pat.Scheme, pat.Host, port)
		if pat.Subdomains {
			add(pat.Scheme, "a."+pat.Host, port)
			add(pat.Scheme, "a.b."+pat.Host, port)
			add(pat.Scheme, "x"+pat.Host, port)
			add(pat.Scheme, "a_b."+pat.Host, port)
		}
	}
	return out
}

func twin(scheme string) string {
	if scheme == "https" {
		return "http"
	}
	return "https"
}

func portOf(p origin.Pattern) string {
	if p.Port > 0 {
		return ":" + strconv.Itoa(p.Port)
	}
	return ""
}

// policyAllows is the policy's own verdict on the origin o, as the cors
// middleware decides (internal/origin's matcher).
func policyAllows(p *export.Policy, o string) bool {
	if p.AnyOrigin {
		return true
	}
	ro, ok := origin.Parse(o)
	if !ok {
		return false
	}
	for _, e := range p.Exact {
		if e == o {
			return true
		}
	}
	for _, pat := range p.Patterns {
		if pat.Matches(ro) {
			return true
		}
	}
	return false
}
