package audit_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// The second lab: an out-of-sample check of the adaptive audit. Its
// servers were written apart from the first lab's, after the
// misconfigurations reviewers meet in the wild (half-anchored and
// half-escaped regexes, endsWith/startsWith/contains checks, lists with
// null, checks that differ per path, per method or between preflight and
// actual request, Vary on some branches only, CR/LF decoding, redirects)
// and correct servers of other shapes. Each endpoint says only whether it
// is flawed: what counts is that the adaptive audit finds what the
// thorough battery finds.

// lab2Endpoint is an endpoint of the second lab: a lab endpoint served at
// path, and whether the thorough audit must find something on it (flawed
// true), nothing at all (clean true), or either (neither: servers whose
// flaw no probe can see, as a check that needs cookies).
type lab2Endpoint struct {
	endpoint
	path          string
	flawed, clean bool
	// knownMiss says why the adaptive audit, within its budget of
	// requests, finds less than the thorough one here: the test then
	// requires only that it finds nothing the thorough audit does not.
	knownMiss string
}

func (e lab2Endpoint) url() string { return strings.TrimSuffix(e.endpoint.url(), "/") + e.path }

// corsRule is how the second lab's servers decide: allow says whether an
// origin is allowed, for a request (nil: never); the rest shapes the
// answer.
type corsRule struct {
	allow func(r *http.Request, origin string) bool
	// creds: "always", "preflight" (only on preflights) or "".
	creds string
	// vary: "always", "allowed" (only when allowed), "simple" (not on
	// preflights), "origin" (only when the request has an Origin) or "".
	vary string
	// preflightStatus and preflightBody answer preflights (204 and none
	// by default).
	preflightStatus int
	preflightBody   string
	// methods and headers are the preflight's fixed lists.
	methods, headers string
}

func (c corsRule) handler(string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, hasOrigin := r.Header["Origin"]
		pre := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		ok := hasOrigin && c.allow != nil && c.allow(r, o[0])
		switch {
		case c.vary == "always",
			c.vary == "allowed" && ok,
			c.vary == "simple" && !pre,
			c.vary == "origin" && hasOrigin:
			w.Header().Add("Vary", "Origin")
		}
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", o[0])
			if c.creds == "always" || c.creds == "preflight" && pre {
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
		}
		if pre {
			if ok {
				w.Header().Set("Access-Control-Allow-Methods", cmp(c.methods, "GET, POST, PUT, DELETE"))
				w.Header().Set("Access-Control-Allow-Headers", cmp(c.headers, "Content-Type, Authorization"))
			}
			st := c.preflightStatus
			if st == 0 {
				st = http.StatusNoContent
			}
			w.WriteHeader(st)
			fmt.Fprint(w, c.preflightBody)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"account":"4242","owner":"bob"}`)
	})
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// re allows the origins a regexp matches, as written (anchors and
// escapes are the point).
func re(expr string) func(*http.Request, string) bool {
	rx := regexp.MustCompile(expr)
	return func(_ *http.Request, o string) bool { return rx.MatchString(o) }
}

// list allows the origins listed.
func list(origins ...string) func(*http.Request, string) bool {
	return func(_ *http.Request, o string) bool { return slices.Contains(origins, o) }
}

// hostCheck parses the origin and passes its scheme and host name to f.
func hostCheck(f func(scheme, host string) bool) func(*http.Request, string) bool {
	return func(_ *http.Request, o string) bool {
		u, err := url.Parse(o)
		return err == nil && u.Host != "" && f(u.Scheme, u.Hostname())
	}
}

func rule(allow func(*http.Request, string) bool) func(string) http.Handler {
	return corsRule{allow: allow, creds: "always", vary: "always"}.handler
}

func l2own(name string) string { return "https://" + name + "." + labDomain }

// rawDecoding writes the response by hand, as servers without header
// sanitising do, after URL-decoding Origin: allowed(decoded) decides, and
// the decoded value is written into header (ACAO when allowed, or a debug
// header always).
func rawDecoding(allowed func(dec string) bool, debug bool) func(string) http.Handler {
	return func(string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o, hasOrigin := r.Header["Origin"]
			dec := ""
			if hasOrigin {
				var err error
				if dec, err = url.QueryUnescape(o[0]); err != nil {
					dec = o[0]
				}
			}
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			defer conn.Close()
			status := "200 OK"
			if r.Method == http.MethodOptions {
				status = "204 No Content"
			}
			fmt.Fprintf(buf, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\nVary: Origin\r\n", status)
			if hasOrigin && debug && !strings.Contains(dec, "\r\n") {
				fmt.Fprintf(buf, "X-Request-Origin: %s\r\n", dec)
			}
			if hasOrigin && allowed(dec) {
				fmt.Fprintf(buf, "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\n", dec)
				if r.Method == http.MethodOptions {
					buf.WriteString("Access-Control-Allow-Methods: GET, PUT\r\nAccess-Control-Allow-Headers: Content-Type\r\n")
				}
			}
			buf.WriteString("\r\n")
			buf.Flush()
		})
	}
}

func lab2() []lab2Endpoint {
	flawed := func(name string, h func(string) http.Handler) lab2Endpoint {
		return lab2Endpoint{endpoint: endpoint{name: name, handler: h}, path: "/", flawed: true}
	}
	clean := func(name string, h func(string) http.Handler) lab2Endpoint {
		return lab2Endpoint{endpoint: endpoint{name: name, handler: h}, path: "/", clean: true}
	}
	either := func(name string, h func(string) http.Handler) lab2Endpoint {
		return lab2Endpoint{endpoint: endpoint{name: name, handler: h}, path: "/"}
	}
	at := func(e lab2Endpoint, path string) lab2Endpoint { e.path = path; return e }
	miss := func(e lab2Endpoint, why string) lab2Endpoint { e.knownMiss = why; return e }
	app := "https://app." + labDomain
	return []lab2Endpoint{
		// Regexes.
		flawed("l2-re-noend", rule(re(`^https://l2-re-noend\.victim\.test`))),
		flawed("l2-re-nostart", rule(re(`l2-re-nostart\.victim\.test$`))),
		// The first dot escaped, the second not.
		flawed("l2-re-halfdot", rule(re(`^https://l2-re-halfdot\.victim.test$`))),
		// The apex's dot unescaped, the rest fine.
		flawed("l2-re-apexdot", rule(re(`^https://(l2-re-apexdot|app)\.victim.test$`))),
		// One label of subdomain: evil.<host> does not match, evil.<domain> does.
		flawed("l2-re-onelabel", rule(re(`^https://[a-z0-9-]+\.victim\.test$`))),
		flawed("l2-re-port", rule(re(`^https://l2-re-port\.victim\.test(:\d+)?$`))),
		flawed("l2-re-localhost", rule(func(r *http.Request, o string) bool {
			return o == l2own("l2-re-localhost") || regexp.MustCompile(`^https?://(localhost|127\.0\.0\.1)`).MatchString(o)
		})),
		// String checks.
		flawed("l2-endswith-nodot", rule(hostCheck(func(s, h string) bool { return s == "https" && strings.HasSuffix(h, "victim.test") }))),
		// The registrable domain and every name under it.
		flawed("l2-registrable", rule(hostCheck(func(s, h string) bool {
			return s == "https" && (h == labDomain || strings.HasSuffix(h, "."+labDomain))
		}))),
		flawed("l2-startswith-apex", rule(func(_ *http.Request, o string) bool {
			return o == l2own("l2-startswith-apex") || strings.HasPrefix(o, "https://"+labDomain)
		})),
		flawed("l2-contains", rule(func(_ *http.Request, o string) bool { return strings.Contains(o, "l2-contains.victim.test") })),
		// Preview deployments: any *.vercel.app.
		miss(flawed("l2-vercel", rule(func(_ *http.Request, o string) bool {
			return o == l2own("l2-vercel") || strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".vercel.app")
		})), "third-party entries other than the leads (codepen.io, *.github.io) are sent by --thorough only"),
		flawed("l2-list-null", rule(list(l2own("l2-list-null"), app, "null"))),
		flawed("l2-list-http", rule(list(l2own("l2-list-http"), "http://l2-list-http."+labDomain))),
		// Reflects only under /api/, the URL audited.
		at(flawed("l2-path-reflect", rule(func(r *http.Request, o string) bool {
			return strings.HasPrefix(r.URL.Path, "/api/") || o == l2own("l2-path-reflect")
		})), "/api/v2/accounts"),
		// Preflights go through a gateway rule of their own (suffix, no
		// dot); actual requests through the application's strict list.
		miss(flawed("l2-preflight-suffix", func(own string) http.Handler {
			pre := corsRule{allow: func(_ *http.Request, o string) bool { return strings.HasSuffix(o, "victim.test") }, creds: "always", vary: "always"}.handler(own)
			app := rule(list(own, app))(own)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					pre.ServeHTTP(w, r)
					return
				}
				app.ServeHTTP(w, r)
			})
		}), "the preflight decides as the simple request for the own and the arbitrary origin, so no preflight battery"),
		// Reflects any origin, credentials only on preflights.
		flawed("l2-acac-preflight", corsRule{allow: func(*http.Request, string) bool { return true }, creds: "preflight", vary: "always"}.handler),
		// Writes (PUT, DELETE) reflect any origin; their preflight too.
		flawed("l2-per-method", rule(func(r *http.Request, o string) bool {
			return r.Method != http.MethodGet || o == l2own("l2-per-method")
		})),
		// Vary missing on preflights only. The thorough audit does not
		// flag it (vary-preflight-missing looks at the request headers).
		either("l2-vary-simple", corsRule{allow: list(l2own("l2-vary-simple"), app), creds: "always", vary: "simple"}.handler),
		// Vary only when the request has an Origin.
		flawed("l2-vary-origin", corsRule{allow: list(l2own("l2-vary-origin"), app), creds: "always", vary: "origin"}.handler),
		// Decodes Origin, refuses CR LF together, lets a lone LF through
		// into a debug header.
		flawed("l2-crlf-lf", rawDecoding(func(dec string) bool { return dec == l2own("l2-crlf-lf") }, true)),
		// Decodes Origin, allows by prefix, writes the decoded value back.
		flawed("l2-crlf-prefix", rawDecoding(func(dec string) bool { return strings.HasPrefix(dec, l2own("l2-crlf-prefix")) }, false)),
		// Redirects every request, preflights too, to HTTPS, with no CORS
		// header: the thorough audit finds nothing.
		{endpoint: endpoint{name: "l2-redirect", scheme: "http", handler: func(string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
			})
		}}, path: "/"},
		// A login redirect that reflects the origin with credentials.
		flawed("l2-redirect-reflect", func(string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if o := r.Header.Get("Origin"); o != "" {
					w.Header().Set("Access-Control-Allow-Origin", o)
					w.Header().Set("Access-Control-Allow-Credentials", "true")
					w.Header().Set("Vary", "Origin")
				}
				if r.Method == http.MethodOptions {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
			})
		}),

		// Flaws no probe can see: the audit sends no cookies and no POST.
		either("l2-creds-only", rule(func(r *http.Request, o string) bool {
			return r.Header.Get("Cookie") != "" || r.Header.Get("Authorization") != "" || o == l2own("l2-creds-only")
		})),
		either("l2-post-only", corsRule{allow: func(r *http.Request, o string) bool {
			return r.Method == http.MethodPost || o == l2own("l2-post-only")
		}, creds: "always", vary: "always"}.handler),

		// Correct, of different shapes.
		clean("l2-good-static", rule(list(l2own("l2-good-static"), app, "https://admin."+labDomain))),
		clean("l2-good-pattern", rule(re(`^https://(l2-good-pattern|app|admin)\.victim\.test$`))),
		// Preflights answered 200 with a body.
		clean("l2-good-preflight-200", corsRule{allow: list(l2own("l2-good-preflight-200"), app), creds: "always", vary: "always",
			preflightStatus: http.StatusOK, preflightBody: "<html><body>OK</body></html>"}.handler),
		// Decodes Origin but checks what it decoded exactly.
		clean("l2-good-decoding", rawDecoding(func(dec string) bool { return dec == l2own("l2-good-decoding") }, false)),
		// An API without CORS that answers 404 to everything.
		clean("l2-good-404", func(string) http.Handler { return http.NotFoundHandler() }),
		// A public API: "*", no credentials. Graded by exposure, so
		// either.
		either("l2-public", func(string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				if r.Method == http.MethodOptions {
					w.Header().Set("Access-Control-Allow-Methods", "GET")
					w.WriteHeader(http.StatusNoContent)
					return
				}
				fmt.Fprintln(w, `{"rates":[1,2,3]}`)
			})
		}),
	}
}

// lab2Targets returns the second lab's targets, in order.
func lab2Targets(tb testing.TB, eps []lab2Endpoint) []*audit.Target {
	tb.Helper()
	var ts []*audit.Target
	for _, e := range eps {
		t, err := audit.ParseTarget(e.url())
		if err != nil {
			tb.Fatal(err)
		}
		ts = append(ts, t)
	}
	return ts
}

func startLab2(tb testing.TB) ([]lab2Endpoint, *labServer) {
	tb.Helper()
	eps := lab2()
	var plain []endpoint
	for _, e := range eps {
		plain = append(plain, e.endpoint)
	}
	return eps, startLab(tb, plain)
}

func runLab2(tb testing.TB, eps []lab2Endpoint, l *labServer, thorough bool) *audit.Report {
	tb.Helper()
	rep, err := audit.Run(context.Background(), lab2Targets(tb, eps), audit.Options{
		KeepExchanges: true, Transport: l.transport(), Concurrency: 8, Thorough: thorough,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		tb.Fatal(err)
	}
	return rep
}

// On the second lab too, the adaptive audit finds on every endpoint the
// classes of the thorough battery at the same highest severity; the
// flawed endpoints are found flawed and the correct ones clean.
func TestLab2AdaptiveEqualsThorough(t *testing.T) {
	eps, l := startLab2(t)
	if len(eps) < 25 {
		t.Fatalf("the second lab has %d endpoints; want at least 25", len(eps))
	}
	thorough := runLab2(t, eps, l, true)
	adaptive := runLab2(t, eps, l, false)
	for i, e := range eps {
		want, got := worst(thorough, e.url()), worst(adaptive, e.url())
		switch {
		case e.knownMiss != "":
			for c := range got {
				if _, ok := want[c]; !ok || got[c] > want[c] {
					t.Errorf("%s: adaptive found %v; thorough %v", e.name, fmtClasses(got), fmtClasses(want))
				}
			}
			if !maps.Equal(got, want) {
				t.Logf("%s: known miss (%s): adaptive found %v; thorough %v", e.name, e.knownMiss, fmtClasses(got), fmtClasses(want))
			}
		case !maps.Equal(got, want):
			t.Errorf("%s: adaptive found %v; thorough %v", e.name, fmtClasses(got), fmtClasses(want))
		}
		if e.flawed && len(want) == 0 {
			t.Errorf("%s: flawed, but the thorough audit finds nothing", e.name)
		}
		if e.clean && len(want) > 0 {
			t.Errorf("%s: correct, but the thorough audit finds %v", e.name, fmtClasses(want))
		}
		a, th := adaptive.Targets[i].Requests, thorough.Targets[i].Requests
		if a > th {
			t.Errorf("%s: adaptive sent %d requests, thorough %d", e.name, a, th)
		}
		t.Logf("%-22s adaptive %3d thorough %3d %v", e.name, a, th, fmtClasses(want))
	}
	n := float64(len(eps))
	t.Logf("requests per endpoint over %d endpoints: adaptive %.1f, thorough %.1f", len(eps), float64(adaptive.Requests())/n, float64(thorough.Requests())/n)
}

// The policy inferred from an endpoint of the second lab, where crossgate
// can write it, passes its own audit: no conformance finding.
func TestLab2InferPolicyRoundTrip(t *testing.T) {
	eps, l := startLab2(t)
	rep := runLab2(t, eps, l, true)
	loaded := 0
	for i, e := range eps {
		b, err := audit.InferPolicy(&audit.Report{Targets: rep.Targets[i : i+1]})
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		f, err := policyfile.Parse(e.name+".yaml", b)
		if err != nil {
			t.Logf("%s: inferred policy refused: %v", e.name, err)
			continue
		}
		loaded++
		got, err := audit.Run(context.Background(), lab2Targets(t, eps)[i:i+1], audit.Options{Transport: l.transport(), Policy: f})
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range got.Findings {
			if fd.Class == audit.PolicyAllowedRefused || fd.Class == audit.PolicyExceeded {
				t.Errorf("%s: conformance finding %s %s %s: %s\n%s", e.name, fd.Class, fd.Kind, fd.ProbeOrigin, fd.Detail, b)
			}
		}
	}
	t.Logf("%d of %d inferred policies load", loaded, len(eps))
	if loaded < 8 {
		t.Errorf("only %d inferred policies load", loaded)
	}
}

// BenchmarkAuditLab2 audits the second lab in both modes and reports the
// requests per endpoint.
func BenchmarkAuditLab2(b *testing.B) {
	for _, thorough := range []bool{false, true} {
		name := "mode=adaptive"
		if thorough {
			name = "mode=thorough"
		}
		b.Run(name, func(b *testing.B) {
			eps, l := startLab2(b)
			requests := 0
			for b.Loop() {
				rep, err := audit.Run(context.Background(), lab2Targets(b, eps), audit.Options{Transport: l.transport(), Concurrency: 8, Thorough: thorough})
				if err != nil {
					b.Fatal(err)
				}
				if err := rep.Err(); err != nil {
					b.Fatal(err)
				}
				requests = rep.Requests()
			}
			b.ReportMetric(float64(requests)/float64(len(eps)), "requests/endpoint")
		})
	}
}
