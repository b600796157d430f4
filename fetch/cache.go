package fetch

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Preflight cache lifetimes.
const (
	// DefaultMaxAge is how long a preflight is cached without a valid
	// Access-Control-Max-Age, in the standard
	// (https://fetch.spec.whatwg.org/#cors-preflight-fetch, step 7.8), in
	// Chromium (kDefaultTimeout) and in Firefox.
	DefaultMaxAge = 5 * time.Second
	// ChromiumMaxAgeCap is Chromium's cap (kMaxTimeout,
	// services/network/cors/preflight_result.cc); it was 600 s before
	// Chromium 76.
	ChromiumMaxAgeCap = 2 * time.Hour
	// FirefoxMaxAgeCap is Firefox's cap (nsCORSListenerProxy.cpp).
	FirefoxMaxAgeCap = 24 * time.Hour
)

// ChromiumMaxAge returns how long Chromium caches a preflight response
// with header h: DefaultMaxAge without Access-Control-Max-Age or when it
// does not parse as an integer, 0 when it is negative, and at most
// ChromiumMaxAgeCap.
func ChromiumMaxAge(h http.Header) time.Duration {
	v, ok := getHeader(h, "Access-Control-Max-Age")
	if !ok {
		return DefaultMaxAge
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil && !isRangeErr(err):
		return DefaultMaxAge
	case n < 0:
		return 0
	case n > int64(ChromiumMaxAgeCap/time.Second):
		return ChromiumMaxAgeCap
	}
	return time.Duration(n) * time.Second
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// FirefoxMaxAge returns how long Firefox caches a preflight response with
// header h: DefaultMaxAge without Access-Control-Max-Age, 0 (no caching)
// when the value holds anything but digits, and at most FirefoxMaxAgeCap.
func FirefoxMaxAge(h http.Header) time.Duration {
	v, ok := getHeader(h, "Access-Control-Max-Age")
	if !ok {
		return DefaultMaxAge
	}
	if !allDigits(v) {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > uint64(FirefoxMaxAgeCap/time.Second) {
		return FirefoxMaxAgeCap
	}
	return time.Duration(n) * time.Second
}

// PreflightCache is a CORS-preflight cache
// (https://fetch.spec.whatwg.org/#concept-cache): entries keyed by the
// serialized request origin, the URL, whether credentials were included,
// and one method or header name each, with their own expiry.
//
// An entry matches a request when origin and URL are equal and the entry
// was stored with credentials or the request's credentials mode is not
// include: a credentialed preflight serves both kinds of request, the other
// kind only requests without credentials. A "*" entry matches any method,
// and any header name but Authorization, only for requests without
// credentials; under [Chromium] the "*" header entry covers Authorization
// too, as its preflight check does.
//
// The network partition key is not modelled: one PreflightCache is one
// partition. Chromium keeps one result per (origin, URL) and replaces it on
// each preflight; this cache follows the standard and merges entries.
//
// The zero PreflightCache is ready to use. Its methods may be called
// concurrently.
type PreflightCache struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxAge turns a preflight response's header into a lifetime; nil
	// means ChromiumMaxAge.
	MaxAge func(http.Header) time.Duration

	mu      sync.Mutex
	entries map[cacheKey]time.Time // expiry
}

type cacheKey struct {
	origin, url string
	credentials bool
	method      string // "" for a header entry
	header      string // lower case; "" for a method entry
}

func (c *PreflightCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// match reports whether a live entry with credentials cred or (for a
// request without credentials) without them exists for k.
func (c *PreflightCache) match(k cacheKey, include bool, now time.Time) bool {
	k.credentials = true
	if exp, ok := c.entries[k]; ok && now.Before(exp) {
		return true
	}
	if include {
		return false
	}
	k.credentials = false
	exp, ok := c.entries[k]
	return ok && now.Before(exp)
}

// Covers reports whether cached entries make p's preflight unnecessary
// (https://fetch.spec.whatwg.org/#http-fetch, step 4.1): the method needs a
// matching entry when it is not safelisted or the use-CORS-preflight flag
// is set, and each CORS-unsafe header name needs one.
func (c *PreflightCache) Covers(p *Plan) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	base := cacheKey{origin: p.RequestOrigin(), url: serializeURL(p.URL)}
	include := p.Include()
	if !IsCORSSafelistedMethod(p.Method) || p.UseCORSPreflight {
		m, star := base, base
		m.method, star.method = p.Method, "*"
		if !c.match(m, include, now) && (include || !c.match(star, include, now)) {
			return false
		}
	}
	for _, name := range p.UnsafeHeaders {
		h, star := base, base
		h.header, star.header = name, "*"
		if c.match(h, include, now) {
			continue
		}
		if !include && (name != "authorization" || p.Engine == Chromium) && c.match(star, include, now) {
			continue
		}
		return false
	}
	return true
}

// Store records a successful preflight for p, whose response had header h
// (https://fetch.spec.whatwg.org/#cors-preflight-fetch, steps 7.8-7.10):
// one entry for each method of Access-Control-Allow-Methods (or p's
// method, when the header is absent and the use-CORS-preflight flag is
// set) and for each name of Access-Control-Allow-Headers.
func (c *PreflightCache) Store(p *Plan, h http.Header) {
	maxAge := ChromiumMaxAge
	if c.MaxAge != nil {
		maxAge = c.MaxAge
	}
	age := maxAge(h)
	methods, present, _, _ := extractList(h, "Access-Control-Allow-Methods")
	if !present && p.UseCORSPreflight {
		methods = []string{p.Method}
	}
	headers, _, _, _ := extractList(h, "Access-Control-Allow-Headers")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[cacheKey]time.Time)
	}
	exp := c.now().Add(age)
	base := cacheKey{origin: p.RequestOrigin(), url: serializeURL(p.URL), credentials: p.Include()}
	for _, m := range methods {
		k := base
		k.method = m
		c.entries[k] = exp
	}
	for _, n := range headers {
		k := base
		k.header = strings.ToLower(n)
		c.entries[k] = exp
	}
}

// Clear removes every entry for p's origin and URL, as a browser does when
// a preflight fails (https://fetch.spec.whatwg.org/#concept-cache-clear).
func (c *PreflightCache) Clear(p *Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	origin, u := p.RequestOrigin(), serializeURL(p.URL)
	for k := range c.entries {
		if k.origin == origin && k.url == u {
			delete(c.entries, k)
		}
	}
}
