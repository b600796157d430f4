package export

import (
	"io"
	"slices"
	"strings"
)

// GCS: the cors list of `gcloud storage buckets update gs://B
// --cors-file=FILE` (https://cloud.google.com/storage/docs/cors-configurations).
// It applies to the XML API endpoints, not to storage.cloud.google.com
// (authenticated browser downloads), which allows no CORS at all.
var gcsTarget = &Target{
	Name:    "gcs",
	Summary: "the Google Cloud Storage bucket CORS file (gcloud storage buckets update gs://BUCKET --cors-file=FILE)",
	Render:  renderGCS,
	Caps: func() Caps {
		c := bucketCaps("bucket")
		c.Subdomains = No("GCS documents no subdomain pattern; the entry is left out")
		c.AnyPort = No("GCS documents no port pattern; the entry is left out")
		c.Credentials = No("GCS has no credentials field")
		c.NoCredentials = Yes
		c.AnyMethod = Approx(`method "*" means any method to GCS; its answer is not verified`)
		c.AnyHeader = Approx(`responseHeader is one list for allowed and exposed headers; "*" there is not verified`)
		c.ExposeAll = Approx(`responseHeader "*" is not verified`)
		c.MaxAgeZero = Approx("maxAgeSeconds 0 is written; GCS's answer to it is not verified")
		c.MaxAgeAbsent = Approx("GCS's answer without maxAgeSeconds is not verified")
		c.RefusedPreflight = Approx("GCS's answer to a refused preflight is not verified")
		c.Vary = Approx("GCS's Vary is not verified")
		c.ErrorResponses = Approx("whether GCS's error responses carry CORS is not verified")
		c.Extra = gcsExtra
		return c
	}(),
}

type gcsRule struct {
	Origin         []string `json:"origin"`
	Method         []string `json:"method"`
	ResponseHeader []string `json:"responseHeader,omitempty"`
	MaxAgeSeconds  *int     `json:"maxAgeSeconds,omitempty"`
}

func renderGCS(pl *Plan, w io.Writer) error {
	rules := []gcsRule{}
	for _, p := range bucketPolicies(pl) {
		r := gcsRule{Origin: slices.Clone(p.Exact), MaxAgeSeconds: maxAgeSeconds(p)}
		if p.AnyOrigin {
			r.Origin = append([]string{"*"}, r.Origin...)
		}
		r.Method = append(slices.Clone(safelisted), p.Methods...)
		if p.AnyMethod {
			r.Method = []string{"*"}
		}
		r.Method = slices.Compact(r.Method)
		// One list for both: what a preflight may ask and what scripts
		// may read.
		for _, h := range append(slices.Clone(p.Headers), p.ExposeList...) {
			if !slices.ContainsFunc(r.ResponseHeader, func(x string) bool { return strings.EqualFold(x, h) }) {
				r.ResponseHeader = append(r.ResponseHeader, h)
			}
		}
		if len(r.Origin) == 0 {
			continue // every origin was a pattern GCS cannot say
		}
		rules = append(rules, r)
	}
	return writeJSON(w, rules)
}

func gcsExtra(pl *Plan) []Difference {
	var diffs []Difference
	for _, p := range pl.Policies {
		if len(p.Headers) > 0 || len(p.ExposeList) > 0 {
			diffs = append(diffs, policyDiff(pl, p, "allow_headers", strings.Join(append(slices.Clone(p.Headers), p.ExposeList...), ", "), Approximate,
				"GCS has one responseHeader list for the allowed and the exposed headers: each is both"))
		}
	}
	return diffs
}
