package exportcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The bucket documents are checked by a strict JSON decode (unknown keys
// refused) into structs written from each provider's documented schema,
// then against the provider's documented limits. No emulator here is
// faithful enough to be the judge for S3 or GCS (export-targets.md,
// Table 1); Azure's emulator, Azurite, is driven by the live test.

func strictJSON(src []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the document")
	}
	return nil
}

// S3CORSRule is API_CORSRule
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CORSRule.html), as
// aws s3api put-bucket-cors --cors-configuration takes it.
type S3CORSRule struct {
	ID             string   `json:"ID"`
	AllowedOrigins []string `json:"AllowedOrigins"`
	AllowedMethods []string `json:"AllowedMethods"`
	AllowedHeaders []string `json:"AllowedHeaders"`
	ExposeHeaders  []string `json:"ExposeHeaders"`
	MaxAgeSeconds  *int     `json:"MaxAgeSeconds"`
}

// S3 checks a CORS configuration: at most 100 rules, origins and methods
// required, only GET, PUT, POST, DELETE and HEAD, at most one "*" in an
// origin or an allowed header, none in an exposed header, and no origin
// wildcard other than "*" alone or a "scheme://*." host prefix (a lone
// "http*" reflects every origin with credentials).
func S3(src []byte) ([]S3CORSRule, error) {
	var cfg struct {
		CORSRules []S3CORSRule `json:"CORSRules"`
	}
	if err := strictJSON(src, &cfg); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("s3: "+format, args...)) }
	if n := len(cfg.CORSRules); n == 0 || n > 100 {
		bad("%d CORSRules, want 1 to 100", n)
	}
	for i, r := range cfg.CORSRules {
		if len(r.ID) > 255 {
			bad("rule %d: ID longer than 255", i)
		}
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			bad("rule %d: AllowedOrigins and AllowedMethods are required", i)
		}
		for _, o := range r.AllowedOrigins {
			switch n := strings.Count(o, "*"); {
			case n > 1:
				bad("rule %d: origin %q has more than one *", i, o)
			case n == 1 && o != "*" && !strings.Contains(o, "://*.") && !strings.HasSuffix(o, ":*"):
				bad("rule %d: origin %q: a wildcard that is not a whole subdomain or port matches origins nobody meant", i, o)
			}
		}
		for _, m := range r.AllowedMethods {
			if !slices.Contains([]string{"GET", "PUT", "POST", "DELETE", "HEAD"}, m) {
				bad("rule %d: method %q: only GET, PUT, POST, DELETE and HEAD", i, m)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				bad("rule %d: allowed header %q has more than one *", i, h)
			}
		}
		for _, h := range r.ExposeHeaders {
			if strings.Contains(h, "*") {
				bad("rule %d: exposed header %q: no wildcard", i, h)
			}
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			bad("rule %d: negative MaxAgeSeconds", i)
		}
	}
	return cfg.CORSRules, errors.Join(errs...)
}

// globMatch matches s against a pattern with at most one "*", which
// stands for any run of characters (S3's and Azure's origin wildcard).
func globMatch(pattern, s string) bool {
	i := strings.IndexByte(pattern, '*')
	if i < 0 {
		return pattern == s
	}
	pre, suf := pattern[:i], pattern[i+1:]
	return len(s) >= len(pre)+len(suf) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf)
}

// GCSCORS is one entry of a GCS bucket's cors list
// (https://cloud.google.com/storage/docs/json_api/v1/buckets, cors[]).
type GCSCORS struct {
	Origin         []string `json:"origin"`
	Method         []string `json:"method"`
	ResponseHeader []string `json:"responseHeader"`
	MaxAgeSeconds  *int     `json:"maxAgeSeconds"`
}

// GCS checks a cors file: a list, each entry with origins and methods,
// origins exact or "*" (no pattern is documented), a non-negative max age.
func GCS(src []byte) ([]GCSCORS, error) {
	var list []GCSCORS
	if err := strictJSON(src, &list); err != nil {
		return nil, fmt.Errorf("gcs: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("gcs: "+format, args...)) }
	for i, r := range list {
		if len(r.Origin) == 0 || len(r.Method) == 0 {
			bad("entry %d: origin and method are required", i)
		}
		for _, o := range r.Origin {
			if strings.Contains(o, "*") && o != "*" {
				bad("entry %d: origin %q: GCS documents no pattern", i, o)
			}
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			bad("entry %d: negative maxAgeSeconds", i)
		}
	}
	return list, errors.Join(errs...)
}

// AzureCORSRule is a CorsRule of the Blob service properties, as ARM names
// its fields (Microsoft.Storage/storageAccounts/blobServices, cors.corsRules;
// all five are required).
type AzureCORSRule struct {
	AllowedOrigins  []string `json:"allowedOrigins"`
	AllowedMethods  []string `json:"allowedMethods"`
	AllowedHeaders  []string `json:"allowedHeaders"`
	ExposedHeaders  []string `json:"exposedHeaders"`
	MaxAgeInSeconds *int     `json:"maxAgeInSeconds"`
}

// Azure checks the ARM body: at most five rules per service, every field
// present, the methods Azure knows, origin wildcards only as "*" or a
// "scheme://*." subdomain prefix, and each rule under 2 KiB
// (cross-origin-resource-sharing--cors--support-for-the-azure-storage-services).
func Azure(src []byte) ([]AzureCORSRule, error) {
	var body struct {
		Properties struct {
			Cors struct {
				CorsRules []AzureCORSRule `json:"corsRules"`
			} `json:"cors"`
		} `json:"properties"`
	}
	if err := strictJSON(src, &body); err != nil {
		return nil, fmt.Errorf("azure-blob: %w", err)
	}
	rules := body.Properties.Cors.CorsRules
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("azure-blob: "+format, args...)) }
	if len(rules) > 5 {
		bad("%d rules, at most 5 per service", len(rules))
	}
	for i, r := range rules {
		if r.AllowedOrigins == nil || r.AllowedMethods == nil || r.AllowedHeaders == nil || r.ExposedHeaders == nil || r.MaxAgeInSeconds == nil {
			bad("rule %d: allowedOrigins, allowedMethods, allowedHeaders, exposedHeaders and maxAgeInSeconds are required", i)
			continue
		}
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			bad("rule %d: no origin or no method", i)
		}
		for _, o := range r.AllowedOrigins {
			if strings.Contains(o, "*") && o != "*" && (strings.Count(o, "*") > 1 || !strings.Contains(o, "://*.")) {
				bad("rule %d: origin %q: only \"*\" or a subdomain wildcard", i, o)
			}
		}
		for _, m := range r.AllowedMethods {
			if !slices.Contains([]string{"DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH"}, m) {
				bad("rule %d: method %q unknown to Azure Storage", i, m)
			}
		}
		if *r.MaxAgeInSeconds < 0 {
			bad("rule %d: negative maxAgeInSeconds", i)
		}
		n := 0
		for _, l := range [][]string{r.AllowedOrigins, r.AllowedMethods, r.AllowedHeaders, r.ExposedHeaders} {
			n += len(strings.Join(l, ","))
		}
		if n > 2048 {
			bad("rule %d: %d bytes of values, at most 2 KiB", i, n)
		}
	}
	return rules, errors.Join(errs...)
}
