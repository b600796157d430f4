package export

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
)

// The storage buckets (s3, gcs, azure-blob) are their own origin: there is
// no upstream to strip, no routing by host or path, one CORS configuration
// for the whole bucket (or Blob service). Each policy becomes one rule, in
// the order of the file; the services take the first rule that matches
// the origin (and, for S3 and Azure, the method and headers).

// bucketCaps are what every bucket shares.
func bucketCaps(service string) Caps {
	return Caps{
		ExactOrigins: Yes, AnyOrigin: Yes,
		MaxAge:            Yes,
		PerHost:           Approx("the configuration applies to the " + service + "'s own host name, whatever match.hosts says"),
		PerPath:           No("the configuration applies to every object of the " + service + ", whatever match.paths says"),
		MultiplePolicies:  Approx("the " + service + " has one configuration: each policy is a rule, in file order, and the first rule that matches the request wins, whatever the path"),
		PerPolicyUpstream: NA("the " + service + " is its own origin"),
		StripUpstream:     NA("the " + service + " is its own origin"),
		KeepUpstreamCORS:  NA("the " + service + " is its own origin"),
		PrivateNetwork:    No("bucket CORS has no private network field"),
		PreflightStatus:   No("the " + service + " answers preflights with 200"),
		ProtectWrites:     No("the " + service + " cannot refuse cross-origin writes by origin: its access control is its own (IAM, SAS, ACLs)"),
		WebSocketNoOrigin: NA("the " + service + " serves no WebSockets"),
		WebSocketOrigin:   NA("the " + service + " serves no WebSockets"),
	}
}

// bucketPolicies returns the policies in the order their rules are
// written: those without "*" first, in file order, then the "*" ones. A
// bucket picks the first rule that matches the origin, whatever the path,
// so a "*" rule first would answer every origin, and the listed origins
// would lose their credentials.
func bucketPolicies(pl *Plan) []*Policy {
	ps := slices.Clone(pl.Policies)
	slices.SortStableFunc(ps, func(a, b *Policy) int {
		switch {
		case a.AnyOrigin == b.AnyOrigin:
			return 0
		case a.AnyOrigin:
			return 1
		}
		return -1
	})
	return ps
}

// writeJSON writes v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// safelisted are the methods a browser sends without asking
// (https://fetch.spec.whatwg.org/#cors-safelisted-method): crossgate lets
// allowed origins use them whatever allow_methods says, while the buckets
// check every request's method against the rule.
var safelisted = []string{"GET", "HEAD", "POST"}

// bucketMethods returns GET, HEAD, POST and the policy's methods that
// the service knows (in known's order), and the policy's methods it does
// not.
func bucketMethods(p *Policy, known []string) (in, out []string) {
	want := append(slices.Clone(safelisted), p.Methods...)
	for _, m := range known {
		if slices.Contains(want, m) {
			in = append(in, m)
		}
	}
	for _, m := range p.Methods {
		if m != "*" && !slices.Contains(known, m) {
			out = append(out, m)
		}
	}
	return in, out
}
