package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// Difference is one thing of a policy that a target cannot express
// exactly.
type Difference struct {
	Policy string // the policy's name; "" for the file as a whole
	// Field is the key path in the policy file, as lint names it:
	// "policies[1].allow_origins[2]", "policies[0].match.paths".
	Field string
	Value string // the value as written, or ""
	Level Level  // Unsupported or Approximate
	Limit string // the target's limit, from its Caps
	// Pos is where the policy starts in the file; zero for the file as a
	// whole.
	Pos policyfile.Pos
}

// String returns `policy "app": policies[1].allow_origins[2] "http://localhost:*": LIMIT (approximate)`.
func (d Difference) String() string {
	var b strings.Builder
	if d.Policy != "" {
		fmt.Fprintf(&b, "policy %q: ", d.Policy)
	}
	b.WriteString(d.Field)
	if d.Value != "" {
		fmt.Fprintf(&b, " %q", d.Value)
	}
	b.WriteString(": ")
	b.WriteString(d.Limit)
	if d.Level == Approximate {
		b.WriteString(" (approximated)")
	} else {
		b.WriteString(" (not expressed)")
	}
	return b.String()
}

// Check returns what the plan uses that caps cannot express exactly, in
// the order of the file.
func Check(pl *Plan, caps Caps) []Difference {
	var diffs []Difference
	add := func(p *Policy, c Cap, field, value string) {
		if c.Level == Exact || c.Level == NotApplicable {
			return
		}
		name, path, pos := "", field, policyfile.Pos{File: pl.File}
		if p != nil {
			name, pos = p.Name, p.Pos
			path = "policies[" + strconv.Itoa(p.Index) + "]"
			if field != "" {
				path += "." + field
			}
		}
		limit := c.Note
		if limit == "" {
			limit = "not supported by the target"
		}
		diffs = append(diffs, Difference{Policy: name, Field: path, Value: value, Level: c.Level, Limit: limit, Pos: pos})
	}
	if len(pl.Policies) > 1 {
		add(nil, caps.MultiplePolicies, "policies", strconv.Itoa(len(pl.Policies))+" policies")
	}
	for _, p := range pl.Policies {
		for i, s := range p.Origins {
			field := "allow_origins[" + strconv.Itoa(i) + "]"
			switch {
			case s == "*":
				add(p, caps.AnyOrigin, field, s)
			case strings.HasSuffix(s, ":*") && strings.Contains(s, "://*."):
				add(p, caps.Subdomains, field, s)
				add(p, caps.AnyPort, field, s)
			case strings.HasSuffix(s, ":*"):
				add(p, caps.AnyPort, field, s)
			case strings.Contains(s, "://*."):
				add(p, caps.Subdomains, field, s)
			default:
				add(p, caps.ExactOrigins, field, s)
			}
		}
		if p.Credentials {
			add(p, caps.Credentials, "allow_credentials", "true")
		} else if !p.AnyOrigin {
			add(p, caps.NoCredentials, "allow_credentials", "false")
		}
		if p.AnyMethod {
			add(p, caps.AnyMethod, "allow_methods", "*")
		}
		if p.AnyHeader {
			add(p, caps.AnyHeader, "allow_headers", "*")
		}
		if p.ExposeHeaders == "*" {
			add(p, caps.ExposeAll, "expose_headers", "*")
		}
		switch {
		case !p.HasMaxAge:
			add(p, caps.MaxAgeAbsent, "max_age", "")
		case p.MaxAge == "0":
			add(p, caps.MaxAgeZero, "max_age", "0")
		default:
			add(p, caps.MaxAge, "max_age", p.MaxAge+"s")
		}
		if p.AllowPrivateNetwork {
			add(p, caps.PrivateNetwork, "allow_private_network", "true")
		}
		if p.PreflightStatus != 204 {
			add(p, caps.PreflightStatus, "preflight_status", strconv.Itoa(p.PreflightStatus))
		}
		add(p, caps.RefusedPreflight, "", "")
		if len(p.Hosts) > 0 {
			add(p, caps.PerHost, "match.hosts", strings.Join(p.Hosts, ", "))
		}
		if len(p.Paths) > 0 {
			add(p, caps.PerPath, "match.paths", strings.Join(p.Paths, ", "))
		}
		if p.OwnUpstream {
			add(p, caps.PerPolicyUpstream, "upstream", p.Upstream)
		}
		if p.KeepUpstreamCORS {
			add(p, caps.KeepUpstreamCORS, "keep_upstream_cors", "true")
		} else {
			add(p, caps.StripUpstream, "", "")
		}
		add(p, caps.Vary, "", "")
		add(p, caps.ErrorResponses, "", "")
		if p.ProtectWrites {
			add(p, caps.ProtectWrites, "protect_writes", "true")
		}
		if p.WebSocketAllowNoOrigin {
			add(p, caps.WebSocketNoOrigin, "websocket_allow_no_origin", "true")
		}
	}
	if caps.Extra != nil {
		diffs = append(diffs, caps.Extra(pl)...)
	}
	if len(pl.Policies) > 0 {
		add(nil, caps.WebSocketOrigin, "policies", "")
	}
	return diffs
}

// WriteComment writes the differences as a comment block, each line
// starting with prefix ("# ", "// "), for the top of an export made with
// --allow-approximation.
func WriteComment(w io.Writer, target string, diffs []Difference, prefix string) error {
	if len(diffs) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%sAPPROXIMATE: %s cannot express this policy file exactly (crossgate export --allow-approximation):\n", prefix, target)
	for _, d := range diffs {
		fmt.Fprintf(&b, "%s  - %s\n", prefix, d)
	}
	b.WriteString(strings.TrimRight(prefix, " ") + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
