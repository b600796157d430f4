package export

import (
	"cmp"
	"slices"
	"strings"
)

// Server is the part of a plan that a server selected by host serves:
// the requests for Host (an exact host, "*.example.com", or "" for every
// host that no other Server names) and the Locations they fall in.
type Server struct {
	// Hosts are the names the server answers: exact host names that share
	// the same locations (merged into one server), or one "*." pattern, or
	// none for the default server.
	Hosts     []string
	Locations []Location // the first that matches a path applies
}

// Wildcard reports whether the server's name is a "*." pattern.
func (s Server) Wildcard() bool { return len(s.Hosts) == 1 && strings.HasPrefix(s.Hosts[0], "*.") }

// Default reports whether s is the default server.
func (s Server) Default() bool { return len(s.Hosts) == 0 }

// Location is a set of paths under one server to which one policy applies,
// or none. Path is either an exact path (Exact) or a prefix that ends in
// "/" and matches every path starting with it, so that any target's prefix
// matching is segment-aware; "/" catches the rest.
type Location struct {
	Path   string
	Exact  bool
	Policy *Policy // nil: no policy applies (no CORS headers, preflights 403)
}

// Matches reports whether the normalised path p is in the location.
func (l Location) Matches(p string) bool {
	if l.Exact {
		return p == l.Path
	}
	return strings.HasPrefix(p, l.Path)
}

// Servers returns the plan's servers: one per host that a route names, in
// route order, then the default server (Host ""). Within a server, the
// locations are ordered longest path first (exact before prefix at the
// same length), so both longest-prefix targets (nginx) and first-match
// targets (Caddy, HAProxy, Apache) pick the policy File.Route picks.
//
// A route path P without a trailing slash becomes the exact location P
// and the prefix P+"/"; a route path P/ becomes the prefix P/ and, since
// servers answer P with a redirect to P/ when only P/ is configured (nginx
// does for proxied prefix locations), also the exact location P with the
// policy that applies to P.
//
// Exact hosts with the same locations share one server (they are disjoint,
// so their order does not matter); wildcard servers stay apart, since
// targets that try servers in order need them longest first.
func (pl *Plan) Servers() []Server {
	var servers []Server
	for _, h := range pl.HostNames() {
		locs := pl.locations(h)
		if !strings.HasPrefix(h, "*.") {
			merged := false
			for i := range servers {
				if !servers[i].Wildcard() && sameLocations(servers[i].Locations, locs) {
					servers[i].Hosts = append(servers[i].Hosts, h)
					merged = true
					break
				}
			}
			if merged {
				continue
			}
		}
		servers = append(servers, Server{Hosts: []string{h}, Locations: locs})
	}
	return append(servers, Server{Locations: pl.locations("")})
}

func sameLocations(a, b []Location) bool {
	return slices.Equal(a, b)
}

func (pl *Plan) locations(host string) []Location {
	routes := pl.RoutesFor(host)
	type key struct {
		path  string
		exact bool
	}
	seen := map[key]bool{{"/", false}: true}
	keys := []key{{"/", false}}
	addKey := func(k key) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, r := range routes {
		switch p := r.Path; {
		case p == "/":
		case strings.HasSuffix(p, "/"):
			addKey(key{p, false})
			addKey(key{strings.TrimSuffix(p, "/"), true})
		default:
			addKey(key{p, true})
			addKey(key{p + "/", false})
		}
	}
	var locs []Location
	for _, k := range keys {
		// A path that stands for the whole location: the exact path, or
		// for a prefix a child segment that no route names.
		probe := k.path
		if !k.exact {
			probe += "\x00"
		}
		loc := Location{Path: k.path, Exact: k.exact}
		for _, r := range routes {
			if PathMatches(r.Path, probe) {
				loc.Policy = r.Policy
				break
			}
		}
		locs = append(locs, loc)
	}
	slices.SortStableFunc(locs, func(a, b Location) int {
		if c := cmp.Compare(len(b.Path), len(a.Path)); c != 0 {
			return c
		}
		switch {
		case a.Exact == b.Exact:
			return 0
		case a.Exact:
			return -1
		}
		return 1
	})
	return locs
}

// ServerFor returns the server that serves host (lower case, no port, no
// trailing dot) as servers that select by name do: an exact name first,
// then the longest matching "*." name, else the default server.
func ServerFor(servers []Server, host string) Server {
	best := -1
	for i, s := range servers {
		switch {
		case s.Wildcard():
			w := s.Hosts[0]
			if len(host) > len(w)-1 && strings.HasSuffix(host, w[1:]) && (best < 0 || len(w) > len(servers[best].Hosts[0])) {
				best = i
			}
		case slices.Contains(s.Hosts, host):
			return s
		}
	}
	if best >= 0 {
		return servers[best]
	}
	return servers[len(servers)-1]
}

// LocationFor returns the first location of s that holds the normalised
// path p; the "/" location holds every path.
func (s Server) LocationFor(p string) Location {
	for _, l := range s.Locations {
		if l.Matches(p) {
			return l
		}
	}
	return Location{Path: "/"}
}
