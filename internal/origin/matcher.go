package origin

import "strings"

// A Matcher holds a set of patterns and tells whether a request origin is in
// any of them. Lookups cost a map probe for exact origins and one map probe
// per candidate parent domain for wildcard patterns, whatever the number of
// patterns, and never allocate. A Matcher is immutable once built and safe
// for concurrent use.
type Matcher struct {
	exact map[string]int // serialized origins, matched byte for byte
	// few holds the exact origins when there are at most maxFew of them:
	// comparing a handful of strings, most of which differ in length, is
	// cheaper than hashing the request's origin.
	few    [maxFew]string
	nfew   int  // the number of origins in few
	useFew bool // few holds every exact origin
	// byHost indexes the wildcard patterns by host: for a port wildcard the
	// host itself, for a subdomain pattern the parent domain.
	byHost map[string][]Pattern
	// maxLabels is the most labels any subdomain pattern's domain has: no
	// longer suffix of a request host can match.
	maxLabels int
	anyPort   bool // some pattern has a port wildcard but no subdomain wildcard
}

// NewMatcher returns a Matcher for the given patterns.
func NewMatcher(patterns []Pattern) *Matcher {
	exact := make(map[string]int, len(patterns))
	var wild []Pattern
	for i, p := range patterns {
		if p.IsExact() {
			exact[p.String()] = i
		} else {
			wild = append(wild, p)
		}
	}
	return NewMatcherFrom(exact, wild)
}

// NewMatcherFrom returns a Matcher for the exact origins that are the keys
// of exact, in their serialized form, and for the wildcard patterns wild.
// The values of exact are the caller's. The Matcher keeps exact: the caller
// must not change it afterwards.
func NewMatcherFrom(exact map[string]int, wild []Pattern) *Matcher {
	m := &Matcher{exact: exact}
	if len(wild) > 0 {
		m.byHost = make(map[string][]Pattern)
	}
	for _, p := range wild {
		if p.IsExact() {
			m.exact[p.String()] = -1
			continue
		}
		m.byHost[p.Host] = append(m.byHost[p.Host], p)
		if p.Subdomains {
			m.maxLabels = max(m.maxLabels, strings.Count(p.Host, ".")+1)
		} else {
			m.anyPort = true
		}
	}
	if len(m.exact) <= maxFew {
		m.useFew = true
		for o := range m.exact {
			m.few[m.nfew] = o
			m.nfew++
		}
	}
	return m
}

// maxFew is the most exact origins a Matcher compares one by one rather
// than look up in its map.
const maxFew = 8

// Match reports whether origin, the raw value of an Origin header, is in
// the set. A malformed origin is in no set.
func (m *Matcher) Match(origin string) bool {
	if m.useFew {
		for _, o := range m.few[:m.nfew] {
			if o == origin {
				return true
			}
		}
	} else if _, ok := m.exact[origin]; ok {
		return true
	}
	if len(m.byHost) == 0 {
		return false
	}
	_, ok := m.MatchWildcard(origin)
	return ok
}

// MatchWildcard returns the wildcard pattern of the set that origin, the
// raw value of an Origin header, matches, if any.
func (m *Matcher) MatchWildcard(origin string) (Pattern, bool) {
	if len(m.byHost) == 0 {
		return Pattern{}, false
	}
	o, ok := Parse(origin)
	if !ok {
		return Pattern{}, false
	}
	if m.anyPort {
		for _, p := range m.byHost[o.Host] {
			if !p.Subdomains && p.Matches(o) {
				return p, true
			}
		}
	}
	// Walk the parent domains from the shortest (the last label) to the
	// longest that some pattern could name. A subdomain pattern's domain
	// never equals the host itself: "*." needs at least one more label.
	host := o.Host
	labels := 0
	for i := len(host) - 1; i > 0 && labels < m.maxLabels; i-- {
		if host[i] != '.' {
			continue
		}
		labels++
		for _, p := range m.byHost[host[i+1:]] {
			if p.Subdomains && p.Matches(o) {
				return p, true
			}
		}
	}
	return Pattern{}, false
}
