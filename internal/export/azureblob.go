package export

import (
	"io"
	"slices"
	"strconv"

	"github.com/crossgate/crossgate/internal/origin"
)

var azureMethods = []string{"DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH"}

// Azure Blob Storage: the Blob service's cors property as ARM takes it
// (`az rest --method put --url .../blobServices/default?api-version=2023-05-01
// --body @FILE`; the data-plane Set Blob Service Properties call takes the
// same rules as XML)
// (https://learn.microsoft.com/en-us/rest/api/storageservices/cross-origin-resource-sharing--cors--support-for-the-azure-storage-services).
// Up to five rules per service; the first that matches wins; matched
// non-"*" rules get Access-Control-Allow-Credentials: true.
var azureBlobTarget = &Target{
	Name:    "azure-blob",
	Summary: "the Azure Blob service CORS rules (ARM blobServices properties, for az rest --body @FILE)",
	Render:  renderAzureBlob,
	Caps: func() Caps {
		c := bucketCaps("Blob service")
		c.Subdomains = Yes
		c.AnyPort = No("Azure documents no port wildcard in AllowedOrigins; the entry is left out")
		c.Credentials = Yes
		c.NoCredentials = No("Azure sends Access-Control-Allow-Credentials: true to every origin a non-\"*\" rule allows, so credentialed reads are allowed too")
		c.AnyMethod = No(`AllowedMethods takes only DELETE, GET, HEAD, MERGE, POST, OPTIONS, PUT and PATCH, not "*"`)
		c.AnyHeader = Approx(`AllowedHeaders "*" allows every requested header, Authorization included`)
		c.ExposeAll = Approx(`ExposedHeaders "*" is not verified`)
		c.MaxAgeZero = Approx("MaxAgeInSeconds 0 is written; Azure's answer to it is not verified")
		c.MaxAgeAbsent = Approx("MaxAgeInSeconds is required; 5 is written, the browsers' own default")
		c.RefusedPreflight = Yes // 403
		c.Vary = Approx("Azure sends Vary: Origin on GET and HEAD answers to requests with an Origin only: none on preflights, and (Azurite) none to requests without Origin")
		c.ErrorResponses = Yes
		c.Extra = azureExtra
		return c
	}(),
}

type azureRule struct {
	AllowedOrigins  []string `json:"allowedOrigins"`
	AllowedMethods  []string `json:"allowedMethods"`
	AllowedHeaders  []string `json:"allowedHeaders"`
	ExposedHeaders  []string `json:"exposedHeaders"`
	MaxAgeInSeconds int      `json:"maxAgeInSeconds"`
}

// azureRules is the rules of the plan; a policy whose every origin is a
// port pattern gives none.
func azureRules(pl *Plan) []azureRule {
	rules := []azureRule{}
	for _, p := range bucketPolicies(pl) {
		r := azureRule{AllowedOrigins: slices.Clone(p.Exact), AllowedHeaders: slices.Clone(p.Headers), ExposedHeaders: slices.Clone(p.ExposeList), MaxAgeInSeconds: 5}
		if p.AnyOrigin {
			r.AllowedOrigins = append([]string{"*"}, r.AllowedOrigins...)
		}
		for _, pat := range p.Patterns {
			if pat.Port != origin.AnyPort {
				r.AllowedOrigins = append(r.AllowedOrigins, pat.String())
			}
		}
		if len(r.AllowedOrigins) == 0 {
			continue
		}
		r.AllowedMethods, _ = bucketMethods(p, azureMethods)
		if p.AnyHeader {
			r.AllowedHeaders = []string{"*"}
		}
		if p.ExposeHeaders == "*" {
			r.ExposedHeaders = []string{"*"}
		}
		if p.HasMaxAge {
			r.MaxAgeInSeconds, _ = strconv.Atoi(p.MaxAge)
		}
		if r.AllowedHeaders == nil {
			r.AllowedHeaders = []string{}
		}
		if r.ExposedHeaders == nil {
			r.ExposedHeaders = []string{}
		}
		rules = append(rules, r)
	}
	return rules
}

func renderAzureBlob(pl *Plan, w io.Writer) error {
	var body struct {
		Properties struct {
			Cors struct {
				CorsRules []azureRule `json:"corsRules"`
			} `json:"cors"`
		} `json:"properties"`
	}
	body.Properties.Cors.CorsRules = azureRules(pl)
	return writeJSON(w, body)
}

func azureExtra(pl *Plan) []Difference {
	var diffs []Difference
	for _, p := range pl.Policies {
		_, methods := bucketMethods(p, azureMethods)
		for _, m := range methods {
			diffs = append(diffs, policyDiff(pl, p, "allow_methods", m, Unsupported,
				"AllowedMethods takes only DELETE, GET, HEAD, MERGE, POST, OPTIONS, PUT and PATCH; the method is left out"))
		}
	}
	if n := len(azureRules(pl)); n > 5 {
		diffs = append(diffs, Difference{Field: "policies", Value: strconv.Itoa(n), Level: Unsupported, Limit: "Azure takes at most 5 CORS rules per service"})
	}
	return diffs
}
