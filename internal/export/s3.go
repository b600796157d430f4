package export

import (
	"io"
	"slices"
	"strconv"

	"github.com/crossgate/crossgate/internal/origin"
)

var s3Methods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// S3: the CORSConfiguration of `aws s3api put-bucket-cors --bucket B
// --cors-configuration file://FILE`
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CORSRule.html).
// Traps (export-targets.md, S3): S3 sends Access-Control-Allow-Credentials:
// true with every non-"*" match, so an exact origin cannot go without
// credentials; one "*" per origin anywhere, so only "scheme://*.domain" is
// written (a lone wildcard such as "http*" is reflect-any with
// credentials); only five methods.
var s3Target = &Target{
	Name:    "s3",
	Summary: "the AWS S3 bucket CORS configuration (aws s3api put-bucket-cors --cors-configuration file://FILE)",
	Render:  renderS3,
	Caps: func() Caps {
		c := bucketCaps("bucket")
		c.Subdomains = Yes  // "https://*.example.com": "*" spans labels, never the apex
		c.AnyPort = Yes     // "http://localhost" and "http://localhost:*"
		c.Credentials = Yes // with the reflected origin, for non-"*" rules
		c.NoCredentials = No("S3 sends Access-Control-Allow-Credentials: true to every origin a non-\"*\" rule allows, so credentialed reads are allowed too")
		c.AnyMethod = No(`AllowedMethods takes only GET, PUT, POST, DELETE and HEAD, not "*"`)
		c.AnyHeader = Approx(`AllowedHeaders "*" echoes the requested headers, Authorization included`)
		c.ExposeAll = No(`ExposeHeaders takes no "*"`)
		c.MaxAgeZero = Approx("MaxAgeSeconds 0 is written; S3's answer to it is not verified")
		c.MaxAgeAbsent = Yes
		c.RefusedPreflight = Yes // 403
		c.Vary = Approx("S3 sends Vary only on responses that matched a rule, so a cached response to a request without Origin has none (key CDNs on Origin)")
		c.ErrorResponses = Yes
		c.Extra = s3Extra
		return c
	}(),
}

type s3Rule struct {
	ID             string   `json:"ID"`
	AllowedOrigins []string `json:"AllowedOrigins"`
	AllowedMethods []string `json:"AllowedMethods"`
	AllowedHeaders []string `json:"AllowedHeaders,omitempty"`
	ExposeHeaders  []string `json:"ExposeHeaders,omitempty"`
	MaxAgeSeconds  *int     `json:"MaxAgeSeconds,omitempty"`
}

// s3Origins writes each origin with at most one "*": ":*" (any port, or
// none) becomes the origin without a port and the origin with ":*"; a
// pattern with both wildcards cannot be written.
func s3Origins(p *Policy) (out, unsupported []string) {
	if p.AnyOrigin {
		out = append(out, "*")
	}
	out = append(out, p.Exact...)
	for _, pat := range p.Patterns {
		switch {
		case pat.Subdomains && pat.Port == origin.AnyPort:
			unsupported = append(unsupported, pat.String())
		case pat.Port == origin.AnyPort:
			bare := pat
			bare.Port = 0
			out = append(out, bare.String(), pat.String())
		default:
			out = append(out, pat.String())
		}
	}
	return out, unsupported
}

func maxAgeSeconds(p *Policy) *int {
	if !p.HasMaxAge {
		return nil
	}
	n, _ := strconv.Atoi(p.MaxAge)
	return &n
}

func renderS3(pl *Plan, w io.Writer) error {
	var cfg struct {
		CORSRules []s3Rule `json:"CORSRules"`
	}
	for _, p := range bucketPolicies(pl) {
		r := s3Rule{ID: p.Name, MaxAgeSeconds: maxAgeSeconds(p)}
		r.AllowedOrigins, _ = s3Origins(p)
		r.AllowedMethods, _ = bucketMethods(p, s3Methods)
		r.AllowedHeaders = slices.Clone(p.Headers)
		if p.AnyHeader {
			r.AllowedHeaders = []string{"*"}
		}
		if p.ExposeHeaders != "*" {
			r.ExposeHeaders = slices.Clone(p.ExposeList)
		}
		cfg.CORSRules = append(cfg.CORSRules, r)
	}
	return writeJSON(w, cfg)
}

func s3Extra(pl *Plan) []Difference {
	var diffs []Difference
	for _, p := range pl.Policies {
		_, bad := s3Origins(p)
		for _, o := range bad {
			diffs = append(diffs, policyDiff(pl, p, "allow_origins", o, Unsupported,
				`an S3 origin holds at most one "*", so a subdomain pattern cannot also have any port; it is left out`))
		}
		_, methods := bucketMethods(p, s3Methods)
		for _, m := range methods {
			diffs = append(diffs, policyDiff(pl, p, "allow_methods", m, Unsupported,
				"AllowedMethods takes only GET, PUT, POST, DELETE and HEAD; the method is left out"))
		}
	}
	if len(pl.Policies) > 100 {
		diffs = append(diffs, Difference{Field: "policies", Value: strconv.Itoa(len(pl.Policies)), Level: Unsupported, Limit: "S3 takes at most 100 CORS rules"})
	}
	return diffs
}
