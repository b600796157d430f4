package export

import "strconv"

// Level is how well a target expresses one feature of a policy.
type Level int

const (
	// Unsupported: the target cannot express it at all. It is the zero
	// Level, so that a capability nobody filled in is never taken as
	// exact.
	Unsupported Level = iota
	// Approximate: the target expresses something close; Note says what
	// differs.
	Approximate
	// Exact: the target does what crossgate does.
	Exact
	// NotApplicable: the feature means nothing on this target (stripping
	// an upstream's headers on a bucket that is its own origin).
	NotApplicable
)

func (l Level) String() string {
	switch l {
	case Unsupported:
		return "unsupported"
	case Approximate:
		return "approximate"
	case Exact:
		return "exact"
	case NotApplicable:
		return "n/a"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// Cap is one capability of a target: its level, and for anything but
// Exact, the target's limit in a phrase ("Traefik always answers
// preflights with 200").
type Cap struct {
	Level Level
	Note  string
}

// Yes is an exact capability.
var Yes = Cap{Level: Exact}

// No returns an unsupported capability with the target's limit.
func No(note string) Cap { return Cap{Level: Unsupported, Note: note} }

// Approx returns an approximate capability with what differs.
func Approx(note string) Cap { return Cap{Level: Approximate, Note: note} }

// NA is a capability that does not apply to the target.
func NA(note string) Cap { return Cap{Level: NotApplicable, Note: note} }

// Caps is what a target can express, one Cap per feature a policy can
// use. [Check] reads it for export's refusals, --allow-approximation's
// comments and lint --target; the README's table is checked against it.
type Caps struct {
	// Origins.
	ExactOrigins Cap // byte-exact origins
	Subdomains   Cap // https://*.example.com: any depth, never the apex
	AnyPort      Cap // http://localhost:*
	AnyOrigin    Cap // "*", sent literally

	// Credentials: Access-Control-Allow-Credentials with the reflected
	// origin, and only to allowed origins.
	Credentials Cap
	// NoCredentials: exact origins without Access-Control-Allow-Credentials
	// (the buckets that add it to every match cannot).
	NoCredentials Cap

	AnyMethod Cap // allow_methods: ["*"]
	AnyHeader Cap // allow_headers: ["*"] (and never covering Authorization)
	ExposeAll Cap // expose_headers: ["*"]

	MaxAge       Cap // a positive max_age
	MaxAgeZero   Cap // max_age: 0, sent as Access-Control-Max-Age: 0
	MaxAgeAbsent Cap // no max_age, so no header (browsers cache 5 s)

	PrivateNetwork  Cap // allow_private_network
	PreflightStatus Cap // a preflight_status other than 204
	// RefusedPreflight: a refused preflight is answered 403 at the edge,
	// never forwarded, while a plain OPTIONS (no
	// Access-Control-Request-Method) is forwarded.
	RefusedPreflight Cap

	// Routing.
	PerHost           Cap // match.hosts
	PerPath           Cap // match.paths: segment prefixes, normalised paths, most specific wins
	MultiplePolicies  Cap // more than one policy in the file
	PerPolicyUpstream Cap // policies[].upstream

	// Responses.
	StripUpstream    Cap // the upstream's Access-Control-* headers removed
	KeepUpstreamCORS Cap // keep_upstream_cors: true
	Vary             Cap // Vary: Origin wherever the answer depends on the origin, and the preflight's
	ErrorResponses   Cap // CORS headers on the upstream's errors and the server's own

	// Beyond CORS.
	ProtectWrites     Cap // protect_writes: 403 for cross-origin writes from origins not allowed
	WebSocketNoOrigin Cap // websocket_allow_no_origin: handshakes without Origin let through
	// WebSocketOrigin: WebSocket handshakes from origins the policies do
	// not allow refused, as crossgate proxy refuses them (CORS does not
	// cover them, RFC 6455 §10.2). Checked once per file.
	WebSocketOrigin Cap

	// Extra, when set, returns the target's limits that no field above
	// names (S3's five methods, a maximum number of rules...).
	Extra func(*Plan) []Difference
}

// capField names a Caps field for the README table and the checks.
type capField struct {
	Name string // as in the README table
	Get  func(*Caps) Cap
}

// CapFields are the Caps fields in the order of the README's table.
var CapFields = []capField{
	{"exact origins", func(c *Caps) Cap { return c.ExactOrigins }},
	{"`*.sub`", func(c *Caps) Cap { return c.Subdomains }},
	{"`:*`", func(c *Caps) Cap { return c.AnyPort }},
	{"`*`", func(c *Caps) Cap { return c.AnyOrigin }},
	{"credentials", func(c *Caps) Cap { return c.Credentials }},
	{"no credentials", func(c *Caps) Cap { return c.NoCredentials }},
	{"methods `*`", func(c *Caps) Cap { return c.AnyMethod }},
	{"headers `*`", func(c *Caps) Cap { return c.AnyHeader }},
	{"expose `*`", func(c *Caps) Cap { return c.ExposeAll }},
	{"max_age", func(c *Caps) Cap { return c.MaxAge }},
	{"max_age 0", func(c *Caps) Cap { return c.MaxAgeZero }},
	{"max_age absent", func(c *Caps) Cap { return c.MaxAgeAbsent }},
	{"private network", func(c *Caps) Cap { return c.PrivateNetwork }},
	{"preflight_status", func(c *Caps) Cap { return c.PreflightStatus }},
	{"refused preflight 403", func(c *Caps) Cap { return c.RefusedPreflight }},
	{"hosts", func(c *Caps) Cap { return c.PerHost }},
	{"paths", func(c *Caps) Cap { return c.PerPath }},
	{"several policies", func(c *Caps) Cap { return c.MultiplePolicies }},
	{"per-policy upstream", func(c *Caps) Cap { return c.PerPolicyUpstream }},
	{"strip upstream CORS", func(c *Caps) Cap { return c.StripUpstream }},
	{"keep_upstream_cors", func(c *Caps) Cap { return c.KeepUpstreamCORS }},
	{"Vary", func(c *Caps) Cap { return c.Vary }},
	{"CORS on errors", func(c *Caps) Cap { return c.ErrorResponses }},
	{"protect_writes", func(c *Caps) Cap { return c.ProtectWrites }},
	{"websocket_allow_no_origin", func(c *Caps) Cap { return c.WebSocketNoOrigin }},
	{"WebSocket Origin check", func(c *Caps) Cap { return c.WebSocketOrigin }},
}

// ProxyCaps are the capabilities of a server that can do everything
// crossgate proxy does for CORS, the starting point of nginx, Apache,
// HAProxy and Caddy, which override what they lack. ProtectWrites and
// WebSocketNoOrigin are No here: a target that renders crossgate proxy's
// refusals beyond CORS (cross-origin writes, WebSocket handshakes) sets
// them itself.
func ProxyCaps() Caps {
	return Caps{
		ExactOrigins: Yes, Subdomains: Yes, AnyPort: Yes, AnyOrigin: Yes,
		Credentials: Yes, NoCredentials: Yes,
		AnyMethod: Yes, AnyHeader: Yes, ExposeAll: Yes,
		MaxAge: Yes, MaxAgeZero: Yes, MaxAgeAbsent: Yes,
		PrivateNetwork: Yes, PreflightStatus: Yes, RefusedPreflight: Yes,
		PerHost: Yes, PerPath: Yes, MultiplePolicies: Yes, PerPolicyUpstream: Yes,
		StripUpstream: Yes, KeepUpstreamCORS: Yes, Vary: Yes, ErrorResponses: Yes,
		// crossgate proxy's refusals beyond CORS: a target that renders
		// them sets them itself (nginx, Apache, HAProxy and Caddy do).
		ProtectWrites:     No("protect_writes is not rendered: cross-origin writes reach the upstream"),
		WebSocketNoOrigin: No("websocket_allow_no_origin is not rendered: crossgate proxy's WebSocket origin check is not exported"),
		// A target that forwards WebSocket handshakes unchecked says so
		// (noWebSocketOrigin).
		WebSocketOrigin: Yes,
	}
}

// noWebSocketOrigin is the WebSocketOrigin of a target that forwards
// WebSocket handshakes without checking their Origin.
func noWebSocketOrigin(target string) Cap {
	return No(target + " does not check a WebSocket handshake's Origin: handshakes from origins the policies do not allow reach the upstream (check Origin in the WebSocket server)")
}
