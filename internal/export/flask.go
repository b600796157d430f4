package export

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Flask: a Python module that applies Flask-CORS to an app with one
// resources entry per route of the plan
// (https://flask-cors.readthedocs.io/en/latest/api.html). Written for
// Flask-CORS 3.0 (Debian 12) and later.
//
// Traps avoided (export-targets.md, Flask-CORS): a string holding any of
// * \ ] ? $ ^ [ ( ) is silently a regex matched with re.match (anchored at
// the start only), and other strings are compared case-insensitively, so
// every origin is a compiled, case-sensitive regex ^…\Z (which also makes
// Flask-CORS send Vary: Origin, which it leaves out for a single exact
// origin); resource keys are regexes too ("/v1/*" matches /v1x), so each
// is ^…\Z on segment boundaries, and excludes the more specific routes'
// paths, so that Flask-CORS's own ordering of resources does not matter;
// a max_age of 0 is dropped as falsy, so it is the string "0";
// allow_headers defaults to "*" and origins to "*", so both are always
// written; supports_credentials with "*" reflects any origin, which
// crossgate never writes; a preflight for a method Flask-CORS refuses
// still gets Access-Control-Allow-Origin, only no
// Access-Control-Allow-Methods, which lets that method through for a
// request with the use-CORS-preflight flag (Fetch, CORS-preflight fetch,
// step 7.4), so init_cors adds the policy's methods to such an answer.
var flaskTarget = &Target{
	Name:    "flask",
	Summary: "a Python module applying Flask-CORS to a Flask app, one resources entry per path (init_cors(app))",
	Comment: "# ",
	Render:  renderFlask,
	Caps: func() Caps {
		c := ProxyCaps()
		c.AnyMethod = Approx(`Flask-CORS checks the requested method against its list, so "*" is written as the standard methods`)
		c.AnyHeader = Approx(`Flask-CORS allows every requested header for "*", Authorization included`)
		c.PrivateNetwork = Approx("allow_private_network needs Flask-CORS 5.0 or later (Debian 12 ships 3.0.10, which ignores it)")
		c.PreflightStatus = No("Flask answers preflights itself (automatic OPTIONS) with 200")
		c.RefusedPreflight = Approx("Flask answers a refused preflight with 200 (without Access-Control-Allow-Origin for a refused origin; with it and the allowed methods, not the method or headers asked, for a refused method or header), and every OPTIONS without forwarding it to the view; browsers fail refused preflights all the same")
		c.PerHost = No("Flask-CORS matches paths only: match.hosts is ignored")
		c.PerPath = Approx("Flask-CORS matches the path as Werkzeug gives it, not normalised: a path with dot segments gets no CORS (browsers never send one), one with doubled slashes is matched as written")
		c.PerPolicyUpstream = NA("the app is the origin")
		c.StripUpstream = NA("the app is the origin; it must not set Access-Control-* headers itself")
		c.KeepUpstreamCORS = NA("the app is the origin")
		c.WebSocketNoOrigin = NA("a WSGI app takes no WebSocket handshakes")
		c.WebSocketOrigin = c.WebSocketNoOrigin
		c.Vary = Approx("Flask-CORS sends Vary: Origin only with Access-Control-Allow-Origin: refused origins and requests without Origin get none, and preflights no Vary on Access-Control-Request-Method or -Headers")
		return c
	}(),
}

// pyString is a Python raw string literal, or a plain one when s holds a
// quote or ends in a backslash.
func pyString(s string) string {
	if !strings.ContainsAny(s, `"`+"\n") && !strings.HasSuffix(s, `\`) {
		return `r"` + s + `"`
	}
	return strconv.Quote(s)
}

func pyList(items []string) string {
	return "[" + strings.Join(items, ", ") + "]"
}

func pyStrings(items []string) string {
	var out []string
	for _, s := range items {
		out = append(out, strconv.Quote(s))
	}
	return pyList(out)
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// pathRegex returns the Python regex of a route path, anchored, on
// segment boundaries: "/" every path, "/v1/" below it, "/v1" itself and
// below it.
func pathRegex(p string) string {
	q := regexp.QuoteMeta(p)
	switch {
	case p == "/":
		return `/.*`
	case strings.HasSuffix(p, "/"):
		return q + `.*`
	}
	return q + `(?:/.*)?`
}

// pyOriginRegexes returns the policy's origins as compiled regexes.
func pyOriginRegexes(p *Policy) []string {
	var out []string
	for _, o := range p.Exact {
		out = append(out, "re.compile("+pyString(ExactRegex(o, Python))+")")
	}
	for _, pat := range p.Patterns {
		out = append(out, "re.compile("+pyString(OriginRegex(pat, Python))+")")
	}
	return out
}

// allStandardMethods stands for "*" where a target compares methods.
var allStandardMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// appMethods returns the methods a framework that checks every request's
// method must allow: the CORS-safelisted ones and the policy's.
func appMethods(p *Policy) []string {
	if p.AnyMethod {
		return allStandardMethods
	}
	ms := slices.Clone(safelisted)
	for _, m := range p.Methods {
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	return ms
}

func renderFlask(pl *Plan, w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", generatedBy(pl, "flask"))
	b.WriteString(`#
# Use: from crossgate_cors import init_cors; init_cors(app)
# (Flask-CORS 3.0 or later; its after_request hook also covers error responses.)
import re

from flask import request
from flask_cors import CORS

# One entry per path of each policy, the more specific paths excluded from
# the less specific ones, so that each path has the policy crossgate gives it.
RESOURCES = {
`)
	var seen []string // the paths of the routes before, which win over later ones
	for _, r := range pathRoutes(pl) {
		p := r.Policy
		// Browsers remove dot segments before they send a URL; a path
		// that still has one gets no CORS rather than the policy of the
		// path it would normalise to (Caps.PerPath).
		key := `^(?!.*/\.{1,2}(?:/|\Z))`
		for _, s := range seen {
			if pathCovers(r.Path, s) {
				key += "(?!" + pathRegex(s) + `\Z)`
			}
		}
		key += pathRegex(r.Path) + `\Z`
		seen = append(seen, r.Path)
		fmt.Fprintf(&b, "    # policy %q\n", p.Name)
		fmt.Fprintf(&b, "    %s: {\n", pyString(key))
		if p.AnyOrigin {
			b.WriteString("        \"origins\": \"*\",\n        \"send_wildcard\": True,\n")
		} else {
			fmt.Fprintf(&b, "        \"origins\": %s,\n        \"send_wildcard\": False,\n", pyList(pyOriginRegexes(p)))
		}
		fmt.Fprintf(&b, "        \"supports_credentials\": %s,\n", pyBool(p.Credentials))
		fmt.Fprintf(&b, "        \"methods\": %s,\n", pyStrings(appMethods(p)))
		headers := slices.Clone(p.Headers)
		if p.AnyHeader {
			headers = []string{"*"}
		}
		fmt.Fprintf(&b, "        \"allow_headers\": %s,\n", pyStrings(headers))
		if p.ExposeHeaders != "" {
			fmt.Fprintf(&b, "        \"expose_headers\": %s,\n", pyStrings(strings.Split(p.ExposeHeaders, ",")))
		}
		if p.HasMaxAge {
			fmt.Fprintf(&b, "        \"max_age\": %s,  # a string: Flask-CORS drops a falsy 0\n", strconv.Quote(p.MaxAge))
		}
		if p.AllowPrivateNetwork {
			b.WriteString("        \"allow_private_network\": True,  # Flask-CORS 5.0 or later\n")
		}
		b.WriteString("        \"vary_header\": True,\n    },\n")
	}
	b.WriteString(`}


def _allow_methods(response):
    """Names the allowed methods in a preflight answer that lacks them.

    Flask-CORS writes Access-Control-Allow-Origin (and -Credentials) before
    it checks the method, and leaves out Access-Control-Allow-Methods for a
    method it refuses; a browser whose request has the use-CORS-preflight
    flag (an upload listener) then takes that method as allowed (Fetch,
    CORS-preflight fetch, step 7.4). With the list, as crossgate answers,
    the browser refuses it.
    """
    if (request.method == "OPTIONS" and "Access-Control-Allow-Origin" in response.headers
            and request.headers.get("Access-Control-Request-Method")
            and "Access-Control-Allow-Methods" not in response.headers):
        for path, options in RESOURCES.items():
            if re.match(path, request.path):
                response.headers["Access-Control-Allow-Methods"] = ", ".join(options["methods"])
                break
    return response


def init_cors(app):
    """Applies the policies to app; call it once, after creating the app."""
    # Registered first, so that it runs after Flask-CORS's own hook (Flask
    # runs after_request functions in reverse order of registration).
    app.after_request(_allow_methods)
    return CORS(app, resources=RESOURCES, intercept_exceptions=True)
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// pathRoutes returns the routes for a target that matches paths only,
// most specific first: the plan's routes in order, each path once (the
// first route that names it, which File.Route prefers).
func pathRoutes(pl *Plan) []Route {
	var out []Route
	for _, r := range pl.Routes {
		if !slices.ContainsFunc(out, func(o Route) bool { return o.Path == r.Path }) {
			out = append(out, r)
		}
	}
	// Longest path first among the kept ones, as File.Route orders the
	// paths of one host.
	slices.SortStableFunc(out, func(a, b Route) int { return len(b.Path) - len(a.Path) })
	return out
}
