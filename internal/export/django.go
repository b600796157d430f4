package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Django: the django-cors-headers settings of one policy
// (https://github.com/adamchainz/django-cors-headers#configuration), for
// `from crossgate_cors_settings import *` in settings.py. Written for
// django-cors-headers 3.14 (Debian 12) and later.
//
// Traps avoided (export-targets.md, django-cors-headers): origin regexes
// are matched with re.match, anchored at the start only, and "$" also
// matches before a final newline, so each origin, exact ones included, is
// ^…\Z; CORS_PREFLIGHT_MAX_AGE defaults to 86400 and a falsy value sends
// no header, so an absent max_age is written 0; CORS_ALLOW_METHODS and
// CORS_ALLOW_HEADERS default to permissive lists, so both are always
// written; CORS_URLS_REGEX is a regex on the raw path, so it is ^…\Z on
// segment boundaries. The settings are project-wide: one policy only.
var djangoTarget = &Target{
	Name:    "django",
	Summary: "django-cors-headers settings for one policy (from crossgate_cors_settings import * in settings.py)",
	Comment: "# ",
	Render:  renderDjango,
	Caps: func() Caps {
		c := ProxyCaps()
		c.Credentials = Approx("django-cors-headers before 4.3.0 sends Access-Control-Allow-Credentials: true to refused origins too (without Access-Control-Allow-Origin, so browsers still refuse them)")
		c.MaxAgeZero = No("a falsy CORS_PREFLIGHT_MAX_AGE sends no Access-Control-Max-Age, so browsers cache 5 s; 0 is written")
		c.PrivateNetwork = Approx("CORS_ALLOW_PRIVATE_NETWORK needs django-cors-headers 4.0 or later (Debian 12 ships 3.14, which ignores it)")
		c.PreflightStatus = No("django-cors-headers answers every preflight with 200")
		c.RefusedPreflight = Approx("django-cors-headers answers a refused preflight with 200 without Access-Control-Allow-Origin, not 403; browsers fail it all the same")
		c.PerHost = No("django-cors-headers matches paths only (CORS_URLS_REGEX): match.hosts is ignored")
		c.PerPath = Approx("CORS_URLS_REGEX is matched on the path as Django gets it, not normalised: a path with dot segments gets no CORS (browsers never send one), one with doubled slashes is matched as written")
		c.MultiplePolicies = No("django-cors-headers settings are project-wide: only the first policy is written, on its paths")
		c.PerPolicyUpstream = NA("the app is the origin")
		c.StripUpstream = NA("the app is the origin; it must not set Access-Control-* headers itself")
		c.KeepUpstreamCORS = NA("the app is the origin")
		c.WebSocketNoOrigin = NA("a WSGI app takes no WebSocket handshakes (Channels has its own origin check)")
		c.WebSocketOrigin = c.WebSocketNoOrigin
		c.Vary = Approx(`django-cors-headers sends Vary: Origin on every response of its paths, also for "*" and on preflights`)
		return c
	}(),
}

func renderDjango(pl *Plan, w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", generatedBy(pl, "django"))
	b.WriteString(`#
# Use: in settings.py, "from crossgate_cors_settings import *"; add "corsheaders"
# to INSTALLED_APPS and "corsheaders.middleware.CorsMiddleware" at the top of
# MIDDLEWARE (responses of the middleware above it get no CORS headers).
`)
	if len(pl.Policies) == 0 {
		b.WriteString("CORS_URLS_REGEX = r\"^(?!)\"  # no policy: CORS on no path\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	p := pl.Policies[0]
	fmt.Fprintf(&b, "# Policy %q.\n\n", p.Name)
	// The paths of p, less those that a more specific route of another
	// policy takes, and never a path with a dot segment.
	var alts []string
	var taken []string
	for _, r := range pathRoutes(pl) {
		if r.Policy != p {
			taken = append(taken, r.Path)
			continue
		}
		alt := ""
		for _, s := range taken {
			if pathCovers(r.Path, s) {
				alt += "(?!" + pathRegex(s) + `\Z)`
			}
		}
		alts = append(alts, alt+pathRegex(r.Path))
	}
	urls := `^(?!.*/\.{1,2}(?:/|\Z))(?:` + strings.Join(alts, "|") + `)\Z`
	fmt.Fprintf(&b, "CORS_URLS_REGEX = %s\n", pyString(urls))
	fmt.Fprintf(&b, "CORS_ALLOW_ALL_ORIGINS = %s\n", pyBool(p.AnyOrigin))
	b.WriteString("CORS_ALLOWED_ORIGINS = []  # every origin is an anchored regex below\n")
	var res []string
	for _, o := range p.Exact {
		res = append(res, pyString(ExactRegex(o, Python)))
	}
	for _, pat := range p.Patterns {
		res = append(res, pyString(OriginRegex(pat, Python)))
	}
	fmt.Fprintf(&b, "CORS_ALLOWED_ORIGIN_REGEXES = %s\n", pyList(res))
	fmt.Fprintf(&b, "CORS_ALLOW_CREDENTIALS = %s\n", pyBool(p.Credentials))
	methods := slices.Clone(p.Methods)
	if methods == nil {
		methods = []string{}
	}
	fmt.Fprintf(&b, "CORS_ALLOW_METHODS = %s\n", pyStrings(methods))
	headers := strings.Split(p.AllowHeaders, ",")
	if p.AllowHeaders == "" {
		headers = []string{}
	}
	fmt.Fprintf(&b, "CORS_ALLOW_HEADERS = %s\n", pyStrings(headers))
	expose := []string{}
	if p.ExposeHeaders != "" {
		expose = strings.Split(p.ExposeHeaders, ",")
	}
	fmt.Fprintf(&b, "CORS_EXPOSE_HEADERS = %s\n", pyStrings(expose))
	maxAge := 0
	if p.HasMaxAge {
		maxAge, _ = strconv.Atoi(p.MaxAge)
	}
	fmt.Fprintf(&b, "CORS_PREFLIGHT_MAX_AGE = %d  # 0 sends no header\n", maxAge)
	fmt.Fprintf(&b, "CORS_ALLOW_PRIVATE_NETWORK = %s  # django-cors-headers 4.0 or later\n", pyBool(p.AllowPrivateNetwork))
	_, err := io.WriteString(w, b.String())
	return err
}
