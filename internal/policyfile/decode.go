package policyfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crossgate/crossgate/cors"
	"go.yaml.in/yaml/v3"
)

// The keys of each mapping, in the order of the documentation.
var (
	topKeys    = []string{"policies", "proxy"}
	policyKeys = []string{
		"name", "match", "allow_origins", "allow_credentials", "allow_methods",
		"allow_headers", "expose_headers", "max_age", "allow_private_network", "preflight_status",
		"dangerously_allow_public_suffix_patterns", "dangerously_allow_insecure_origins_with_credentials",
		"upstream", "keep_upstream_cors", "protect_writes", "websocket_allow_no_origin",
	}
	matchKeys = []string{"hosts", "paths"}
)

// decoder walks the YAML nodes of a policy file and collects every problem
// it finds.
type decoder struct {
	file  string
	diags []Diagnostic
	nerrs int   // the diagnostics that are errors
	px    Proxy // the proxy section, as decoded
}

// rawPolicy is a policy as decoded, before cors validates it.
type rawPolicy struct {
	node     *yaml.Node // the policy's mapping
	path     string     // "policies[2]"
	name     string
	nameNode *yaml.Node
	hosts    field
	paths    field
	cfg      cors.Config
	upstream string            // "" for the proxy's default
	keepCORS bool              // keep_upstream_cors
	fields   map[string]*field // by YAML key, for the keys present
	bad      bool              // the policy itself has decoding errors
	policy   *Policy           // the compiled policy, once compiled
}

// field is a key of a policy and, for lists, the elements kept.
type field struct {
	key    *yaml.Node
	val    *yaml.Node
	values []string     // the string elements kept
	elems  []*yaml.Node // their nodes
	index  []int        // and their positions in the YAML list
	bad    bool         // the value has decoding errors
}

func (d *decoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errorAt(d.pos(n), path, format, args...)
}

func (d *decoder) errorAt(pos Pos, path, format string, args ...any) {
	d.nerrs++
	d.diags = append(d.diags, Diagnostic{Pos: pos, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(n *yaml.Node, path, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{Pos: d.pos(n), Path: path, Message: fmt.Sprintf(format, args...), Warning: true})
}

// decodeFile decodes the whole file, a single YAML document.
func (d *decoder) decodeFile(src []byte) []*rawPolicy {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorAt(Pos{File: d.file, Line: 1, Column: 1}, "", "empty file: want a mapping with a %q list", "policies")
			return nil
		}
		d.syntaxError(src, err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(src, err)
	default:
		d.errorf(&extra, "", "trailing data: a second YAML document (a policy file holds one document)")
	}
	if len(doc.Content) != 1 {
		d.errorf(&doc, "", "want a mapping with a %q list", "policies")
		return nil
	}
	return d.top(doc.Content[0])
}

// badChar finds the first byte sequence that is not valid UTF-8 or a
// character that YAML does not allow (YAML 1.2 §5.1, c-printable), and
// returns its line and column (in characters).
func badChar(src []byte) (line, col int, ok bool) {
	line, col = 1, 1
	for len(src) > 0 {
		r, size := utf8.DecodeRune(src)
		if r == utf8.RuneError && size <= 1 || !printable(r) {
			return line, col, true
		}
		src = src[size:]
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return 0, 0, false
}

func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r < 0x20 || r == 0x7f:
		return false
	case r >= 0x80 && r < 0xa0:
		return false
	case r == 0xfffe || r == 0xffff:
		return false
	}
	return true
}

func (d *decoder) top(n *yaml.Node) []*rawPolicy {
	var policies []*rawPolicy
	found := false
	ok := d.mapping(n, "", topKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "policies":
			found = true
			policies = d.policies(v, key)
		case "proxy":
			d.proxy(v, key)
		}
	})
	if ok && !found {
		d.errorf(n, "", "missing required key %q", "policies")
	}
	return policies
}

// policies decodes the list of policies and checks that names are unique.
func (d *decoder) policies(n *yaml.Node, path string) []*rawPolicy {
	if !d.want(n, path, yaml.SequenceNode, "a list of policies") {
		return nil
	}
	if len(n.Content) == 0 {
		d.warnf(n, path, "no policies: no request gets CORS headers")
	}
	var policies []*rawPolicy
	byName := make(map[string]*rawPolicy)
	for i, pn := range n.Content {
		rp := d.policy(pn, path+"["+strconv.Itoa(i)+"]")
		if rp == nil {
			continue
		}
		if rp.nameNode != nil && rp.name != "" {
			if first, dup := byName[rp.name]; dup {
				d.errorf(rp.nameNode, rp.path+".name", "duplicate policy name %q: %s at line %d has it too", rp.name, first.path, first.node.Line)
				rp.bad = true
			} else {
				byName[rp.name] = rp
			}
		}
		policies = append(policies, rp)
	}
	return policies
}

// policy decodes one policy, or returns nil if n is not a mapping.
func (d *decoder) policy(n *yaml.Node, path string) *rawPolicy {
	rp := &rawPolicy{node: n, path: path, fields: make(map[string]*field)}
	before := d.nerrs
	ok := d.mapping(n, path, policyKeys, func(key string, k, v *yaml.Node) {
		p := path + "." + key
		f := &field{key: k, val: v}
		rp.fields[key] = f
		errs := d.nerrs
		switch key {
		case "name":
			rp.nameNode = v
			if s, ok := d.str(v, p); ok {
				rp.name = s
				if strings.TrimSpace(s) == "" {
					d.errorf(v, p, "empty policy name")
				}
			}
		case "match":
			d.match(rp, v, p)
		case "allow_origins":
			rp.cfg.AllowOrigins = d.list(f, v, p)
		case "allow_methods":
			rp.cfg.AllowMethods = d.list(f, v, p)
		case "allow_headers":
			rp.cfg.AllowHeaders = d.list(f, v, p)
		case "expose_headers":
			rp.cfg.ExposeHeaders = d.list(f, v, p)
		case "allow_credentials":
			rp.cfg.AllowCredentials = d.boolean(v, p)
		case "allow_private_network":
			rp.cfg.AllowPrivateNetwork = d.boolean(v, p)
		case "dangerously_allow_public_suffix_patterns":
			rp.cfg.DangerouslyAllowPublicSuffixPatterns = d.boolean(v, p)
		case "dangerously_allow_insecure_origins_with_credentials":
			rp.cfg.DangerouslyAllowInsecureOriginsWithCredentials = d.boolean(v, p)
		case "max_age":
			rp.cfg.MaxAge = d.maxAge(v, p)
		case "preflight_status":
			rp.cfg.PreflightStatus = d.integer(v, p)
		case "upstream":
			rp.upstream = d.upstream(v, p)
		case "keep_upstream_cors":
			rp.keepCORS = d.boolean(v, p)
		case "protect_writes":
			rp.cfg.ProtectWrites = d.boolean(v, p)
		case "websocket_allow_no_origin":
			rp.cfg.WebSocketAllowNoOrigin = d.boolean(v, p)
		}
		f.bad = d.nerrs > errs
	})
	if !ok {
		return nil
	}
	if rp.nameNode == nil {
		d.errorf(n, path, "missing required key %q", "name")
	}
	rp.bad = d.nerrs > before
	return rp
}

// match decodes a policy's match mapping into rp.hosts and rp.paths,
// keeping only the valid entries.
func (d *decoder) match(rp *rawPolicy, n *yaml.Node, path string) {
	d.mapping(n, path, matchKeys, func(key string, k, v *yaml.Node) {
		f, check := &rp.hosts, checkHost
		if key == "paths" {
			f, check = &rp.paths, checkPath
		}
		f.key = k
		p := path + "." + key
		var all field
		d.list(&all, v, p)
		seen := make(map[string]int)
		for i, s := range all.values {
			ep := p + "[" + strconv.Itoa(all.index[i]) + "]"
			if msg := check(s); msg != "" {
				d.errorf(all.elems[i], ep, "%s", msg)
				continue
			}
			if j, dup := seen[s]; dup {
				d.errorf(all.elems[i], ep, "%q is listed twice (first at index %d)", s, j)
				continue
			}
			seen[s] = all.index[i]
			f.values = append(f.values, s)
			f.elems = append(f.elems, all.elems[i])
			f.index = append(f.index, all.index[i])
		}
		if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			d.errorf(v, p, "empty list: leave out %q to match every %s", key, strings.TrimSuffix(key, "s"))
		}
	})
}

// mapping checks that n is a mapping whose keys are unique strings among
// keys, and calls each for every such key, in order. It reports whether n
// is a mapping.
func (d *decoder) mapping(n *yaml.Node, path string, keys []string, each func(key string, k, v *yaml.Node)) bool {
	if !d.want(n, path, yaml.MappingNode, "a mapping") {
		return false
	}
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge":
			d.errorf(k, path, "merge keys (<<) are not supported: write the keys out")
			continue
		case k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str":
			d.errorf(k, path, "want a key name, got %s", describe(k))
			continue
		case !slices.Contains(keys, k.Value):
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest(k.Value, keys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.errorf(k, path, "%s", msg)
			continue
		}
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, kp, "duplicate key: first set at line %d", first.Line)
			continue
		}
		seen[k.Value] = k
		each(k.Value, k, v)
	}
	return true
}

// want reports whether n is of the kind wanted, and reports an error if not.
func (d *decoder) want(n *yaml.Node, path string, kind yaml.Kind, what string) bool {
	if n.Kind == yaml.AliasNode {
		d.errorf(n, path, "aliases (*%s) are not supported: write the value out", n.Value)
		return false
	}
	if n.Kind != kind {
		d.errorf(n, path, "want %s, got %s", what, describe(n))
		return false
	}
	return true
}

// scalar reports whether n is a scalar with the YAML tag wanted.
func (d *decoder) scalar(n *yaml.Node, path, tag, what string) bool {
	if !d.want(n, path, yaml.ScalarNode, what) {
		return false
	}
	if n.ShortTag() != tag {
		d.errorf(n, path, "want %s, got %s", what, describe(n))
		return false
	}
	return true
}

func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if !d.scalar(n, path, "!!str", "a string") {
		return "", false
	}
	return n.Value, true
}

// list decodes a list of strings into f, and returns the strings.
func (d *decoder) list(f *field, n *yaml.Node, path string) []string {
	if !d.want(n, path, yaml.SequenceNode, "a list of strings") {
		return nil
	}
	for i, e := range n.Content {
		s, ok := d.str(e, path+"["+strconv.Itoa(i)+"]")
		if !ok {
			continue
		}
		f.values = append(f.values, s)
		f.elems = append(f.elems, e)
		f.index = append(f.index, i)
	}
	if f.values == nil {
		return []string{} // an empty list, as written
	}
	return f.values
}

func (d *decoder) boolean(n *yaml.Node, path string) bool {
	if !d.scalar(n, path, "!!bool", "a boolean (true or false)") {
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.errorf(n, path, "invalid boolean %q", n.Value)
	}
	return b
}

func (d *decoder) integer(n *yaml.Node, path string) int {
	if !d.scalar(n, path, "!!int", "an integer") {
		return 0
	}
	var i int
	if err := n.Decode(&i); err != nil {
		d.errorf(n, path, "integer %s is out of range", n.Value)
	}
	return i
}

// maxAge decodes a Go duration. Zero, written 0 or as a duration, asks
// browsers not to cache ([cors.NoPreflightCache]).
func (d *decoder) maxAge(n *yaml.Node, path string) time.Duration {
	const what = `a duration such as "2h" or "10m"`
	if !d.want(n, path, yaml.ScalarNode, what) {
		return 0
	}
	if n.ShortTag() == "!!int" && n.Value == "0" {
		return cors.NoPreflightCache
	}
	if n.ShortTag() != "!!str" {
		d.errorf(n, path, "want %s, got %s", what, describe(n))
		return 0
	}
	dur, err := time.ParseDuration(n.Value)
	switch {
	case err != nil:
		d.errorf(n, path, "invalid duration %q: want %s", n.Value, what)
		return 0
	case dur < 0:
		d.errorf(n, path, "negative duration %q: write 0 to ask browsers not to cache preflights", n.Value)
		return 0
	case dur == 0:
		return cors.NoPreflightCache
	}
	return dur
}

// describe names the type and value of n for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch tag := n.ShortTag(); tag {
	case "!!str":
		return fmt.Sprintf("string %q", n.Value)
	case "!!int":
		return fmt.Sprintf("integer %s", n.Value)
	case "!!float":
		return fmt.Sprintf("number %s", n.Value)
	case "!!bool":
		return fmt.Sprintf("boolean %s", n.Value)
	case "!!null":
		return "null"
	default:
		return fmt.Sprintf("%s value %q", tag, n.Value)
	}
}

// suggest returns the known key closest to an unknown one, if it is close
// enough to be a typo: at most two edits away, or the same once lower-cased
// with "-" read as "_".
func suggest(key string, known []string) string {
	norm := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	best, bestDist := "", 3
	for _, k := range known {
		if k == norm {
			return k
		}
		if dist := editDistance(norm, k, bestDist); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance returns the Levenshtein distance between a and b, or limit
// if it is limit or more.
func editDistance(a, b string, limit int) int {
	if len(a)-len(b) >= limit || len(b)-len(a) >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
