package exportcheck

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// Schema is the OpenAPI v3 schema of one version of a CustomResourceDefinition,
// as the API server checks objects against it: types, required fields,
// enums, patterns, lengths, item counts, bounds and list-type uniqueness.
// Fields the schema does not name are refused, as `kubectl apply
// --validate=strict` does. The CEL rules (x-kubernetes-validations) are not
// evaluated here: they need the API server's CEL environment; the checks that
// matter for CORS are written out by the callers.
type Schema map[string]any

// LoadCRD reads a CRD manifest and returns the schema of its version.
func LoadCRD(file, version string) (Schema, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema Schema `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(src, &crd); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == version {
			return v.Schema.OpenAPIV3Schema, nil
		}
	}
	return nil, fmt.Errorf("%s: no version %q", file, version)
}

// ModuleDir returns the directory of a module this module requires (its
// copy in the module cache), or, for a module it does not require, of the
// given version, downloading it through the module proxy.
func ModuleDir(path, version string) (string, error) {
	args := []string{"list", "-m", "-f", "{{.Dir}}", path}
	if version != "" {
		args = []string{"mod", "download", "-json", path + "@" + version}
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", fmt.Errorf("go %s: %v", strings.Join(args, " "), err)
	}
	if version == "" {
		return strings.TrimSpace(string(out)), nil
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", err
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", path, version, info.Error)
	}
	return info.Dir, nil
}

var patternCache sync.Map // string → *regexp.Regexp or error

func compilePattern(p string) (*regexp.Regexp, error) {
	if v, ok := patternCache.Load(p); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		patternCache.Store(p, err)
		return nil, err
	}
	patternCache.Store(p, re)
	return re, nil
}

// Validate checks v, a decoded JSON value (map[string]any, []any, string,
// float64, bool, nil), against s. It returns every violation, each with the
// path of the value.
func (s Schema) Validate(v any) []error {
	var errs []error
	s.validate(v, "", &errs)
	return errs
}

func (s Schema) validate(v any, path string, errs *[]error) {
	bad := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", cmpPath(path), fmt.Sprintf(format, args...)))
	}
	if v == nil {
		if s["nullable"] != true {
			bad("null")
		}
		return
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want an object, have %T", v)
			return
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range list(s["required"]) {
			if _, ok := m[r.(string)]; !ok {
				bad("required field %q missing", r)
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k].(map[string]any)
			switch {
			case ok:
				Schema(ps).validate(m[k], path+"."+k, errs)
			case s["x-kubernetes-preserve-unknown-fields"] == true:
			case s["additionalProperties"] != nil:
				if ap, ok := s["additionalProperties"].(map[string]any); ok {
					Schema(ap).validate(m[k], path+"."+k, errs)
				}
			case props == nil:
				// an object the schema leaves open (metadata)
			default:
				bad("unknown field %q", k)
			}
		}
		if n, ok := num(s["maxProperties"]); ok && float64(len(m)) > n {
			bad("%d properties, at most %v", len(m), n)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("want a list, have %T", v)
			return
		}
		if n, ok := num(s["maxItems"]); ok && float64(len(a)) > n {
			bad("%d items, at most %v", len(a), n)
		}
		if n, ok := num(s["minItems"]); ok && float64(len(a)) < n {
			bad("%d items, at least %v", len(a), n)
		}
		items, _ := s["items"].(map[string]any)
		for i, x := range a {
			if items != nil {
				Schema(items).validate(x, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
		switch s["x-kubernetes-list-type"] {
		case "set":
			seen := map[string]bool{}
			for i, x := range a {
				k, _ := json.Marshal(x)
				if seen[string(k)] {
					bad("item %d repeats %s in a set", i, k)
				}
				seen[string(k)] = true
			}
		case "map":
			keys := list(s["x-kubernetes-list-map-keys"])
			seen := map[string]bool{}
			for i, x := range a {
				m, _ := x.(map[string]any)
				var key []any
				for _, k := range keys {
					key = append(key, m[k.(string)])
				}
				kb, _ := json.Marshal(key)
				if seen[string(kb)] {
					bad("item %d repeats the map key %s", i, kb)
				}
				seen[string(kb)] = true
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("want a string, have %T", v)
			return
		}
		if n, ok := num(s["maxLength"]); ok && float64(len([]rune(str))) > n {
			bad("%q is longer than %v", str, n)
		}
		if n, ok := num(s["minLength"]); ok && float64(len([]rune(str))) < n {
			bad("%q is shorter than %v", str, n)
		}
		if p, ok := s["pattern"].(string); ok {
			re, err := compilePattern(p)
			if err != nil {
				bad("schema pattern %q does not compile: %v", p, err)
			} else if !re.MatchString(str) {
				bad("%q does not match the pattern %s", str, p)
			}
		}
	case "integer", "number":
		n, ok := v.(float64)
		if !ok {
			bad("want a number, have %T", v)
			return
		}
		if s["type"] == "integer" && n != float64(int64(n)) {
			bad("%v is not an integer", n)
		}
		if m, ok := num(s["maximum"]); ok && n > m {
			bad("%v is above the maximum %v", n, m)
		}
		if m, ok := num(s["minimum"]); ok && n < m {
			bad("%v is below the minimum %v", n, m)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, have %T", v)
		}
	}
	if enum := list(s["enum"]); len(enum) > 0 && !slices.ContainsFunc(enum, func(e any) bool { return e == v }) {
		bad("%v is not one of %v", v, enum)
	}
}

func cmpPath(p string) string {
	if p == "" {
		return "."
	}
	return strings.TrimPrefix(p, ".")
}

func list(v any) []any {
	a, _ := v.([]any)
	return a
}

func num(v any) (float64, bool) {
	n, ok := v.(float64)
	return n, ok
}

// splitYAML splits a stream of YAML documents on "---" lines, dropping
// empty ones.
func splitYAML(src []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(src), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
