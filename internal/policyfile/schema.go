package policyfile

import (
	"bytes"
	"encoding/json"
)

// SchemaID is where the policy file's JSON Schema is published: the file
// schema/crossgate.schema.json of the repository, which TestSchema keeps
// equal to [JSONSchema].
const SchemaID = "https://raw.githubusercontent.com/crossgate/crossgate/main/schema/crossgate.schema.json"

// schemaKey is a key of a mapping of the policy file and the JSON Schema
// of its value. The tables below hold every key the decoder knows, and
// only those: TestSchema checks them against topKeys, policyKeys,
// matchKeys and proxyKeys.
type schemaKey struct {
	key    string
	schema map[string]any
}

// A Go duration as time.ParseDuration reads it: "90s", "1h30m", "1.5h".
const durationPattern = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$`

func sString(desc string) map[string]any {
	return map[string]any{"type": "string", "description": desc}
}

func sBool(desc string) map[string]any { return map[string]any{"type": "boolean", "description": desc} }

func sList(desc string) map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": desc}
}

func sDuration(desc string) map[string]any {
	return map[string]any{"type": "string", "pattern": durationPattern, "description": desc}
}

var upstreamSchema = map[string]any{
	"type":        "string",
	"pattern":     `^(echo|https?://[^/?#@]+(/[^?#]*)?)$`,
	"description": `"echo" (built in: answers with what it received) or an http(s) URL, with no user information, query or fragment.`,
}

var topSchema = []schemaKey{
	{"policies", map[string]any{
		"type":        "array",
		"items":       map[string]any{"$ref": "#/$defs/policy"},
		"description": "The CORS policies. The most specific match answers a request: a named host beats none (an exact host beats a wildcard), then the longest path prefix.",
	}},
	{"proxy", map[string]any{"$ref": "#/$defs/proxy"}},
}

var policySchema = []schemaKey{
	{"name", map[string]any{"type": "string", "minLength": 1, "pattern": `\S`, "description": "Unique name, shown by explain, logs and metrics."}},
	{"match", map[string]any{"$ref": "#/$defs/match"}},
	{"allow_origins", map[string]any{
		"type": "array", "items": map[string]any{"type": "string", "minLength": 1},
		"description": `Origins exactly as browsers send them: "https://app.example.com", "https://*.example.com" (subdomains), "http://localhost:*" (any port), or "*" (any origin, never with credentials). "null" is refused.`,
	}},
	{"allow_credentials", sBool("Cookies and HTTP authentication may be sent, and the response read; then no list may hold \"*\".")},
	{"allow_methods", sList(`Methods beyond GET, HEAD and POST that preflights may ask for, or "*" (without credentials). Case-sensitive.`)},
	{"allow_headers", sList(`Request headers preflights may ask for, case-insensitive, or "*" (without credentials; it never covers Authorization).`)},
	{"expose_headers", sList(`Response headers scripts may read beyond the safelisted ones, or "*" (without credentials).`)},
	{"max_age", map[string]any{
		"oneOf": []any{
			map[string]any{"const": 0},
			map[string]any{"type": "string", "pattern": `^0$|` + durationPattern},
		},
		"description": `How long browsers cache a successful preflight: a duration ("2h") in whole seconds, at most 24h, or 0 for "do not cache". Absent: no header.`,
	}},
	{"allow_private_network", sBool("Answer legacy Private Network Access preflights.")},
	{"preflight_status", map[string]any{"type": "integer", "minimum": 200, "maximum": 299, "description": "Status of a successful preflight; default 204."}},
	{"dangerously_allow_public_suffix_patterns", sBool(`Allow "https://*.github.io" and the like: anyone can register a site there.`)},
	{"dangerously_allow_insecure_origins_with_credentials", sBool("Allow http:// origins with credentials: any network attacker can then read credentialed responses.")},
	{"upstream", upstreamSchema},
	{"keep_upstream_cors", sBool("An upstream response that carries Access-Control-* headers keeps them instead of the policy's.")},
	{"protect_writes", sBool("Refuse with 403, before the handler or upstream, requests with a method other than GET, HEAD, OPTIONS that a browser sends from an origin allow_origins does not allow.")},
	{"websocket_allow_no_origin", sBool("crossgate proxy: WebSocket handshakes without Origin (non-browser clients) may connect; default false: they get 403.")},
}

var matchSchema = []schemaKey{
	{"hosts", map[string]any{
		"type": "array", "minItems": 1, "uniqueItems": true,
		"items":       map[string]any{"type": "string", "minLength": 1, "pattern": `^[^A-Z/?#:]*$|^\[[0-9a-f:.]+\]$`},
		"description": `Lower-case host names, without port; "*.example.com" for subdomains. Absent: any host.`,
	}},
	{"paths", map[string]any{
		"type": "array", "minItems": 1, "uniqueItems": true,
		"items":       map[string]any{"type": "string", "pattern": `^/[^?# \x00-\x1f\x7f]*$`},
		"description": `Path prefixes, matched on segment boundaries after normalisation. Absent: any path.`,
	}},
}

var proxySchema = []schemaKey{
	{"listen", sString(`Address of the gateway, host:port; default "127.0.0.1:8080".`)},
	{"upstream", upstreamSchema},
	{"admin_listen", sString(`Address of /metrics, /healthz, /readyz and the /admin page, host:port, or "off"; default "127.0.0.1:9090".`)},
	{"read_header_timeout", sDuration("Default 10s.")},
	{"idle_timeout", sDuration("Keep-alive connections; default 2m.")},
	{"upstream_timeout", sDuration("Dialling the upstream and waiting for its response headers; default 30s.")},
	{"shutdown_timeout", sDuration("How long SIGTERM waits for requests in flight; default 30s.")},
	{"max_header_bytes", map[string]any{"type": "integer", "minimum": 1, "description": "Largest request header block; default 1048576."}},
	{"tls_cert", map[string]any{"type": "string", "minLength": 1, "description": "Certificate file, relative to the policy file; with tls_key."}},
	{"tls_key", map[string]any{"type": "string", "minLength": 1, "description": "Key file, relative to the policy file; with tls_cert."}},
	{"log_format", map[string]any{"enum": []any{"json", "text"}, "description": "Default json."}},
	{"access_log", sBool("One record per request; default true.")},
}

// object returns the schema of a mapping with exactly the keys of table.
func object(desc string, table []schemaKey, extra map[string]any) map[string]any {
	props := make(map[string]any, len(table))
	for _, k := range table {
		props[k.key] = k.schema
	}
	o := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if desc != "" {
		o["description"] = desc
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

// JSONSchema returns the JSON Schema (draft 2020-12) of the policy file,
// for editors: it knows every key and the type of its value, but not all
// that lint checks (origins, header names, overlapping matches...).
func JSONSchema() []byte {
	s := object("", topSchema, map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"$id":      SchemaID,
		"title":    "crossgate policy file",
		"required": []any{"policies"},
		"$defs": map[string]any{
			"policy": object("One CORS policy.", policySchema, map[string]any{"required": []any{"name", "allow_origins"}}),
			"match":  object("Which requests the policy answers; absent: every request.", matchSchema, nil),
			"proxy": object("How crossgate proxy serves the policies.", proxySchema, map[string]any{
				"dependentRequired": map[string]any{"tls_cert": []any{"tls_key"}, "tls_key": []any{"tls_cert"}},
			}),
		},
	})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		panic(err) // maps of strings, numbers and slices
	}
	return b.Bytes()
}
