package audit

// ProbeOrigins returns the Origin header of every probe of t, in order,
// without policy.
func ProbeOrigins(t *Target) []string {
	var out []string
	for _, p := range probes(t, nil) {
		out = append(out, p.Origin)
	}
	return out
}

// ClassOrigins returns the attacker origins of class c for t.
func ClassOrigins(t *Target, c Class) []string {
	var out []string
	for _, op := range originProbes(t) {
		if op.class == c {
			out = append(out, op.origin)
		}
	}
	return out
}

// OneHost makes every target of o share one rate limit, as the endpoints
// of one API host would.
func OneHost(o *Options) { o.oneHost = true }
