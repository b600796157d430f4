package source

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/audit"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest OpenAPI document or HAR file read.
const MaxFileSize = 64 << 20

// The operations of a path item (OpenAPI 3.0.3 and 3.1.0, "Path Item
// Object"). TRACE is left out: no browser sends it (Fetch, "forbidden
// method").
var operations = []string{"get", "put", "post", "delete", "options", "head", "patch"}

// safelistedBodyTypes are the request body media types a page sends
// without a preflight (Fetch, "CORS-safelisted request-header",
// Content-Type).
var safelistedBodyTypes = []string{"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}

// placeholder fills a path parameter that has no example.
const placeholder = "crossgate"

// OpenAPI returns one target per server and path of an OpenAPI 3.0 or 3.1
// document, in the document's order of servers then paths, with the
// requests of the path's operations: the method, the header parameters,
// the headers of the security schemes that apply (an API key in a header,
// Authorization for HTTP and OAuth schemes) and the request body's
// Content-Type. Path templates are filled from the parameter's example,
// its schema's example, examples or default, its first enum value, or a
// placeholder ("1" for numbers, "crossgate" otherwise). A relative server
// URL (or none, which OpenAPI reads as "/") is resolved against base;
// with base nil it is an error. Only local references (#/...) are
// followed.
func OpenAPI(name string, src []byte, base *url.URL) ([]*audit.Target, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: not an OpenAPI document: %w", name, err)
	}
	d := &openapiDoc{name: name, root: doc}
	v, _ := doc["openapi"].(string)
	if !strings.HasPrefix(v, "3.0") && !strings.HasPrefix(v, "3.1") {
		if _, ok := doc["swagger"]; ok {
			return nil, fmt.Errorf("%s: Swagger 2.0 is not supported: convert it to OpenAPI 3 first", name)
		}
		return nil, fmt.Errorf("%s: openapi is %q: want an OpenAPI 3.0 or 3.1 document", name, v)
	}
	servers, err := d.servers(d.root, base)
	if err != nil {
		return nil, err
	}
	paths, _ := d.deref(doc["paths"]).(map[string]any)
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no paths", name)
	}
	var out []*audit.Target
	seen := map[string]*audit.Target{}
	for _, p := range sortedPaths(d.name, src, paths) {
		item, _ := d.deref(paths[p]).(map[string]any)
		pathServers := servers
		if _, ok := item["servers"]; ok {
			if pathServers, err = d.servers(item, base); err != nil {
				return nil, err
			}
		}
		reqs, filled := d.operations(p, item)
		for _, srv := range pathServers {
			raw := strings.TrimSuffix(srv, "/") + filled
			t, err := audit.ParseTarget(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: paths.%s: %w", name, p, err)
			}
			key := t.URL.String()
			if prev, ok := seen[key]; ok {
				prev.Requests = append(prev.Requests, reqs...)
				continue
			}
			t.Requests = slices.Clone(reqs)
			seen[key] = t
			out = append(out, t)
		}
	}
	return out, nil
}

type openapiDoc struct {
	name string
	root map[string]any
}

// deref follows a local $ref (JSON Pointer, RFC 6901), up to a depth.
func (d *openapiDoc) deref(v any) any {
	for range 16 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return v
		}
		var cur any = d.root
		for _, tok := range strings.Split(ref[2:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			cm, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = cm[tok]
		}
		v = cur
	}
	return nil
}

// servers returns the server URLs of obj (the document, a path item or
// an operation), variables replaced by their defaults.
func (d *openapiDoc) servers(obj map[string]any, base *url.URL) ([]string, error) {
	list, _ := obj["servers"].([]any)
	if len(list) == 0 {
		list = []any{map[string]any{"url": "/"}}
	}
	var out []string
	for i, s := range list {
		m, _ := d.deref(s).(map[string]any)
		raw, _ := m["url"].(string)
		vars, _ := m["variables"].(map[string]any)
		for k, v := range vars {
			vm, _ := v.(map[string]any)
			raw = strings.ReplaceAll(raw, "{"+k+"}", fmt.Sprint(vm["default"]))
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: servers[%d].url %q: %w", d.name, i, raw, err)
		}
		if !u.IsAbs() {
			if base == nil {
				return nil, fmt.Errorf("%s: servers[%d].url %q is relative: give the API's URL too (crossgate audit --openapi FILE https://api.example.com/)", d.name, i, raw)
			}
			u = base.ResolveReference(u)
		}
		if s := u.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// operations returns the requests of a path item's operations and the
// path with its templates filled.
func (d *openapiDoc) operations(path string, item map[string]any) ([]audit.ClientRequest, string) {
	common := d.params(item["parameters"])
	examples := map[string]string{}
	fill := func(ps []map[string]any) {
		for _, p := range ps {
			if p["in"] == "path" {
				if n, _ := p["name"].(string); n != "" {
					if _, ok := examples[n]; !ok {
						examples[n] = d.example(p)
					}
				}
			}
		}
	}
	var reqs []audit.ClientRequest
	for _, op := range operations {
		o, ok := d.deref(item[op]).(map[string]any)
		if !ok {
			continue
		}
		ps := append(d.params(o["parameters"]), common...)
		fill(ps)
		h := http.Header{}
		for _, p := range ps {
			if n, _ := p["name"].(string); p["in"] == "header" && n != "" && !reserved(n) {
				h.Set(n, placeholder)
			}
		}
		for _, n := range d.securityHeaders(o) {
			h.Set(n, placeholder)
		}
		if body, ok := d.deref(o["requestBody"]).(map[string]any); ok {
			if content, ok := body["content"].(map[string]any); ok {
				types := make([]string, 0, len(content))
				for ct := range content {
					types = append(types, ct)
				}
				slices.Sort(types)
				// A JSON body is what a page's fetch() most often sends.
				ct := types[0]
				for _, t := range types {
					if strings.Contains(t, "json") {
						ct = t
						break
					}
				}
				if ct != "" && !strings.Contains(ct, "*") {
					h.Set("Content-Type", ct)
				}
			}
		}
		m := strings.ToUpper(op)
		if m == http.MethodOptions {
			continue // the audit sends its own
		}
		reqs = append(reqs, audit.ClientRequest{Method: m, Header: h})
	}
	fill(common)
	filled := templateRE.ReplaceAllStringFunc(path, func(s string) string {
		v, ok := examples[s[1:len(s)-1]]
		if !ok {
			v = placeholder
		}
		return url.PathEscape(v)
	})
	return reqs, filled
}

var templateRE = regexp.MustCompile(`\{[^{}/]+\}`)

// reserved reports whether a header parameter is one OpenAPI says to
// ignore (Accept, Content-Type, Authorization: 3.0.3 "Parameter Object")
// or one a page cannot set.
func reserved(name string) bool {
	switch strings.ToLower(name) {
	case "accept", "content-type", "authorization", "cookie", "host", "origin":
		return true
	}
	return false
}

func (d *openapiDoc) params(v any) []map[string]any {
	list, _ := d.deref(v).([]any)
	var out []map[string]any
	for _, p := range list {
		if m, ok := d.deref(p).(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// example returns a value for a path parameter.
func (d *openapiDoc) example(p map[string]any) string {
	if v, ok := p["example"]; ok && v != nil {
		return scalar(v)
	}
	if ex, ok := p["examples"].(map[string]any); ok {
		keys := make([]string, 0, len(ex))
		for k := range ex {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if m, ok := d.deref(ex[k]).(map[string]any); ok && m["value"] != nil {
				return scalar(m["value"])
			}
		}
	}
	schema, _ := d.deref(p["schema"]).(map[string]any)
	if v, ok := schema["example"]; ok && v != nil {
		return scalar(v)
	}
	// OpenAPI 3.1 schemas are JSON Schema 2020-12: examples is a list.
	if list, ok := schema["examples"].([]any); ok && len(list) > 0 {
		return scalar(list[0])
	}
	if v, ok := schema["default"]; ok && v != nil {
		return scalar(v)
	}
	if list, ok := schema["enum"].([]any); ok && len(list) > 0 {
		return scalar(list[0])
	}
	typ := schema["type"]
	if list, ok := typ.([]any); ok && len(list) > 0 {
		typ = list[0] // 3.1: type: [integer, "null"]
	}
	if typ == "integer" || typ == "number" {
		return "1"
	}
	return placeholder
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// securityHeaders returns the request headers of the security schemes an
// operation needs: its own security requirements, or the document's.
func (d *openapiDoc) securityHeaders(op map[string]any) []string {
	reqs, ok := op["security"].([]any)
	if !ok {
		reqs, _ = d.root["security"].([]any)
	}
	components, _ := d.root["components"].(map[string]any)
	schemes, _ := components["securitySchemes"].(map[string]any)
	var out []string
	// Any one requirement object suffices: the first is what the client
	// most likely uses.
	for _, r := range reqs {
		rm, _ := r.(map[string]any)
		names := make([]string, 0, len(rm))
		for n := range rm {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			s, _ := d.deref(schemes[n]).(map[string]any)
			switch s["type"] {
			case "apiKey":
				if hn, _ := s["name"].(string); s["in"] == "header" && hn != "" {
					out = append(out, hn)
				}
			case "http", "oauth2", "openIdConnect":
				out = append(out, "Authorization")
			}
		}
		break
	}
	return out
}

// sortedPaths returns the paths in the document's order. Decoded into a
// map, YAML loses it, so the order is taken from a second, node-level
// decode.
func sortedPaths(name string, src []byte, paths map[string]any) []string {
	var n yaml.Node
	if yaml.Unmarshal(src, &n) == nil && len(n.Content) == 1 {
		root := n.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "paths" && root.Content[i+1].Kind == yaml.MappingNode {
				var out []string
				pn := root.Content[i+1]
				for j := 0; j+1 < len(pn.Content); j += 2 {
					if _, ok := paths[pn.Content[j].Value]; ok {
						out = append(out, pn.Content[j].Value)
					}
				}
				if len(out) == len(paths) {
					return out
				}
			}
		}
	}
	out := make([]string, 0, len(paths))
	for p := range paths {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
