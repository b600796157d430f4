package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/internal/origin"
)

// Spring: a WebMvcConfigurer whose addCorsMappings registers one mapping
// per path of the plan, most specific first (Spring Framework 5.3+, 6.x;
// https://docs.spring.io/spring-framework/reference/web/webmvc-cors.html).
// Not run here (no Spring jars); checked by golden files.
//
// Traps avoided (export-targets.md, Spring): CorsRegistration starts from
// permissive defaults (origins "*", headers "*", maxAge 1800), so every
// field is written; allowedOriginPatterns("*") with credentials reflects
// any origin, so "*" is only ever allowedOrigins("*") without credentials;
// mappings are tried in registration order, so the most specific comes
// first; "/v1/**" also matches "/v1", which crossgate's "/v1/" does not,
// so "/v1" gets its own mapping first, with the policy crossgate gives it.
var springTarget = &Target{
	Name:    "spring",
	Summary: "a Spring MVC WebMvcConfigurer with addCorsMappings, one mapping per path (Spring Framework 5.3 or later)",
	Comment: "// ",
	Render:  renderSpring,
	Caps: func() Caps {
		c := ProxyCaps()
		c.AnyMethod = Approx(`for allowedMethods("*") Spring answers with the requested method`)
		c.AnyHeader = Approx(`for allowedHeaders("*") Spring answers with the requested headers, Authorization included`)
		c.MaxAgeAbsent = Approx("Spring sends Access-Control-Max-Age 1800 by default; 5 is written, the browsers' own default")
		c.PrivateNetwork = Approx("allowPrivateNetwork needs Spring Framework 6.1.3 or later")
		c.PreflightStatus = No("Spring answers preflights with 200")
		c.RefusedPreflight = Approx("Spring refuses a preflight with 403, and also a refused origin's actual request (403 before the handler runs, where crossgate lets it through without CORS headers); pages see the same failure")
		c.PerHost = No("CorsRegistry mappings match paths only: match.hosts is ignored")
		c.PerPath = Approx("mappings are matched on the path as Spring's path matching sees it")
		c.PerPolicyUpstream = NA("the app is the origin")
		c.StripUpstream = NA("the app is the origin; it must not set Access-Control-* headers itself")
		c.KeepUpstreamCORS = NA("the app is the origin")
		c.Vary = Approx("Spring sends Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers on every response of a mapping")
		c.WebSocketNoOrigin = No("WebSocket handshakes are checked by Spring WebSocket's setAllowedOrigins, which the export does not write")
		c.WebSocketOrigin = noWebSocketOrigin("a CorsRegistry mapping")
		c.ErrorResponses = Approx("MVC CORS mappings do not reach /error dispatches or Spring Security's 401 and 403; use a CorsFilter (or http.cors()) with the same configuration for those")
		return c
	}(),
}

func javaStrings(items []string) string {
	var q []string
	for _, s := range items {
		q = append(q, strconv.Quote(s))
	}
	return strings.Join(q, ", ")
}

// springPattern is a crossgate origin pattern in Spring's
// allowedOriginPatterns syntax: "*" for any subdomain labels, ":[*]" for
// any port or none (CorsConfiguration.OriginPattern).
func springPattern(p origin.Pattern) string {
	s := p.Scheme + "://"
	if p.Subdomains {
		s += "*."
	}
	s += p.Host
	switch {
	case p.Port == origin.AnyPort:
		s += ":[*]"
	case p.Port > 0:
		s += ":" + strconv.Itoa(p.Port)
	}
	return s
}

// springMapping is one addMapping: a path pattern and its policy.
type springMapping struct {
	Pattern string
	Policy  *Policy // nil: no CORS (a mapping that allows no origin)
}

// springMappings returns the mappings in registration order: the path
// routes longest first; "/x/" as "/x/**", preceded by "/x" with the
// policy crossgate gives "/x" (or none), since "/x/**" matches "/x"; "/x"
// as "/x/**", which matches "/x" and below; "/" as "/**". Before "/x",
// "/x/" itself with the policy of "/x/", as Spring 5.3 lets "/x" match
// "/x/" too.
func springMappings(pl *Plan) []springMapping {
	routes := pathRoutes(pl)
	var out []springMapping
	for _, r := range routes {
		switch {
		case r.Path == "/":
			out = append(out, springMapping{"/**", r.Policy})
		case strings.HasSuffix(r.Path, "/"):
			bare := strings.TrimSuffix(r.Path, "/")
			if !slices.ContainsFunc(routes, func(o Route) bool { return o.Path == bare }) {
				var next *Policy
				for _, o := range routes {
					if PathMatches(o.Path, bare) {
						next = o.Policy
						break
					}
				}
				// "/x/" first: with Spring 5.3's optional trailing
				// separator, the pattern "/x" also matches "/x/".
				out = append(out, springMapping{r.Path, r.Policy}, springMapping{bare, next})
			}
			out = append(out, springMapping{r.Path + "**", r.Policy})
		default:
			out = append(out, springMapping{r.Path + "/**", r.Policy})
		}
	}
	return out
}

func renderSpring(pl *Plan, w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "// %s\n", generatedBy(pl, "spring"))
	b.WriteString(`//
// Move it into a package your application scans. For CORS on Spring
// Security's 401/403 and on /error, give the same configuration to a
// CorsFilter (or http.cors()) as well.
package crossgate.cors;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.CorsRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

@Configuration
public class CrossgateCorsConfig implements WebMvcConfigurer {

    @Override
    public void addCorsMappings(CorsRegistry registry) {
        // Mappings are tried in this order, the most specific first.
`)
	for _, m := range springMappings(pl) {
		p := m.Policy
		if p == nil {
			fmt.Fprintf(&b, "        // No policy: allow no origin.\n        registry.addMapping(%s).allowedOrigins();\n", strconv.Quote(m.Pattern))
			continue
		}
		fmt.Fprintf(&b, "        // Policy %q.\n", p.Name)
		fmt.Fprintf(&b, "        registry.addMapping(%s)\n", strconv.Quote(m.Pattern))
		origins := slices.Clone(p.Exact)
		if p.AnyOrigin {
			origins = append([]string{"*"}, origins...)
		}
		fmt.Fprintf(&b, "            .allowedOrigins(%s)\n", javaStrings(origins))
		var pats []string
		for _, pat := range p.Patterns {
			pats = append(pats, springPattern(pat))
		}
		if len(pats) > 0 {
			fmt.Fprintf(&b, "            .allowedOriginPatterns(%s)\n", javaStrings(pats))
		}
		methods := appMethods(p)
		if p.AnyMethod {
			methods = []string{"*"}
		}
		fmt.Fprintf(&b, "            .allowedMethods(%s)\n", javaStrings(methods))
		headers := slices.Clone(p.Headers)
		if p.AnyHeader {
			headers = []string{"*"}
		}
		fmt.Fprintf(&b, "            .allowedHeaders(%s)\n", javaStrings(headers))
		var expose []string
		if p.ExposeHeaders != "" {
			expose = strings.Split(p.ExposeHeaders, ",")
		}
		fmt.Fprintf(&b, "            .exposedHeaders(%s)\n", javaStrings(expose))
		fmt.Fprintf(&b, "            .allowCredentials(%t)\n", p.Credentials)
		if p.AllowPrivateNetwork {
			b.WriteString("            .allowPrivateNetwork(true) // Spring Framework 6.1.3 or later\n")
		}
		maxAge := "5"
		if p.HasMaxAge {
			maxAge = p.MaxAge
		}
		fmt.Fprintf(&b, "            .maxAge(%sL);\n", maxAge)
	}
	b.WriteString("    }\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
