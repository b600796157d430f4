package audit

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/crossgate/crossgate/internal/origin"
)

// observation is what a target's answers show of the policy it enforces:
// the input of [InferPolicy].
type observation struct {
	target *Target
	// granted are the probe origins allowed by name, in the order sent,
	// with the class or role that sent them.
	granted []grantedOrigin
	// refused are the attacker probe origins refused, so that no pattern
	// is implied that the server does not enforce.
	refused []string
	// wildcard is a probe origin answered "*", or "".
	wildcard   string
	reflectAny bool // the arbitrary origin was allowed by name
	// Each list holds what the allowed answers carried, in order, and
	// from how many answers.
	credentials, credentialsOf int
	methods, headers, expose   []string
	methodsOf, headersOf       int
	exposeOf                   int
	anyMethod, anyHeader       bool
	maxAge                     string
	privateNetwork             bool
	preflightStatus            int
}

type grantedOrigin struct {
	origin string
	class  Class // 0 for the trusted origins
	kind   Kind
}

// observe sums up the answers of one target.
func observe(t *Target, results []probeResult) *observation {
	o := &observation{target: t}
	for i := range results {
		r := &results[i]
		if r.resp == nil || r.probe.Kind == NoOrigin || r.probe.crlf() || r.probe.role == roleError || len(r.exchanges) != 1 {
			continue
		}
		h := r.resp.Header
		acao := h.Values("Access-Control-Allow-Origin")
		byName := len(acao) == 1 && acao[0] == r.probe.Origin
		wild := isWildcard(acao)
		passed := r.level > NoRead || r.probe.Kind == Preflight && (byName || wild) && r.resp.Status/100 == 2
		if !passed {
			if r.probe.role == roleOrigin && !wild {
				o.refused = append(o.refused, r.probe.Origin)
			}
			continue
		}
		if byName && !slices.ContainsFunc(o.granted, func(g grantedOrigin) bool { return g.origin == r.probe.Origin }) {
			o.granted = append(o.granted, grantedOrigin{r.probe.Origin, r.probe.Class, r.probe.Kind})
			if r.probe.Class == OriginReflected && r.probe.role == roleOrigin {
				o.reflectAny = true
			}
		}
		if wild && o.wildcard == "" {
			o.wildcard = r.probe.Origin
		}
		// "*" with credentials is counted too: the file then says what
		// the server sends, and lint says why browsers refuse it.
		if v, _ := headerValue(h, "Access-Control-Allow-Credentials"); v == "true" {
			o.credentials++
		}
		o.credentialsOf++
		switch r.probe.Kind {
		case Simple:
			if v, ok := tokens(h, "Access-Control-Expose-Headers"); ok {
				o.exposeOf++
				o.expose = union(o.expose, v, false)
			}
		case Preflight:
			if r.resp.Status == http.StatusOK {
				o.preflightStatus = http.StatusOK
			}
			if v, ok := tokens(h, "Access-Control-Allow-Methods"); ok {
				o.methodsOf++
				if slices.Contains(v, probeMethod) && r.probe.role == roleAnyMethod {
					o.anyMethod = true
				}
				o.methods = union(o.methods, slices.DeleteFunc(v, func(m string) bool { return m == probeMethod }), true)
			}
			if v, ok := tokens(h, "Access-Control-Allow-Headers"); ok {
				o.headersOf++
				if containsFold(v, probeHeader) && r.probe.role == roleAnyHeader {
					o.anyHeader = true
				}
				o.headers = union(o.headers, slices.DeleteFunc(v, func(n string) bool { return strings.EqualFold(n, probeHeader) }), false)
			}
			if v := h.Get("Access-Control-Max-Age"); v != "" && o.maxAge == "" {
				o.maxAge = v
			}
			if v, _ := headerValue(h, "Access-Control-Allow-Private-Network"); v == "true" && r.probe.PrivateNetwork {
				o.privateNetwork = true
			}
		}
	}
	return o
}

// union adds the items of b to a that are not in it (case-insensitively
// unless caseSensitive, as methods are).
func union(a, b []string, caseSensitive bool) []string {
	for _, s := range b {
		if s == "*" {
			continue
		}
		if caseSensitive && !slices.Contains(a, s) || !caseSensitive && !containsFold(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// InferPolicy returns a crossgate policy file that describes what the
// targets of rep really enforce, one policy per target that allows any
// origin, each key with a comment saying what it was inferred from. A
// target that allows no origin gets no policy (no CORS at all), said in a
// comment. The file is what the deployment does, not what it should do:
// `crossgate lint` refuses it where the deployment is dangerous (an
// origin reflected with credentials becomes "*" with credentials, which
// it refuses with the reason). Inference is exact for the probes an audit
// sends: run with Options.Thorough, the audit with --policy of the file
// finds no conformance difference on the same targets.
func InferPolicy(rep *Report) ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	var head []string
	names := map[string]int{}
	for _, tr := range rep.Targets {
		o := tr.observed
		if o == nil {
			head = append(head, tr.URL+": not audited")
			continue
		}
		if tr.Error != "" {
			head = append(head, fmt.Sprintf("%s: %s; what it answered is inferred anyway", tr.URL, tr.Error))
		}
		if len(o.granted) == 0 && o.wildcard == "" {
			head = append(head, tr.URL+": no probe origin was allowed, so no policy (crossgate then sends no CORS headers there)")
			continue
		}
		list.Content = append(list.Content, o.policyNode(uniqueName(names, tr.URL)))
	}
	doc.Content = append(doc.Content, scalarNode("policies"), list)
	if len(list.Content) == 0 {
		list.Style = yaml.FlowStyle
	}
	doc.HeadComment = strings.Join(append([]string{
		"Inferred by crossgate audit --infer-policy from the answers to its probes: this is what the",
		"deployment enforces, not a recommendation. Check it with crossgate lint, fix it, then",
		"crossgate export it or serve it with crossgate proxy.",
	}, head...), "\n")
	b, err := yaml.Marshal(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}})
	if err != nil {
		return nil, fmt.Errorf("audit: writing the inferred policy: %w", err)
	}
	return b, nil
}

var nameRE = regexp.MustCompile(`[^a-z0-9]+`)

func uniqueName(names map[string]int, rawURL string) string {
	n := strings.Trim(nameRE.ReplaceAllString(strings.ToLower(strings.SplitN(rawURL, "://", 2)[1]), "-"), "-")
	if n == "" {
		n = "policy"
	}
	names[n]++
	if names[n] > 1 {
		n += "-" + strconv.Itoa(names[n])
	}
	return n
}

func (o *observation) policyNode(name string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node, comment string) {
		k := scalarNode(key)
		k.HeadComment = comment
		m.Content = append(m.Content, k, value)
	}
	t := o.target
	add("name", scalarNode(name), "from "+t.URL.String())
	match := &yaml.Node{Kind: yaml.MappingNode}
	match.Content = append(match.Content, scalarNode("hosts"), flowList([]string{t.Host}), scalarNode("paths"), flowList([]string{t.URL.Path}))
	add("match", match, "the URL audited")

	origins, why := o.origins()
	add("allow_origins", flowList(origins), why)
	if o.credentials > 0 {
		add("allow_credentials", scalarNode("true"), fmt.Sprintf("Access-Control-Allow-Credentials: true on %d of the %d answers that allowed the probe origin", o.credentials, o.credentialsOf))
	}
	switch {
	case o.anyMethod:
		add("allow_methods", flowList([]string{"*"}), fmt.Sprintf("the preflight for the made-up method %s was allowed: any method is echoed", probeMethod))
	case len(o.methods) > 0:
		add("allow_methods", flowList(o.methods), fmt.Sprintf("Access-Control-Allow-Methods of %d allowed preflights", o.methodsOf))
	}
	switch {
	case o.anyHeader:
		add("allow_headers", flowList(append([]string{"*"}, o.headers...)), fmt.Sprintf("the preflight for the made-up header %s was allowed: any header is echoed", strings.ToLower(probeHeader)))
	case len(o.headers) > 0:
		add("allow_headers", flowList(o.headers), fmt.Sprintf("Access-Control-Allow-Headers of %d allowed preflights", o.headersOf))
	}
	if len(o.expose) > 0 {
		add("expose_headers", flowList(o.expose), fmt.Sprintf("Access-Control-Expose-Headers of %d allowed responses", o.exposeOf))
	}
	if secs, err := strconv.Atoi(o.maxAge); err == nil && secs >= 0 {
		add("max_age", scalarNode((time.Duration(secs) * time.Second).String()), "Access-Control-Max-Age: "+o.maxAge+" on an allowed preflight")
	}
	if o.privateNetwork {
		add("allow_private_network", scalarNode("true"), "Access-Control-Allow-Private-Network: true on an allowed Private Network Access preflight")
	}
	if o.preflightStatus == http.StatusOK {
		add("preflight_status", scalarNode("200"), "allowed preflights were answered 200")
	}
	return m
}

// origins returns allow_origins and what it was inferred from: "*" where
// any origin is allowed (by "*" or by reflection), the patterns that
// granted probes imply (any subdomain, any port), and the other granted
// origins as they are.
func (o *observation) origins() ([]string, string) {
	if o.reflectAny {
		var sample []string
		for _, g := range o.granted {
			if len(sample) < 4 {
				sample = append(sample, g.origin)
			}
		}
		return []string{"*"}, fmt.Sprintf("every probe origin was reflected (%d, among them %s): the server allows any origin", len(o.granted), strings.Join(sample, ", "))
	}
	if o.wildcard != "" && len(o.granted) == 0 {
		return []string{"*"}, "Access-Control-Allow-Origin: * for " + o.wildcard
	}
	t := o.target
	var out, notes []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, g := range o.granted {
		switch g.class {
		case AnySubdomain:
			parent := strings.TrimPrefix(g.origin[strings.Index(g.origin, "://")+3:], "evil.")
			p := t.URL.Scheme + "://*." + parent
			// A one-label check (^https://[a-z]+\.parent$) allows
			// evil.parent and refuses evil.host.parent: "*." would
			// allow more than the server does.
			if slices.ContainsFunc(o.refused, func(r string) bool { return covers(p, r) }) {
				add(g.origin)
				continue
			}
			add(p)
			notes = append(notes, fmt.Sprintf("%s from %s", p, g.origin))
		case AnyPort:
			p := t.URL.Scheme + "://" + hostPort(t.Host, "", t.URL.Scheme) + ":*"
			add(p)
			notes = append(notes, fmt.Sprintf("%s from %s", p, g.origin))
		}
	}
	n, covered := 0, 0
	patterns := slices.Clone(out)
	for _, g := range o.granted {
		if g.class == AnySubdomain || g.class == AnyPort {
			continue
		}
		n++
		if slices.ContainsFunc(patterns, func(p string) bool { return covers(p, g.origin) }) {
			covered++
			continue
		}
		add(g.origin)
	}
	if o.wildcard != "" {
		add("*")
		notes = append(notes, "\"*\" for "+o.wildcard)
	}
	why := fmt.Sprintf("%s allowed by name (written back in Access-Control-Allow-Origin)", countOf(n, "probe origin"))
	if covered > 0 {
		why += fmt.Sprintf(", %d of them matched by a pattern below", covered)
	}
	if len(notes) > 0 {
		why += "; patterns implied: " + strings.Join(notes, "; ")
	}
	return out, why
}

// covers reports whether the origin pattern p (https://*.parent or
// https://host:*) matches origin o, as package cors matches them (it uses
// the same package, internal/origin).
func covers(p, o string) bool {
	pat, err := origin.ParsePattern(p)
	ro, ok := origin.Parse(o)
	return err == nil && ok && pat.Matches(ro)
}

func scalarNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func flowList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		// Tagged as a string, the encoder quotes what YAML would read
		// otherwise ("*", null, true ...).
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
	}
	return n
}
