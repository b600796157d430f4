package policyfile

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/cors/corserr"
	"go.yaml.in/yaml/v3"
)

// File is a valid policy file.
type File struct {
	Name     string    // the file name given to [Parse]
	Policies []*Policy // in the order of the file
	// Warnings are the problems that do not stop the policies from working
	// as written, such as a max age above what Chromium honours.
	Warnings []Diagnostic
	// Proxy is the proxy section; its zero value when the file has none.
	Proxy Proxy

	routes routes
}

// Policy is one entry of the file's policies list, compiled.
type Policy struct {
	Name string
	// Hosts and Paths are the match lists as written: lower-case host names
	// (a leading "*." matches any subdomain) and path prefixes. An empty
	// list matches every host, or every path.
	Hosts, Paths []string
	Config       cors.Config
	Middleware   *cors.Middleware
	Pos          Pos // where the policy's entry starts

	// Upstream is where a gateway sends the requests the policy applies
	// to: "echo" or an http(s) URL, or "" for the proxy's default.
	Upstream string
	// KeepUpstreamCORS makes a gateway keep the upstream's own
	// Access-Control-* response headers instead of stripping them: on a
	// response that has any, they replace the policy's (preflights are
	// still answered by the gateway).
	KeepUpstreamCORS bool
}

// Pos is a position in a policy file. Line and Column count from 1; a zero
// Column means the YAML parser did not say which column.
type Pos struct {
	File         string
	Line, Column int
}

// String returns "file:line:column", or "file:line" without a column.
func (p Pos) String() string {
	s := p.File
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Column > 0 {
			s += ":" + strconv.Itoa(p.Column)
		}
	}
	return s
}

// Diagnostic is one problem in a policy file.
type Diagnostic struct {
	Pos Pos
	// Path is the key path of the offending value, as in
	// "policies[1].allow_origins[0]", or "" for the file as a whole.
	Path    string
	Message string
	// Warning reports whether the problem leaves the file usable.
	Warning bool
	// Cause is the problem found by cors.Validate that Message reports,
	// or nil for the problems of the file itself.
	Cause *corserr.Error
}

// String returns the diagnostic as "file:line:col: [warning: ]path: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Warning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Error is the error [Parse] returns for an invalid file. Diagnostics holds
// every problem found, errors and warnings, in the order of the file; at
// least one is an error.
type Error struct {
	Diagnostics []Diagnostic
}

// Error returns the diagnostics as [FormatDiagnostics] does: one per line,
// at most [MaxPrinted] of them.
func (e *Error) Error() string { return FormatDiagnostics(e.Diagnostics) }

// MaxPrinted is the number of diagnostics that [FormatDiagnostics] and
// [Error.Error] print; the rest are counted. A file of 80,000 bad origins
// is then a hundred lines, not 80,000 of log or terminal.
const MaxPrinted = 100

// FormatDiagnostics returns the first MaxPrinted diagnostics, one per line,
// and then, if there are more, a last line "... and N more (M errors, W
// warnings)". Lint and the proxy print diagnostics through it (or through
// Error); the gateway's reload log writes the same first MaxPrinted, a
// structured record each, and the count of the rest.
func FormatDiagnostics(diags []Diagnostic) string {
	var b strings.Builder
	for i, d := range diags {
		if i == MaxPrinted {
			nerrs := 0
			for _, d := range diags[i:] {
				if !d.Warning {
					nerrs++
				}
			}
			fmt.Fprintf(&b, "\n... and %d more (%s, %s)", len(diags)-i, plural(nerrs, "error"), plural(len(diags)-i-nerrs, "warning"))
			return b.String()
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// maxQuoted is the number of bytes of a value that a diagnostic quotes: a
// value longer than any real one is cut, and its length given.
const maxQuoted = 256

// quote returns v quoted, cut to maxQuoted bytes.
func quote(v string) string {
	if len(v) <= maxQuoted {
		return strconv.Quote(v)
	}
	return strconv.Quote(v[:maxQuoted]) + fmt.Sprintf("... (%d bytes)", len(v))
}

// Unwrap returns the cors validation errors behind the diagnostics, so that
// errors.As can reach a *corserr.Error.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, d := range e.Diagnostics {
		if d.Cause != nil && !d.Warning {
			errs = append(errs, d.Cause)
		}
	}
	return errs
}

// Load reads (with [ReadFile], so at most [MaxFileSize]) and parses the
// policy file at name. An error reading the file is returned as is (an
// *fs.PathError); a file that is not a valid policy file gives an *Error.
func Load(name string) (*File, error) {
	src, err := ReadFile(name)
	if err != nil {
		return nil, err
	}
	return Parse(name, src)
}

// Parse decodes and validates the policy file src. name is used in
// positions only. For an invalid file it returns a nil File and an *Error
// that lists every problem.
func Parse(name string, src []byte) (*File, error) {
	d := &decoder{file: name}
	policies := d.decodeFile(src)
	f := &File{Name: name, Proxy: d.px}
	for _, rp := range policies {
		p := d.compile(rp)
		if p != nil {
			f.Policies = append(f.Policies, p)
		}
	}
	f.routes = d.buildRoutes(policies)
	slices.SortStableFunc(d.diags, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
	if slices.ContainsFunc(d.diags, func(d Diagnostic) bool { return !d.Warning }) {
		return nil, &Error{Diagnostics: d.diags}
	}
	f.Warnings = d.diags
	return f, nil
}

// compile builds the policy rp describes and reports what cors.Validate
// finds in it, or returns nil when the policy has errors.
func (d *decoder) compile(rp *rawPolicy) *Policy {
	warns, err := cors.Validate(rp.cfg)
	for _, w := range warns {
		d.corsDiag(rp, w, true)
	}
	for e := range corserr.All(err) {
		d.corsDiag(rp, e, false)
	}
	if err != nil || rp.bad {
		return nil
	}
	mw, err := cors.New(rp.cfg)
	if err != nil {
		// cors.Validate accepted the Config, so cors.New must too.
		d.errorf(rp.node, rp.path, "internal error: %v", err)
		return nil
	}
	rp.policy = &Policy{
		Name:       rp.name,
		Hosts:      rp.hosts.values,
		Paths:      rp.paths.values,
		Config:     rp.cfg,
		Middleware: mw,
		Pos:        d.pos(rp.node),

		Upstream:         rp.upstream,
		KeepUpstreamCORS: rp.keepCORS,
	}
	return rp.policy
}

// fieldKeys maps the cors.Config fields to their YAML keys.
var fieldKeys = map[string]string{
	"AllowOrigins":        "allow_origins",
	"AllowCredentials":    "allow_credentials",
	"AllowMethods":        "allow_methods",
	"AllowHeaders":        "allow_headers",
	"ExposeHeaders":       "expose_headers",
	"MaxAge":              "max_age",
	"AllowPrivateNetwork": "allow_private_network",
	"PreflightStatus":     "preflight_status",
	"ProtectWrites":       "protect_writes",

	"WebSocketAllowNoOrigin": "websocket_allow_no_origin",

	"DangerouslyAllowPublicSuffixPatterns":           "dangerously_allow_public_suffix_patterns",
	"DangerouslyAllowInsecureOriginsWithCredentials": "dangerously_allow_insecure_origins_with_credentials",
}

// fieldNames rewrites the Go field names that cors messages mention into
// the YAML keys a policy file's author knows. Longer names come first, so
// that none is rewritten inside another.
var fieldNames = func() *strings.Replacer {
	names := slices.SortedFunc(maps.Keys(fieldKeys), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	var pairs []string
	for _, n := range names {
		pairs = append(pairs, n, fieldKeys[n])
	}
	return strings.NewReplacer(pairs...)
}()

// corsDiag reports e, found by cors.Validate in rp, at the YAML key or list
// element it is about.
func (d *decoder) corsDiag(rp *rawPolicy, e *corserr.Error, warning bool) {
	key, ok := fieldKeys[e.Field]
	if !ok {
		key = e.Field // a field this package does not know yet: report it as named
	}
	f := rp.fields[key]
	if f != nil && f.bad && !warning && e.Index < 0 {
		// The key's value could not be decoded, which is reported already;
		// a complaint about the field as a whole would be a consequence.
		return
	}
	path := rp.path + "." + key
	node := rp.node
	switch {
	case f == nil:
	case e.Index >= 0 && e.Index < len(f.elems):
		path += "[" + strconv.Itoa(f.index[e.Index]) + "]"
		node = f.elems[e.Index]
	default:
		node = f.key
	}
	value := e.Value
	if f != nil && e.Index < 0 && f.val.Kind == yaml.ScalarNode {
		value = f.val.Value // as written ("90m", not "1h30m0s")
	}
	msg := fmt.Sprintf("cors: %s value %s", e.Reason, quote(value))
	switch {
	case value != "" || e.Index >= 0:
	case f == nil:
		msg = "cors: missing"
	case f.val.Kind == yaml.SequenceNode:
		msg = "cors: empty list"
	}
	if e.Detail != "" {
		msg += ": " + fieldNames.Replace(e.Detail)
	}
	d.diags = append(d.diags, Diagnostic{Pos: d.pos(node), Path: path, Message: msg, Warning: warning, Cause: e})
}
