package exportcheck

import (
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/origin"
)

// validProbes are the probe origins a browser could send: the buckets'
// globs also match strings no browser serialises as an origin.
func validProbes(p *export.Policy) []string {
	var out []string
	for _, o := range probeOrigins(p) {
		if _, ok := origin.Parse(o); ok {
			out = append(out, o)
		}
	}
	return out
}

// ruleOrder is the policies in the order the bucket rules are written:
// without "*" first, then with, and only those with an origin the bucket
// can say (keep).
func ruleOrder(pl *export.Plan, keep func(*export.Policy) bool) []*export.Policy {
	var first, last []*export.Policy
	for _, p := range pl.Policies {
		switch {
		case !keep(p):
		case p.AnyOrigin:
			last = append(last, p)
		default:
			first = append(first, p)
		}
	}
	return append(first, last...)
}

// droppedAllows reports whether o is allowed by one of p's patterns that
// the target leaves out (a documented difference).
func droppedAllows(p *export.Policy, o string, dropped func(origin.Pattern) bool) bool {
	ro, ok := origin.Parse(o)
	return ok && slices.ContainsFunc(p.Patterns, func(pat origin.Pattern) bool { return dropped(pat) && pat.Matches(ro) })
}

func anyPortOnly(p *export.Policy) bool {
	if p.AnyOrigin || len(p.Exact) > 0 {
		return false
	}
	return !slices.ContainsFunc(p.Patterns, func(pat origin.Pattern) bool { return pat.Port != origin.AnyPort })
}

func TestS3Examples(t *testing.T) {
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "s3")
			rules, err := S3(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			order := ruleOrder(pl, func(*export.Policy) bool { return true })
			if len(rules) != len(order) {
				t.Fatalf("%d rules for %d policies", len(rules), len(order))
			}
			for i, r := range rules {
				p := order[i]
				if r.ID != p.Name {
					t.Errorf("rule %d is %q, want policy %q", i, r.ID, p.Name)
				}
				for _, o := range validProbes(p) {
					got := slices.ContainsFunc(r.AllowedOrigins, func(a string) bool { return globMatch(a, o) })
					want := policyAllows(p, o)
					dropped := droppedAllows(p, o, func(pat origin.Pattern) bool { return pat.Subdomains && pat.Port == origin.AnyPort })
					if got != want && !(want && !got && dropped) {
						t.Errorf("rule %q: origin %q: S3 allows %v, the policy %v", r.ID, o, got, want)
					}
				}
				for _, m := range []string{"GET", "HEAD", "POST"} {
					if !slices.Contains(r.AllowedMethods, m) {
						t.Errorf("rule %q: %s missing: S3 would refuse simple requests crossgate allows", r.ID, m)
					}
				}
			}
		})
	}
}

func TestGCSExamples(t *testing.T) {
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "gcs")
			list, err := GCS(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			order := ruleOrder(pl, func(p *export.Policy) bool { return p.AnyOrigin || len(p.Exact) > 0 })
			if len(list) != len(order) {
				t.Fatalf("%d entries for %d policies", len(list), len(order))
			}
			for i, r := range list {
				p := order[i]
				for _, o := range validProbes(p) {
					got := slices.Contains(r.Origin, o) || slices.Contains(r.Origin, "*")
					// GCS takes exact origins only: an origin that only a
					// pattern allows may be missing; any other may not.
					if want := policyAllows(p, o); got && !want || !got && want && !droppedAllows(p, o, func(origin.Pattern) bool { return true }) {
						t.Errorf("entry %d (%s): origin %q: GCS allows %v, the policy %v", i, p.Name, o, got, want)
					}
				}
			}
		})
	}
}

func TestAzureBlobExamples(t *testing.T) {
	for _, file := range examples(t) {
		t.Run(file, func(t *testing.T) {
			out, pl := render(t, file, "azure-blob")
			rules, err := Azure(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			order := ruleOrder(pl, func(p *export.Policy) bool { return !anyPortOnly(p) })
			if len(rules) != len(order) {
				t.Fatalf("%d rules for %d policies", len(rules), len(order))
			}
			for i, r := range rules {
				p := order[i]
				for _, o := range validProbes(p) {
					got := slices.ContainsFunc(r.AllowedOrigins, func(a string) bool { return globMatch(a, o) })
					want := policyAllows(p, o)
					anyPort := droppedAllows(p, o, func(pat origin.Pattern) bool { return pat.Port == origin.AnyPort })
					if got && !want || !got && want && !anyPort {
						t.Errorf("rule %d (%s): origin %q: Azure allows %v, the policy %v", i, p.Name, o, got, want)
					}
				}
			}
		})
	}
}

func TestBucketsRefuse(t *testing.T) {
	s3, _ := render(t, "../examples/crossgate.yaml", "s3")
	gcs, _ := render(t, "../examples/crossgate.yaml", "gcs")
	az, _ := render(t, "../examples/crossgate.yaml", "azure-blob")
	for name, tc := range map[string]struct {
		check         func([]byte) error
		src, old, new string
		want          string
	}{
		"s3 lone wildcard": {func(b []byte) error { _, err := S3(b); return err }, string(s3), `"https://app.example.com"`, `"http*"`, "wildcard"},
		"s3 PATCH":         {func(b []byte) error { _, err := S3(b); return err }, string(s3), `"DELETE"`, `"PATCH"`, "PATCH"},
		"s3 unknown key":   {func(b []byte) error { _, err := S3(b); return err }, string(s3), `"MaxAgeSeconds"`, `"MaxAge"`, "MaxAge"},
		"s3 two stars":     {func(b []byte) error { _, err := S3(b); return err }, string(s3), `"https://*.preview.example.com"`, `"https://*.preview.example.com:*"`, "more than one"},
		"gcs pattern":      {func(b []byte) error { _, err := GCS(b); return err }, string(gcs), `"https://app.example.com"`, `"https://*.example.com"`, "no pattern"},
		"gcs unknown key":  {func(b []byte) error { _, err := GCS(b); return err }, string(gcs), `"responseHeader"`, `"responseHeaders"`, "responseHeaders"},
		"azure no max age": {func(b []byte) error { _, err := Azure(b); return err }, string(az), `"maxAgeInSeconds": 7200`, `"maxAgeInSecond": 7200`, "maxAgeInSecond"},
		"azure method":     {func(b []byte) error { _, err := Azure(b); return err }, string(az), `"DELETE"`, `"PURGE"`, "PURGE"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(tc.src, tc.old) {
				t.Fatalf("the export has no %q", tc.old)
			}
			err := tc.check([]byte(strings.Replace(tc.src, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
	// Six rules are one too many for Azure.
	var many strings.Builder
	many.WriteString("policies:\n")
	for i := range 6 {
		many.WriteString("  - name: p" + string(rune('0'+i)) + "\n    match: {paths: [/p" + string(rune('0'+i)) + "/]}\n    allow_origins: [https://a" + string(rune('0'+i)) + ".example.com]\n")
	}
	out, _ := renderSrc(t, "six.yaml", []byte(many.String()), "azure-blob")
	if _, err := Azure(out); err == nil || !strings.Contains(err.Error(), "at most 5") {
		t.Errorf("six rules: got %v", err)
	}
}
