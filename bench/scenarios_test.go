package bench

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	chicors "github.com/go-chi/cors"
	rscors "github.com/rs/cors"

	"github.com/crossgate/crossgate/cors"
)

// policy is one CORS policy, written once and expressed in each library
// as faithfully as the library allows.
type policy struct {
	origins     []string // exact origins, "https://*.example.com" patterns, or "*"
	credentials bool
	methods     []string // allowed beyond the CORS-safelisted GET, HEAD and POST
	headers     []string // allowed request headers
	expose      []string // exposed response headers
	maxAge      int      // seconds; 0 sends no Access-Control-Max-Age
}

// The CORS-safelisted methods. The Fetch standard never preflights them,
// so crossgate allows them whatever the policy lists; rs/cors and
// go-chi/cors check the method of actual requests too, so they must be
// told about them, or they would not answer a GET with
// Access-Control-Allow-Origin.
var safelistedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost}

func (p policy) crossgate() cors.Config {
	return cors.Config{
		AllowOrigins:     p.origins,
		AllowCredentials: p.credentials,
		AllowMethods:     p.methods,
		AllowHeaders:     p.headers,
		ExposeHeaders:    p.expose,
		MaxAge:           time.Duration(p.maxAge) * time.Second,
	}
}

func (p policy) rs() rscors.Options {
	return rscors.Options{
		AllowedOrigins:   p.origins,
		AllowCredentials: p.credentials,
		AllowedMethods:   slices.Concat(safelistedMethods, p.methods),
		AllowedHeaders:   p.headers,
		ExposedHeaders:   p.expose,
		MaxAge:           p.maxAge,
	}
}

func (p policy) chi() chicors.Options {
	return chicors.Options{
		AllowedOrigins:   p.origins,
		AllowCredentials: p.credentials,
		AllowedMethods:   slices.Concat(safelistedMethods, p.methods),
		// go-chi/cors appends "Origin" to AllowedHeaders: give it a
		// slice it cannot write through.
		AllowedHeaders: slices.Clip(p.headers),
		ExposedHeaders: p.expose,
		MaxAge:         p.maxAge,
	}
}

// A library under test: its name in the benchmark's mw= key, and how it
// wraps a handler in a policy.
type library struct {
	name string
	wrap func(policy, http.Handler) (http.Handler, error)
}

var libraries = []library{
	{"none", func(_ policy, h http.Handler) (http.Handler, error) { return h, nil }},
	{"crossgate", wrapCrossgate},
	{"rs", func(p policy, h http.Handler) (http.Handler, error) { return rscors.New(p.rs()).Handler(h), nil }},
	{"chi", func(p policy, h http.Handler) (http.Handler, error) { return chicors.New(p.chi()).Handler(h), nil }},
}

func wrapCrossgate(p policy, h http.Handler) (http.Handler, error) {
	mw, err := cors.New(p.crossgate())
	if err != nil {
		return nil, err
	}
	return mw.Wrap(h), nil
}

// scenario is one request against one policy, and what crossgate must
// answer to it.
type scenario struct {
	name   string // key=value pairs, for benchstat
	policy policy
	req    *http.Request
	// outerVary, when not nil, is the Vary value an outer middleware sets
	// before the CORS middleware runs.
	outerVary []string
	want      want
	// skip says, per library, why it cannot express the scenario.
	skip map[string]string
	// differs says, per library, why its verdict (does the browser let
	// the page read the response, or send the actual request?) knowingly
	// differs from crossgate's.
	differs map[string]string
}

// want is what crossgate's response to a scenario must be.
type want struct {
	preflight bool     // answered by the middleware; the handler must not run
	status    int      // the preflight's status
	acao      string   // Access-Control-Allow-Origin, "" for none
	acac      bool     // Access-Control-Allow-Credentials: true
	acam      string   // a method Access-Control-Allow-Methods must list
	acah      []string // names Access-Control-Allow-Headers must list
	aceh      string   // a name Access-Control-Expose-Headers must list
	vary      []string // names Vary must list
	noVary    bool     // no Vary at all (a "*" policy needs none; a preflight never gets one)
	noHeaders bool     // the middleware sets no header: it must not allocate
}

// handler returns h wrapped by lib under s's policy, inside the outer
// middleware when s has one.
func (s *scenario) handler(lib library, h http.Handler) (http.Handler, error) {
	h, err := lib.wrap(s.policy, h)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", s.name, lib.name, err)
	}
	if s.outerVary != nil {
		h = presetVary(s.outerVary, h)
	}
	return h, nil
}

// presetVary is an outer middleware (compression, say) that sets Vary
// before calling next. v must have len == cap, so that a middleware that
// appends to it gets a new array rather than writing into v.
func presetVary(v []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Vary"] = v
		next.ServeHTTP(w, r)
	})
}

// noop is the wrapped handler: it does nothing, so that the figures are
// the middleware's.
var noop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// discard is a reusable ResponseWriter: the caller clears its header map
// between requests, and it throws everything else away.
type discard struct{ h http.Header }

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) WriteHeader(int)             {}
func (w *discard) Write(p []byte) (int, error) { return len(p), nil }

func newDiscard() *discard { return &discard{h: make(http.Header)} }

// request builds a request once; the benchmarks reuse it.
func request(method string, hdr ...string) *http.Request {
	r := httptest.NewRequest(method, "https://api.example.com/v1/items", nil)
	for i := 0; i < len(hdr); i += 2 {
		r.Header[hdr[i]] = []string{hdr[i+1]}
	}
	return r
}

const (
	hOrigin = "Origin"
	hACRM   = "Access-Control-Request-Method"
	hACRH   = "Access-Control-Request-Headers"
)

// ---- The crossgate scenarios (BenchmarkMiddleware) ----

const (
	appOrigin  = "https://app.example.com"
	evilOrigin = "https://evil.example.org"
)

// basePolicy is a typical single-page-application API policy.
var basePolicy = policy{
	origins: []string{appOrigin},
	methods: []string{http.MethodPut, http.MethodDelete},
	headers: []string{"Content-Type", "X-Request-Id"},
	maxAge:  600,
}

// 100 exact origins and 10 subdomain patterns, none covering another.
var (
	exactOrigins     = numbered("https://www.site%03d.example.com", 100)
	subdomainOrigins = numbered("https://*.tenant%d.example.net", 10)
	manyPolicy       = policy{
		origins: slices.Concat(exactOrigins, subdomainOrigins),
		methods: basePolicy.methods,
		headers: basePolicy.headers,
		maxAge:  basePolicy.maxAge,
	}
)

// The credentialed policy with many request headers. jub0bs/cors's
// benchmark allows any request header ("*") with credentials; crossgate
// refuses "*" with credentials by design (browsers read it literally), so
// every library gets the same explicit list of 16 names instead.
var (
	manyHeaders = slices.Concat(
		[]string{"Accept", "Authorization", "Content-Type", "X-Requested-With"},
		numbered("X-H%c", 12, 'a'),
	)
	credPolicy = policy{
		origins:     []string{appOrigin},
		credentials: true,
		methods:     []string{http.MethodPut, http.MethodPatch, http.MethodDelete},
		headers:     manyHeaders,
		expose:      []string{"X-Total-Count"},
		maxAge:      7200,
	}
)

// The Access-Control-Request-Headers a browser sends for manyHeaders:
// lower case, sorted, joined by commas.
var manyHeadersACRH = func() string {
	l := make([]string, len(manyHeaders))
	for i, h := range manyHeaders {
		l[i] = strings.ToLower(h)
	}
	slices.Sort(l)
	return strings.Join(l, ",")
}()

var (
	anyPolicy = policy{origins: []string{"*"}, methods: basePolicy.methods, headers: basePolicy.headers}

	varyAcceptEncoding = []string{"Accept-Encoding"}
	varyOrigin         = []string{"Origin"}
)

func middlewareScenarios() []*scenario {
	return []*scenario{{
		name:   "scenario=no-origin",
		policy: basePolicy,
		req:    request(http.MethodGet),
		want:   want{vary: []string{"Origin"}},
	}, {
		name:   "scenario=allowed-actual",
		policy: basePolicy,
		req:    request(http.MethodGet, hOrigin, appOrigin),
		want:   want{acao: appOrigin, vary: []string{"Origin"}},
	}, {
		name:   "scenario=disallowed-actual",
		policy: basePolicy,
		req:    request(http.MethodGet, hOrigin, evilOrigin),
		want:   want{vary: []string{"Origin"}},
	}, {
		name:   "scenario=110-origins-exact",
		policy: manyPolicy,
		req:    request(http.MethodGet, hOrigin, exactOrigins[len(exactOrigins)-1]),
		want:   want{acao: exactOrigins[len(exactOrigins)-1], vary: []string{"Origin"}},
	}, {
		name:   "scenario=110-origins-pattern",
		policy: manyPolicy,
		req:    request(http.MethodGet, hOrigin, "https://eu.app.tenant9.example.net"),
		want:   want{acao: "https://eu.app.tenant9.example.net", vary: []string{"Origin"}},
	}, {
		name:   "scenario=110-origins-disallowed",
		policy: manyPolicy,
		req:    request(http.MethodGet, hOrigin, "https://tenant9.example.net"), // the apex is not a subdomain
		want:   want{vary: []string{"Origin"}},
	}, {
		name:   "scenario=preflight-allowed",
		policy: basePolicy,
		req:    request(http.MethodOptions, hOrigin, appOrigin, hACRM, http.MethodPut, hACRH, "content-type,x-request-id"),
		want: want{preflight: true, status: http.StatusNoContent, acao: appOrigin,
			acam: http.MethodPut, acah: []string{"content-type", "x-request-id"}},
	}, {
		name:   "scenario=preflight-disallowed-origin",
		policy: basePolicy,
		req:    request(http.MethodOptions, hOrigin, evilOrigin, hACRM, http.MethodPut, hACRH, "content-type,x-request-id"),
		want:   want{preflight: true, status: http.StatusForbidden, noHeaders: true},
	}, {
		// A request-header list longer than any the policy allows is
		// refused unread: 403, and no header at all.
		name:   "scenario=preflight-acrh-1MiB-commas",
		policy: basePolicy,
		req:    request(http.MethodOptions, hOrigin, appOrigin, hACRM, http.MethodPut, hACRH, strings.Repeat(",", 1<<20)),
		want:   want{preflight: true, status: http.StatusForbidden, noHeaders: true},
		differs: map[string]string{
			"chi": "go-chi/cors reads the whole 1 MiB, finds no header name in it and allows the preflight",
		},
	}, {
		name:   "scenario=any-origin-actual",
		policy: anyPolicy,
		req:    request(http.MethodGet, hOrigin, appOrigin),
		want:   want{acao: "*", noVary: true},
	}, {
		name:   "scenario=any-origin-preflight",
		policy: anyPolicy,
		req:    request(http.MethodOptions, hOrigin, appOrigin, hACRM, http.MethodPut, hACRH, "content-type,x-request-id"),
		want: want{preflight: true, status: http.StatusNoContent, acao: "*",
			acam: http.MethodPut, acah: []string{"content-type", "x-request-id"}},
	}, {
		name:      "scenario=outer-vary-actual",
		policy:    basePolicy,
		outerVary: varyAcceptEncoding,
		req:       request(http.MethodGet, hOrigin, appOrigin),
		want:      want{acao: appOrigin, vary: []string{"Accept-Encoding", "Origin"}},
	}, {
		name:      "scenario=outer-vary-preflight",
		policy:    basePolicy,
		outerVary: varyAcceptEncoding,
		req:       request(http.MethodOptions, hOrigin, appOrigin, hACRM, http.MethodPut, hACRH, "content-type,x-request-id"),
		want: want{preflight: true, status: http.StatusNoContent, acao: appOrigin,
			acam: http.MethodPut, acah: []string{"content-type", "x-request-id"},
			vary: varyAcceptEncoding},
	}, {
		// The outer middleware already says Vary: Origin, and the origin
		// is refused: crossgate has nothing to add, so it writes nothing.
		name:      "scenario=outer-vary-origin-disallowed",
		policy:    basePolicy,
		outerVary: varyOrigin,
		req:       request(http.MethodGet, hOrigin, evilOrigin),
		want:      want{vary: []string{"Origin"}, noHeaders: true},
	}, {
		name:   "scenario=cred-actual",
		policy: credPolicy,
		req:    request(http.MethodGet, hOrigin, appOrigin),
		want:   want{acao: appOrigin, acac: true, aceh: "x-total-count", vary: []string{"Origin"}},
	}, {
		name:   "scenario=cred-preflight-16-headers",
		policy: credPolicy,
		req:    request(http.MethodOptions, hOrigin, appOrigin, hACRM, http.MethodPatch, hACRH, manyHeadersACRH),
		want: want{preflight: true, status: http.StatusNoContent, acao: appOrigin, acac: true,
			acam: http.MethodPatch, acah: strings.Split(manyHeadersACRH, ",")},
	}}
}

// ---- The jub0bs/cors-benchmarks grid (BenchmarkGrid) ----
//
// Copied in substance from jub0bs/cors-benchmarks' bench_test.go (see
// ../../shared/reference/go-middleware-anchors.md §3.3 and §3.5): the same
// origin lists, the same requests, Methods [PUT] and the request headers
// rs/cors allows by default.

const (
	hostMaxLen       = 253
	disallowedOrigin = "https://example.org:6060"
)

var (
	gridOneOrigins = []string{"https://example.com"}
	// multipleOrigins, verbatim.
	gridMultipleOrigins = []string{
		"https://*.example.net",
		"https://example.net:8080",
		"https://example.net",
		"https://*.example.org",
		"https://example.org:8080",
		"https://example.org",
		"https://*.example.com",
		"https://example.com:8080",
		"https://example.com",
	}
	// Two pathological 253-byte hosts that share all but their first byte.
	gridTwoOrigins = []string{
		"https://a" + strings.Repeat(".a", hostMaxLen/2),
		"https://b" + strings.Repeat(".a", hostMaxLen/2),
	}
	gridTwoDisallowed = "https://c" + strings.Repeat(".a", hostMaxLen/2)
	// manyOrigins: 1,000 origins of the same length.
	gridManyOrigins = func() []string {
		const n = 1000
		width := int(math.Ceil(math.Log10(n)))
		return numbered(fmt.Sprintf("https://%%0%dd.example.com", width), n)
	}()
	gridHeaders = []string{"Accept", "Content-Type", "X-Requested-With"}
)

func gridScenarios() []*scenario {
	type set struct {
		nb         string
		origins    []string
		allowed    string
		disallowed string // "" when every origin is allowed
	}
	sets := []set{
		{"one", gridOneOrigins, gridOneOrigins[0], "https://example.org"},
		{"multiple", gridMultipleOrigins, last(gridMultipleOrigins), disallowedOrigin},
		{"two", gridTwoOrigins, gridTwoOrigins[0], gridTwoDisallowed},
		{"many", gridManyOrigins, last(gridManyOrigins), disallowedOrigin},
		{"all", []string{"*"}, "https://example.com", ""},
	}
	var ss []*scenario
	for _, st := range sets {
		p := policy{origins: st.origins, methods: []string{http.MethodPut}, headers: gridHeaders}
		acao := func(o string) string {
			if st.disallowed == "" {
				return "*"
			}
			return o
		}
		vary := []string{"Origin"}
		if st.disallowed == "" {
			vary = nil
		}
		ss = append(ss, &scenario{
			name:   "nb=" + st.nb + "/req=a/o=y",
			policy: p,
			req:    request(http.MethodGet, hOrigin, st.allowed),
			want:   want{acao: acao(st.allowed), vary: vary, noVary: vary == nil},
		})
		if st.disallowed != "" {
			ss = append(ss, &scenario{
				name:   "nb=" + st.nb + "/req=a/o=n",
				policy: p,
				req:    request(http.MethodGet, hOrigin, st.disallowed),
				want:   want{vary: vary},
			})
		}
		ss = append(ss, &scenario{
			name:   "nb=" + st.nb + "/req=p/o=y",
			policy: p,
			req:    request(http.MethodOptions, hOrigin, st.allowed, hACRM, http.MethodPut),
			want: want{preflight: true, status: http.StatusNoContent, acao: acao(st.allowed),
				acam: http.MethodPut},
		})
		if st.disallowed != "" {
			ss = append(ss, &scenario{
				name:   "nb=" + st.nb + "/req=p/o=n",
				policy: p,
				req:    request(http.MethodOptions, hOrigin, st.disallowed, hACRM, http.MethodPut),
				want:   want{preflight: true, status: http.StatusForbidden, noHeaders: true},
			})
		}
		if st.nb == "all" {
			// 1,024 commas: an empty list, with many empty elements.
			ss = append(ss, &scenario{
				name:   "nb=all/req=p/o=y/m=evil_acrh",
				policy: p,
				req:    request(http.MethodOptions, hOrigin, st.allowed, hACRM, http.MethodPut, hACRH, strings.Repeat(",", 1024)),
				want:   want{preflight: true, status: http.StatusForbidden, noHeaders: true},
				differs: map[string]string{
					"chi": "go-chi/cors finds no header name in the commas and allows the preflight",
				},
			})
		}
	}
	return ss
}

func numbered(format string, n int, base ...rune) []string {
	s := make([]string, n)
	for i := range n {
		if len(base) > 0 {
			s[i] = fmt.Sprintf(format, base[0]+rune(i))
		} else {
			s[i] = fmt.Sprintf(format, i)
		}
	}
	return s
}

func last(s []string) string { return s[len(s)-1] }
