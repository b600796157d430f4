package export

import (
	"io"
	"slices"
	"strings"
)

// Target is one output format of crossgate export.
type Target struct {
	Name    string // the --format value
	Summary string // what the output is, for --help and the README
	Caps    Caps
	// Render writes the plan in the target's syntax. It is called only
	// when the plan passed the target's Check (or the caller allowed the
	// approximation), and with CheckPlan's error nil.
	Render func(*Plan, io.Writer) error
	// Comment is the line-comment prefix of the format ("# ", "// "), used
	// for the differences at the top of an approximate export; "" for a
	// format without comments (JSON), whose Render may carry
	// Plan.Differences in its own way and whose differences the command
	// also prints on standard error.
	Comment string
	// NeedsUpstream is set for targets that proxy to upstreams: the plan's
	// upstreams must then be URLs ([Plan.CheckUpstreams]).
	NeedsUpstream bool
	// CheckPlan, when set, returns an error for a plan the target cannot
	// render at all (a usage error, not a difference).
	CheckPlan func(*Plan) error
}

// targets is the table of every format. One row per target; each row's
// variable is in the target's own file (nginx.go, apache.go...).
//
// To add a target: a file with its *Target (Caps from ProxyCaps() or
// written out whole: a Cap left at its zero value means Unsupported, and
// TestTargetCaps wants a Note for every Cap that is not Exact); Render
// reads only the Plan (Policies with their joined header values, Routes or
// Servers/Locations, the regexes of regex.go); a row here; golden files
// with go test ./internal/export -run TestGolden -update (extension() in
// golden_test.go picks the file's extension); the README table with
// go test ./internal/export -run TestReadmeTargets -update. A live test
// starts the server and calls exporttest.Run and exporttest.AuditExport.
var targets = []*Target{
	// h/export's targets (nginx, apache, haproxy, caddy, caddy-json).
	nginxTarget,
	apacheTarget,
	haproxyTarget,
	caddyTarget,
	caddyJSONTarget,

	// The h/export2 targets (envoy, traefik, traefik-crd, gateway-api,
	// ingress-nginx, s3, gcs, azure-blob, express, django, flask, spring)
	// go below this line.
	envoyTarget,
	gatewayAPITarget,
	ingressNginxTarget,
	traefikTarget,
	traefikCRDTarget,
	s3Target,
	gcsTarget,
	azureBlobTarget,
	expressTarget,
	flaskTarget,
	djangoTarget,
	springTarget,
}

// Lookup returns the target named name.
func Lookup(name string) (*Target, bool) {
	for _, t := range targets {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Targets returns every target, sorted by name.
func Targets() []*Target {
	ts := slices.Clone(targets)
	slices.SortFunc(ts, func(a, b *Target) int { return strings.Compare(a.Name, b.Name) })
	return ts
}

// Names returns the names of every target, sorted.
func Names() []string {
	var names []string
	for _, t := range Targets() {
		names = append(names, t.Name)
	}
	return names
}

// Validate returns the error that stops the target from rendering pl at
// all: an upstream it cannot reach, or the target's own CheckPlan.
func (t *Target) Validate(pl *Plan) error {
	if t.NeedsUpstream {
		if err := pl.CheckUpstreams(); err != nil {
			return err
		}
	}
	if t.CheckPlan != nil {
		return t.CheckPlan(pl)
	}
	return nil
}
