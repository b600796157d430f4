package fetch

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Engine selects the browser behaviour modelled. The zero value is
// [Chromium].
type Engine uint8

const (
	// Chromium is Chromium 156, departures from the Fetch standard included.
	Chromium Engine = iota
	// Spec is the Fetch standard with no browser departures.
	Spec
)

// String returns "chromium-156" or "spec".
func (e Engine) String() string {
	if e == Spec {
		return "spec"
	}
	return "chromium-156"
}

// MarshalText implements [encoding.TextMarshaler].
func (e Engine) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler]: it accepts
// "chromium", "chromium-156" and "spec".
func (e *Engine) UnmarshalText(b []byte) error {
	switch string(b) {
	case "chromium", "chromium-156":
		*e = Chromium
	case "spec":
		*e = Spec
	default:
		return fmt.Errorf("fetch: unknown engine %q: want chromium or spec", b)
	}
	return nil
}

// Credentials is a request's credentials mode
// (https://fetch.spec.whatwg.org/#concept-request-credentials-mode).
type Credentials string

// The credentials modes. The zero value means [SameOrigin], fetch()'s default.
const (
	Omit       Credentials = "omit"
	SameOrigin Credentials = "same-origin"
	Include    Credentials = "include"
)

// Mode is a request's mode (https://fetch.spec.whatwg.org/#concept-request-mode).
type Mode string

// The request modes a page can choose. The zero value means [CORS].
const (
	CORS           Mode = "cors"
	NoCORS         Mode = "no-cors"
	SameOriginMode Mode = "same-origin"
)

// Initiator is the API that made the request. It changes the console
// message: its first words, and the suffix some messages carry.
type Initiator string

// The initiators modelled. The zero value means [Fetch].
const (
	Fetch Initiator = "fetch"
	XHR   Initiator = "XMLHttpRequest"
)

// Request is a request as a page's script makes it.
type Request struct {
	// Method is the method as the script wrote it; "" means GET. It is
	// normalized as a browser does ([NormalizeMethod]).
	Method string `json:"method"`
	// URL is the absolute http or https URL requested.
	URL string `json:"url"`
	// Origin is the serialized origin of the page, such as
	// "https://app.example.com", exactly as a browser sends it.
	Origin string `json:"origin"`
	// Header holds the headers the script sets. Forbidden headers are
	// dropped, as a browser drops them ([Plan.Dropped]).
	Header http.Header `json:"header,omitempty"`
	// Body is the request body, if any.
	Body []byte `json:"body,omitempty"`
	// Credentials is the credentials mode; for XMLHttpRequest,
	// withCredentials true is [Include] and false is [SameOrigin].
	Credentials Credentials `json:"credentials,omitempty"`
	// Mode is the request mode; XMLHttpRequest always uses [CORS].
	Mode Mode `json:"mode,omitempty"`
	// Initiator is fetch() or XMLHttpRequest.
	Initiator Initiator `json:"initiator,omitempty"`
	// UploadListener reports that an XMLHttpRequest has a listener on its
	// upload object, and StreamBody that a fetch() body is a ReadableStream.
	// Either sets the use-CORS-preflight flag: a preflight is sent even for
	// a safelisted method and headers.
	UploadListener bool `json:"upload_listener,omitempty"`
	StreamBody     bool `json:"stream_body,omitempty"`

	// PageScheme is the scheme of the page's URL when its origin does not
	// tell it: "file" for a page loaded from a file: URL, whose Origin is
	// "null". Only such a page may request a file: URL, which Chromium
	// refuses ([Engine.CheckRequest]). "" means the scheme of Origin.
	PageScheme string `json:"page_scheme,omitempty"`
	// AddressSpace is the page's IP address space, for Chromium's Local
	// Network Access ([Engine.CheckRequest]); "" leaves Local Network
	// Access out. TargetAddressSpace is the space of the server at URL
	// (as Chromium's --ip-address-space-overrides can set it); "" means
	// the one its host tells ([HostAddressSpace]). After a redirect to
	// another host, the host tells.
	AddressSpace       AddressSpace `json:"address_space,omitempty"`
	TargetAddressSpace AddressSpace `json:"target_address_space,omitempty"`
}

// ScriptError is an exception the script gets before any request is sent,
// such as fetch() refusing a forbidden method. It is not a CORS failure.
type ScriptError struct {
	// Name is the exception type, such as "TypeError".
	Name string
	// Message is Chromium's exception message.
	Message string
}

// Error implements error.
func (e *ScriptError) Error() string {
	return "fetch: script exception: " + e.Exception()
}

// Exception returns the exception as the console shows it, such as
// "TypeError: Failed to execute 'fetch' on 'Window': 'PUT' is unsupported in no-cors mode."
func (e *ScriptError) Exception() string { return e.Name + ": " + e.Message }

// Tainting is a response tainting (https://fetch.spec.whatwg.org/#concept-request-response-tainting).
type Tainting string

// The response taintings: what the script will see of the response.
const (
	Basic  Tainting = "basic"
	Cors   Tainting = "cors"
	Opaque Tainting = "opaque"
)

// Plan is one request as the browser is about to send it: the script's
// request after method normalisation and header filtering, at one hop of a
// redirect chain. [Engine.Classify] makes the first; [Engine.Redirect] the
// next. A Plan is not modified after it is made.
type Plan struct {
	Engine Engine
	// Method, URL, Header and Body are what is sent.
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
	// Origin is the page's origin, as the console prints it.
	Origin      string
	Credentials Credentials
	Mode        Mode
	Initiator   Initiator
	// UseCORSPreflight is the use-CORS-preflight flag.
	UseCORSPreflight bool
	StreamBody       bool
	// Dropped lists the headers the browser dropped: forbidden ones, and in
	// no-cors mode every header that is not no-CORS-safelisted.
	Dropped   []string
	forbidden map[string]bool // the Dropped names that are forbidden
	// UnsafeHeaders are the CORS-unsafe request-header names of Header.
	UnsafeHeaders []string
	// Tainting is the response tainting: Basic for a same-origin request,
	// Cors or Opaque once a cross-origin URL is involved.
	Tainting Tainting
	// URLList is every URL of the chain so far, this one last.
	URLList []string
	// Tainted is the redirect-taint: the chain went from a cross-origin URL
	// to another origin, so the Origin header becomes "null".
	Tainted bool
	// AddressSpace and TargetAddressSpace are the request's, for Local
	// Network Access; TargetAddressSpace is cleared by a redirect to
	// another host.
	AddressSpace       AddressSpace
	TargetAddressSpace AddressSpace
}

// Include reports whether the credentials mode is include.
func (p *Plan) Include() bool { return p.Credentials == Include }

// InitialURL returns the first URL of the chain when this plan follows a
// redirect, and "" otherwise.
func (p *Plan) InitialURL() string {
	if len(p.URLList) > 1 {
		return p.URLList[0]
	}
	return ""
}

// RequestOrigin returns the Origin header value: the page's origin, or
// "null" once the redirect-taint is not same-origin
// (https://fetch.spec.whatwg.org/#serializing-a-request-origin).
func (p *Plan) RequestOrigin() string {
	if p.Tainted {
		return "null"
	}
	return p.Origin
}

// NeedsPreflight reports whether main fetch picks a CORS-with-preflight
// fetch for p (https://fetch.spec.whatwg.org/#main-fetch, step 12): the
// use-CORS-preflight flag is set, or the method is not safelisted, or a
// header is CORS-unsafe. A [PreflightCache] may still make it unnecessary.
func (p *Plan) NeedsPreflight() bool {
	if p.Tainting != Cors {
		return false
	}
	return p.UseCORSPreflight || !IsCORSSafelistedMethod(p.Method) || len(p.UnsafeHeaders) > 0
}

// PreflightHeader returns the headers of p's preflight, in the order a
// browser appends them (https://fetch.spec.whatwg.org/#cors-preflight-fetch,
// steps 2-5): Accept: */*, Access-Control-Request-Method,
// Access-Control-Request-Headers with the unsafe names sorted, lower-cased
// and joined by "," without a space (only when there are some), and Origin.
// No cookies or HTTP authentication go with a preflight.
func (p *Plan) PreflightHeader() http.Header {
	h := http.Header{
		"Accept":                        {"*/*"},
		"Access-Control-Request-Method": {p.Method},
	}
	if len(p.UnsafeHeaders) > 0 {
		h["Access-Control-Request-Headers"] = []string{strings.Join(p.UnsafeHeaders, ",")}
	}
	h["Origin"] = []string{p.RequestOrigin()}
	return h
}

// Classify turns the script's request into the first [Plan]: it checks the
// method and URL as fetch() does, normalizes the method, drops the headers
// a browser would drop, and computes the CORS-unsafe header names. It
// returns a [*ScriptError] when the script would get an exception and no
// request would be sent, and another error when req is not usable (no
// absolute http(s) URL, an origin that is not serialized).
func (e Engine) Classify(req Request) (*Plan, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("fetch: invalid URL %q: %w", req.URL, err)
	}
	if err := checkContext(req, u); err != nil {
		return nil, err
	}
	if !isFileURL(u) && (u.Scheme != "http" && u.Scheme != "https" || u.Host == "") {
		return nil, fmt.Errorf("fetch: invalid URL %q: an absolute http or https URL is required", req.URL)
	}
	if req.Origin != "null" {
		if err := checkOrigin(req.Origin); err != nil {
			return nil, fmt.Errorf("fetch: invalid origin %q: %w", req.Origin, err)
		}
	}
	p := &Plan{
		Engine:             e,
		Method:             req.Method,
		URL:                u,
		Body:               req.Body,
		Origin:             req.Origin,
		Credentials:        req.Credentials,
		Mode:               req.Mode,
		Initiator:          req.Initiator,
		UseCORSPreflight:   req.UploadListener || req.StreamBody,
		StreamBody:         req.StreamBody,
		AddressSpace:       req.AddressSpace,
		TargetAddressSpace: req.TargetAddressSpace,
	}
	if p.Method == "" {
		p.Method = "GET"
	}
	if p.Credentials == "" {
		p.Credentials = SameOrigin
	}
	if p.Mode == "" || p.Initiator == XHR {
		p.Mode = CORS
	}
	if p.Initiator == "" {
		p.Initiator = Fetch
	}
	if err := p.checkScript(); err != nil {
		return nil, err
	}
	p.Method = NormalizeMethod(p.Method)
	p.Header = make(http.Header, len(req.Header))
	for name, values := range req.Header {
		for _, v := range values {
			forbidden := IsForbiddenRequestHeader(name, v)
			if forbidden || p.Mode == NoCORS && !IsNoCORSSafelistedRequestHeader(name, v) {
				canon := http.CanonicalHeaderKey(name)
				p.Dropped = append(p.Dropped, canon)
				if forbidden {
					if p.forbidden == nil {
						p.forbidden = make(map[string]bool)
					}
					p.forbidden[canon] = true
				}
				continue
			}
			p.Header.Add(name, v)
		}
	}
	slices.Sort(p.Dropped)
	p.Dropped = slices.Compact(p.Dropped)
	// fetch() and XMLHttpRequest send Accept: */* when the script sets none
	// (https://fetch.spec.whatwg.org/#fetching, step 12). It is
	// safelisted, so it changes nothing for CORS.
	if p.Header.Get("Accept") == "" {
		p.Header.Set("Accept", "*/*")
	}
	p.URLList = []string{serializeURL(u)}
	p.Tainting = Basic
	if !sameOrigin(u, p.Origin) {
		p.Tainting = taintingFor(p.Mode)
	}
	p.UnsafeHeaders = e.UnsafeRequestHeaderNames(p.Header)
	return p, nil
}

// checkScript returns the exception fetch() or XMLHttpRequest throws for
// p, if any. The texts are Chromium's (the no-cors one observed in Chromium
// 156, reference §1.1).
func (p *Plan) checkScript() error {
	api, on := "fetch", "Window"
	if p.Initiator == XHR {
		api, on = "open", "XMLHttpRequest"
	}
	fail := func(name, msg string) error {
		return &ScriptError{Name: name, Message: fmt.Sprintf("Failed to execute '%s' on '%s': %s", api, on, msg)}
	}
	switch {
	case !IsValidMethod(p.Method):
		return fail("TypeError", fmt.Sprintf("'%s' is not a valid HTTP method.", p.Method))
	case IsForbiddenMethod(p.Method):
		if p.Initiator == XHR {
			return fail("SecurityError", fmt.Sprintf("'%s' HTTP method is unsupported.", p.Method))
		}
		return fail("TypeError", fmt.Sprintf("'%s' HTTP method is unsupported.", p.Method))
	case p.Mode == NoCORS && !IsCORSSafelistedMethod(NormalizeMethod(p.Method)):
		return fail("TypeError", fmt.Sprintf("'%s' is unsupported in no-cors mode.", NormalizeMethod(p.Method)))
	case p.Initiator == Fetch && (len(p.Body) > 0 || p.StreamBody) && (NormalizeMethod(p.Method) == "GET" || NormalizeMethod(p.Method) == "HEAD"):
		return fail("TypeError", "Request with GET/HEAD method cannot have body.")
	case p.URL.User != nil && p.Initiator == Fetch:
		return fail("TypeError", "Request cannot be constructed from a URL that includes credentials: "+serializeURL(p.URL))
	}
	return nil
}

func taintingFor(m Mode) Tainting {
	if m == NoCORS {
		return Opaque
	}
	return Cors
}

// serializeURL returns u as a browser prints it: an empty path is "/".
func serializeURL(u *url.URL) string {
	if u.Path == "" && u.RawPath == "" && u.Opaque == "" {
		c := *u
		c.Path = "/"
		return c.String()
	}
	return u.String()
}

// urlOrigin returns the serialized origin of an http(s) URL, with the
// default port left out and the scheme and host in lower case.
func urlOrigin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

// sameOrigin reports whether u is same origin with the serialized origin o.
func sameOrigin(u *url.URL, o string) bool { return urlOrigin(u) == o }
