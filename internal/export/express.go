package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Express: a CommonJS module that applies the npm cors package
// (https://github.com/expressjs/cors, 2.8) to an app, choosing the
// policy per request by host and path as File.Route does, with one
// options delegate. The app is the origin, so there is no upstream.
//
// Traps avoided (export-targets.md, Express): RegExp origins are tested
// unanchored, so each is ^…$; origin: true with credentials reflects any
// origin, so the module decides the origin itself and hands cors the one
// it allows; cors answers every OPTIONS (plain ones too) with 204 and
// never calls next, also for refused origins, so the module refuses
// preflights itself (403) and passes plain OPTIONS as actual requests;
// without allowedHeaders cors reflects Access-Control-Request-Headers, so
// the list is always given; stacking one cors() per path runs them all,
// so there is one middleware. cors adds no Vary for the preflight's
// request headers and knows no private network access: the module adds
// them.
var expressTarget = &Target{
	Name:    "express",
	Summary: "a Node.js module applying the npm cors package to an Express app, per host and path (require('./crossgate-cors')(app) before any other middleware)",
	Comment: "// ",
	Render:  renderExpress,
	Caps: func() Caps {
		c := ProxyCaps()
		c.PerPolicyUpstream = NA("the app is the origin")
		c.StripUpstream = NA("the app is the origin; it must not set Access-Control-* headers itself")
		c.KeepUpstreamCORS = NA("the app is the origin")
		c.ProtectWrites = Yes
		c.WebSocketNoOrigin = Yes // checkWebSocket, and the middleware
		return c
	}(),
}

// jsValue is a value written as JavaScript: JSON, or raw code.
type jsValue struct {
	raw string
	v   any
}

func (j jsValue) String() string {
	if j.raw != "" {
		return j.raw
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(j.v)
	return strings.TrimSpace(b.String())
}

func jsString(s string) string { return jsValue{v: s}.String() }

func renderExpress(pl *Plan, w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "// %s\n", generatedBy(pl, "express"))
	b.WriteString(`//
// Use: npm install express cors; then, before any other middleware (so that
// authentication failures and errors carry the CORS headers too):
//   const app = require('express')();
//   require('./crossgate-cors')(app);
'use strict';

const cors = require('cors');

`)
	b.WriteString("// The policies, as crossgate decided them (internal/export Plan).\n")
	b.WriteString("const policies = [\n")
	for _, p := range pl.Policies {
		var origins []string
		for _, o := range p.Exact {
			origins = append(origins, jsString(o))
		}
		for _, pat := range p.Patterns {
			origins = append(origins, "/"+OriginRegex(pat, JS)+"/")
		}
		var maxAge string
		if p.HasMaxAge {
			maxAge = p.MaxAge
		} else {
			maxAge = "undefined"
		}
		fmt.Fprintf(&b, "  {\n    name: %s,\n", jsString(p.Name))
		fmt.Fprintf(&b, "    any: %t, // allow_origins is \"*\": Access-Control-Allow-Origin: *\n", p.AnyOrigin)
		fmt.Fprintf(&b, "    origins: [%s], // compared byte for byte; RegExps anchored\n", strings.Join(origins, ", "))
		fmt.Fprintf(&b, "    refuseAuthorization: %t,\n", p.RefuseAuthorization)
		fmt.Fprintf(&b, "    privateNetwork: %t,\n", p.AllowPrivateNetwork)
		fmt.Fprintf(&b, "    protectWrites: %t, // protect_writes: 403 for cross-origin writes from origins not allowed\n", p.ProtectWrites)
		fmt.Fprintf(&b, "    webSocketNoOrigin: %t, // websocket_allow_no_origin\n", p.WebSocketAllowNoOrigin)
		fmt.Fprintf(&b, "    varyActual: %s,\n", jsString(p.VaryActual))
		b.WriteString("    options: {\n")
		fmt.Fprintf(&b, "      credentials: %t,\n", p.Credentials)
		fmt.Fprintf(&b, "      methods: %s,\n", jsString(p.AllowMethods))
		headers := []string{}
		if p.AllowHeaders != "" {
			headers = strings.Split(p.AllowHeaders, ",")
		}
		// A list, even empty: cors reflects the request's headers when
		// allowedHeaders is undefined or "".
		fmt.Fprintf(&b, "      allowedHeaders: %s,\n", jsValue{v: headers})
		fmt.Fprintf(&b, "      exposedHeaders: %s,\n", jsString(p.ExposeHeaders))
		fmt.Fprintf(&b, "      maxAge: %s,\n", maxAge)
		fmt.Fprintf(&b, "      optionsSuccessStatus: %d,\n", p.PreflightStatus)
		b.WriteString("      preflightContinue: false,\n    },\n  },\n")
	}
	b.WriteString("];\n\n")
	b.WriteString("// Every (host, path) of every policy, the most specific first: the first\n// that matches a request is its policy.\nconst routes = [\n")
	index := map[*Policy]int{}
	for i, p := range pl.Policies {
		index[p] = i
	}
	for _, r := range pl.Routes {
		fmt.Fprintf(&b, "  { host: %s, path: %s, policy: %d },\n", jsString(r.Host), jsString(r.Path), index[r.Policy])
	}
	b.WriteString("];\n")
	// The syntax crossgate requires of a preflight's request method and
	// headers before it looks them up (internal/export regex.go).
	fmt.Fprintf(&b, "\nconst methodSyntax = new RegExp(%s);\nconst headersSyntax = new RegExp(%s);\n", jsString(MethodSyntaxRegex), jsString(HeadersSyntaxRegex))
	b.WriteString(expressRuntime)
	_, err := io.WriteString(w, b.String())
	return err
}

// expressRuntime is the module's code: the same matching as
// internal/policyfile (hosts without port, trailing dot and case; paths
// normalised as RFC 3986 §6.2.2 says and matched on segment boundaries),
// and the answers of the cors middleware's table in the README.
const expressRuntime = `
const unreserved = /[A-Za-z0-9\-._~]/;

// normalizePath decodes the percent-encoded unreserved characters,
// upper-cases the other escapes, removes "." and ".." segments and empty
// segments, and keeps a trailing slash (RFC 3986 §6.2.2).
function normalizePath(p) {
  if (!p.startsWith('/')) return p;
  p = p.replace(/%([0-9A-Fa-f]{2})/g, (m, hex) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return unreserved.test(c) ? c : '%' + hex.toUpperCase();
  });
  const out = [];
  const segs = p.split('/').slice(1);
  segs.forEach((s) => {
    if (s === '' || s === '.') return;
    if (s === '..') out.pop();
    else out.push(s);
  });
  let n = '/' + out.join('/');
  const last = segs[segs.length - 1];
  if (n !== '/' && (last === '' || last === '.' || last === '..')) n += '/';
  return n;
}

function pathMatches(prefix, p) {
  if (prefix === '/') return true;
  if (!p.startsWith(prefix)) return false;
  return p.length === prefix.length || prefix.endsWith('/') || p[prefix.length] === '/';
}

function hostMatches(pattern, host) {
  if (pattern === '') return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    return host.length > suffix.length && host.endsWith(suffix);
  }
  return host === pattern;
}

function requestHost(req) {
  let h = req.headers.host || '';
  if (h.startsWith('[')) h = h.slice(0, h.indexOf(']') + 1);
  else if (h.lastIndexOf(':') >= 0) h = h.slice(0, h.lastIndexOf(':'));
  return h.replace(/\.$/, '').toLowerCase();
}

function routeFor(host, path) {
  return routes.find((rt) => hostMatches(rt.host, host) && pathMatches(rt.path, path));
}

// policyFor returns the request's policy (null for none), or undefined
// for a path whose encoded slashes or backslashes would select another
// policy once decoded, which crossgate refuses with 400: the app might
// read the path decoded.
function policyFor(req) {
  const host = requestHost(req);
  // req.path in Express; the raw target's path on an 'upgrade' event.
  const raw = req.path !== undefined ? req.path : (req.url || '/').split('?')[0];
  const path = normalizePath(raw);
  const r = routeFor(host, path);
  if (path.includes('%2F') || path.includes('%5C')) {
    const decoded = normalizePath(path.replace(/%2F|%5C/g, '/'));
    if (routeFor(host, decoded) !== r) return undefined;
  }
  return r ? policies[r.policy] : null;
}

function originAllowed(p, origin) {
  if (p.any) return true;
  return p.origins.some((o) => (o instanceof RegExp ? o.test(origin) : o === origin));
}

// crossOriginWrite reports whether req is a write that protect_writes
// refuses: as Go's net/http.CrossOriginProtection decides (the cors
// package's Config.ProtectWrites builds on it), a method other than GET,
// HEAD and OPTIONS, with Sec-Fetch-Site other than same-origin and none,
// or without Sec-Fetch-Site an Origin whose host is not the Host; unless
// the request's one Origin is allowed.
function crossOriginWrite(p, req) {
  if (!p.protectWrites || ['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return false;
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return false;
  } else {
    if (origin === undefined) return false; // not from a browser
    try {
      if (new URL(origin).host === req.headers.host) return false;
    } catch (e) { /* a malformed Origin is cross-origin */ }
  }
  return !(origin !== undefined && originAllowed(p, origin));
}

function isWebSocket(req) {
  const list = (v) => (v || '').toLowerCase().split(',').map((x) => x.trim());
  return req.headers.upgrade !== undefined && list(req.headers.connection).includes('upgrade') &&
    list(req.headers.upgrade).includes('websocket');
}

// webSocketAllowed is crossgate's check of a WebSocket handshake, which
// CORS does not cover (RFC 6455 §10.2): its one Origin must be allowed by
// the policy or be the host's own; without Origin only under
// websocket_allow_no_origin.
function webSocketAllowed(p, req) {
  const origin = req.headers.origin;
  if (origin === undefined) return !!(p && p.webSocketNoOrigin);
  if (p && originAllowed(p, origin)) return true;
  const i = origin.indexOf('://');
  if (i < 0 || origin.includes(',') || /[/?#@\s]/.test(origin.slice(i + 3))) return false;
  return origin.slice(i + 3).toLowerCase() === (req.headers.host || '').toLowerCase();
}

// checkWebSocket reports whether the handshake req may proceed; a server
// that takes upgrades itself (server.on('upgrade')) must answer 403 when
// it may not. Requests that reach the middleware are checked there.
function checkWebSocket(req) {
  const p = policyFor(req);
  return p !== undefined && webSocketAllowed(p, req);
}

function vary(res, value) {
  if (value) value.split(', ').forEach((v) => res.vary(v));
}

function crossgateCors(req, res, next) {
  const p = policyFor(req);
  if (p === undefined) return res.status(400).type('text/plain').send('400 Bad Request: ambiguous path');
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS' && origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined;
  if (!p) {
    // No policy: no CORS headers, and preflights are refused, and
    // WebSocket handshakes but from the host's own origin.
    if (preflight) return res.status(403).end();
    if (isWebSocket(req) && !webSocketAllowed(null, req)) {
      return res.status(403).type('text/plain').send('403 Forbidden: WebSocket handshake refused');
    }
    return next();
  }
  const allowed = origin !== undefined && originAllowed(p, origin);
  if (isWebSocket(req) && !webSocketAllowed(p, req)) {
    // Refused with the CORS headers the policy gives every answer
    // (Vary: Origin, or for "*" Access-Control-Allow-Origin: *).
    vary(res, p.varyActual);
    const refuse = () => res.status(403).type('text/plain').send('403 Forbidden: WebSocket handshake refused');
    if (!p.any) return refuse();
    return cors(Object.assign({}, p.options, { origin: '*' }))(req, res, refuse);
  }
  if (crossOriginWrite(p, req)) {
    vary(res, p.varyActual);
    return res.status(403).type('text/plain').send('403 Forbidden: cross-origin write refused');
  }
  if (preflight) {
    const asked = (req.headers['access-control-request-headers'] || '').toLowerCase().split(',').map((s) => s.trim());
    if (!allowed) return res.status(403).end();
    const malformed = !methodSyntax.test(req.headers['access-control-request-method']) ||
      !headersSyntax.test(req.headers['access-control-request-headers'] || '');
    if (malformed || (p.refuseAuthorization && asked.includes('authorization'))) {
      // A method or header list crossgate cannot parse, or Authorization
      // under "*" (which never covers it): refused, as crossgate does.
      res.setHeader('Access-Control-Allow-Origin', p.any ? '*' : origin);
      return res.status(403).end();
    }
    if (p.privateNetwork && req.headers['access-control-request-private-network'] === 'true') {
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
    // cors adds Vary: Origin to preflight answers, which crossgate's do
    // not carry (they are not cached): let it continue here, drop that,
    // and answer as cors would have.
    const options = Object.assign({}, p.options, { origin: p.any ? '*' : origin, preflightContinue: true });
    return cors(options)(req, res, () => {
      res.removeHeader('Vary');
      res.statusCode = p.options.optionsSuccessStatus;
      res.setHeader('Content-Length', '0');
      res.end();
    });
  }
  vary(res, p.varyActual);
  if (!allowed && !p.any) return next();
  // cors treats every OPTIONS as a preflight; a plain OPTIONS is an
  // actual request, so cors sees it as one.
  const method = req.method;
  if (method === 'OPTIONS') req.method = 'GET';
  return cors(Object.assign({}, p.options, { origin: p.any ? '*' : origin }))(req, res, (err) => {
    req.method = method;
    next(err);
  });
}

module.exports = function (app) {
  app.use(crossgateCors);
  return app;
};
module.exports.middleware = crossgateCors;
module.exports.checkWebSocket = checkWebSocket;
module.exports.policyFor = policyFor;
module.exports.normalizePath = normalizePath;
`
