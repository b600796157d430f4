package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/net/publicsuffix"
)

// Client runs requests over the network as a browser would: the preflight
// when one is needed, the actual request, and each redirect, all checked.
//
// The zero Client is ready to use: it models [Chromium] over
// [http.DefaultTransport] without a preflight cache shared between calls.
// A Client may be used concurrently once its fields are set.
type Client struct {
	// Transport sends each request; nil means http.DefaultTransport with
	// response headers limited to [MaxResponseHeaderBytes]. It
	// must not follow redirects (an http.RoundTripper does not): Client
	// follows them itself, as the browser does.
	Transport http.RoundTripper
	// Engine is the browser modelled.
	Engine Engine
	// Cache is the preflight cache shared by calls to Do; nil means a new,
	// empty cache for each call.
	Cache *PreflightCache
	// Jar, if not nil, supplies the cookies sent when the credentials
	// mode allows them. Cookies set by responses are not stored.
	Jar http.CookieJar
}

// Step is one request the browser sent and the response it got.
type Step struct {
	// Kind is "preflight" or "request".
	Kind     string        `json:"kind"`
	Request  StepRequest   `json:"request"`
	Response *StepResponse `json:"response,omitempty"`
}

// StepRequest is a request as sent. Header holds the headers the model
// sets; the transport may add more (User-Agent, Accept-Encoding).
type StepRequest struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header"`
}

// StepResponse is a response as received. Header holds only the headers
// that matter to CORS: Access-Control-*, Location and Vary, and the
// Set-Cookie lines that a credentialed request's cookies depend on.
type StepResponse struct {
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
}

// Result is what a browser makes of a request. It marshals to JSON with
// snake_case keys.
type Result struct {
	// Engine is the browser modelled.
	Engine Engine `json:"engine"`
	// Allowed reports whether the script gets the response (an opaque one
	// for no-cors requests).
	Allowed bool `json:"allowed"`
	// PreflightSent reports whether any preflight went out;
	// PreflightCached whether the cache made one unnecessary.
	PreflightSent   bool `json:"preflight_sent"`
	PreflightCached bool `json:"preflight_cached"`
	// ChromiumError is the DevTools CorsError name and FailedParameter its
	// parameter; both are empty when the request is not blocked by CORS.
	ChromiumError   ErrorID `json:"chromium_error"`
	FailedParameter string  `json:"failed_parameter,omitempty"`
	// ConsoleMessage is the exact message Chromium 156 prints.
	ConsoleMessage string `json:"console_message"`
	// FirefoxError is Firefox's reason key and FirefoxMessage its message.
	FirefoxError   string `json:"firefox_error"`
	FirefoxMessage string `json:"firefox_message,omitempty"`
	// Fix says what to change.
	Fix string `json:"fix"`
	// Exception is the exception the script gets before anything is sent
	// (a forbidden method, a non-safelisted method in no-cors mode).
	Exception string `json:"exception,omitempty"`
	// NetworkError is Chromium's net error code when the fetch failed
	// without a CORS verdict (a refused connection, too many redirects).
	NetworkError string `json:"network_error,omitempty"`
	// ResponseType is the response's type as the script sees it: "basic",
	// "cors" or "opaque"; Status is the status it sees (0 when opaque).
	ResponseType Tainting `json:"response_type,omitempty"`
	Status       int      `json:"status,omitempty"`
	// ReadableHeaders are the response headers the script can read.
	ReadableHeaders []string `json:"readable_headers,omitempty"`
	// DroppedHeaders are the script's headers the browser did not send.
	DroppedHeaders []string `json:"dropped_headers,omitempty"`
	// Warnings are reported without blocking.
	Warnings []Warning `json:"warnings,omitempty"`
	// Steps are the requests sent, in order.
	Steps []Step `json:"steps"`
}

func (r *Result) block(f *Failure) {
	r.Allowed = false
	r.ChromiumError = f.ID
	r.FailedParameter = f.Parameter
	r.ConsoleMessage = f.ConsoleMessage()
	r.FirefoxError = f.Firefox
	r.FirefoxMessage = f.FirefoxMessage()
	r.Fix = f.Fix
}

// Do runs req as the browser would and returns what happened. Blocked
// requests and script exceptions are results, not errors. When the fetch
// fails for a network reason, Do returns the result so far (with
// NetworkError set) together with a [*NetworkError]; it returns a nil
// Result and an error when req cannot be run at all (an invalid URL or
// origin). Do never follows a redirect the transport has not shown it.
func (c *Client) Do(ctx context.Context, req Request) (*Result, error) {
	e := c.Engine
	res := &Result{Engine: e, Steps: []Step{}}
	p, err := e.Classify(req)
	if se := (*ScriptError)(nil); errors.As(err, &se) {
		res.Exception = se.Exception()
		res.Fix = "The script throws before sending anything: " + se.Message
		return res, nil
	} else if err != nil {
		return nil, err
	}
	res.DroppedHeaders = p.Dropped
	res.Warnings = droppedWarnings(p)
	cache := c.Cache
	if cache == nil {
		cache = &PreflightCache{}
	}
	for {
		if p.Mode == SameOriginMode && !sameOrigin(p.URL, p.Origin) {
			f := p.failure(DisallowedByMode, "")
			f.Fix = fixFor(p, f, Response{}, false)
			res.block(f)
			return res, nil
		}
		if f := e.CheckRequest(p); f != nil {
			res.block(f)
			return res, nil
		}
		if p.NeedsPreflight() {
			if cache.Covers(p) {
				res.PreflightCached = true
			} else {
				res.PreflightSent = true
				resp, err := c.roundTrip(ctx, res, "preflight", p, http.MethodOptions, c.withFetchMetadata(p, p.PreflightHeader()), nil)
				if err != nil {
					return res, c.networkError(res, p, err)
				}
				f, warnings := e.CheckPreflight(p, resp)
				res.Warnings = append(res.Warnings, warnings...)
				if f != nil {
					cache.Clear(p)
					res.block(f)
					return res, nil
				}
				cache.Store(p, resp.Header)
			}
		}
		resp, err := c.roundTrip(ctx, res, "request", p, p.Method, c.actualHeader(p), p.Body)
		if err != nil {
			return res, c.networkError(res, p, err)
		}
		if f := e.CheckResponse(p, resp); f != nil {
			res.block(f)
			return res, nil
		}
		if resp.isRedirect() {
			next, f, err := e.Redirect(p, resp)
			if f != nil {
				res.block(f)
				return res, nil
			}
			if err != nil {
				return res, c.networkError(res, p, err)
			}
			p = next
			continue
		}
		res.Allowed = true
		res.ResponseType = p.Tainting
		res.ReadableHeaders = ReadableHeaders(resp.Header, p.Tainting, p.Credentials)
		res.Status = resp.Status
		if p.Tainting == Opaque {
			res.Status = 0
			res.Warnings = append(res.Warnings, Warning{Message: "mode 'no-cors' gives an opaque response: the script cannot read its status, headers or body. " +
				"To read it, use mode 'cors' and have the server send Access-Control-Allow-Origin."})
		}
		return res, nil
	}
}

func droppedWarnings(p *Plan) []Warning {
	var ws []Warning
	for _, name := range p.Dropped {
		msg := fmt.Sprintf("The browser does not send the header %s: scripts may not set it (a forbidden request header).", name)
		if !p.forbidden[name] {
			msg = fmt.Sprintf("The browser does not send the header %s: in mode 'no-cors' only Accept, Accept-Language, Content-Language and Content-Type with safelisted values are sent.", name)
		}
		if p.Initiator == XHR {
			ws = append(ws, Warning{Browser: "chromium", Message: fmt.Sprintf("Refused to set unsafe header %q", name)})
		}
		ws = append(ws, Warning{Message: msg})
	}
	return ws
}

// roundTrip sends one request, records it as a step, and reads the
// response's headers.
func (c *Client) roundTrip(ctx context.Context, res *Result, kind string, p *Plan, method string, h http.Header, body []byte) (Response, error) {
	step := Step{Kind: kind, Request: StepRequest{Method: method, URL: serializeURL(p.URL), Header: h}}
	res.Steps = append(res.Steps, step)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := *p.URL
	u.User = nil
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return Response{}, err
	}
	hr.Header = h.Clone()
	t := c.Transport
	if t == nil {
		t = defaultTransport()
	}
	hresp, err := t.RoundTrip(hr)
	if err != nil {
		return Response{}, err
	}
	_, err = io.Copy(io.Discard, io.LimitReader(hresp.Body, 1<<20))
	hresp.Body.Close()
	if err != nil && ctx.Err() != nil {
		// The body did not arrive in time: the fetch fails as the
		// browser's does when its request times out.
		return Response{}, ctx.Err()
	}
	resp := Response{Status: hresp.StatusCode, Header: hresp.Header}
	res.Steps[len(res.Steps)-1].Response = &StepResponse{Status: resp.Status, Header: corsRelevant(resp.Header)}
	return resp, nil
}

func corsRelevant(h http.Header) http.Header {
	out := http.Header{}
	for name, vs := range h {
		if strings.HasPrefix(name, "Access-Control-") || name == "Location" || name == "Vary" || name == "Set-Cookie" {
			out[name] = slices.Clone(vs)
		}
	}
	return out
}

// actualHeader returns the headers of the actual request: the script's,
// Origin, fetch metadata, and cookies when the credentials mode allows.
func (c *Client) actualHeader(p *Plan) http.Header {
	h := c.withFetchMetadata(p, p.requestHeader())
	if c.Jar != nil && (p.Include() || p.Credentials == SameOrigin && p.Tainting == Basic) {
		var cs []string
		for _, ck := range c.Jar.Cookies(p.URL) {
			// A quoted value keeps its DQUOTEs, which RFC 6265 section
			// 4.1.1 makes part of cookie-value: Chromium stores and
			// sends them (net/http strips them and sets Quoted).
			if ck.Quoted {
				cs = append(cs, ck.Name+`="`+ck.Value+`"`)
			} else {
				cs = append(cs, ck.Name+"="+ck.Value)
			}
		}
		if len(cs) > 0 {
			h.Set("Cookie", strings.Join(cs, "; "))
		}
	}
	return h
}

// withFetchMetadata adds the Sec-Fetch-* headers Chromium sends
// (https://w3c.github.io/webappsec-fetch-metadata/) to h.
func (c *Client) withFetchMetadata(p *Plan, h http.Header) http.Header {
	h.Set("Sec-Fetch-Mode", string(p.Mode))
	h.Set("Sec-Fetch-Site", p.fetchSite())
	h.Set("Sec-Fetch-Dest", "empty")
	return h
}

// fetchSite returns Sec-Fetch-Site: the weakest relation between the page
// and any URL of the chain.
func (p *Plan) fetchSite() string {
	rank := map[string]int{"same-origin": 0, "same-site": 1, "cross-site": 2}
	worst := "same-origin"
	po, err := url.Parse(p.Origin)
	for _, s := range p.URLList {
		u, uerr := url.Parse(s)
		rel := "cross-site"
		switch {
		case err != nil || uerr != nil || p.Origin == "null":
		case urlOrigin(u) == p.Origin:
			rel = "same-origin"
		case strings.EqualFold(u.Scheme, po.Scheme) && site(u.Hostname()) == site(po.Hostname()):
			rel = "same-site"
		}
		if rank[rel] > rank[worst] {
			worst = rel
		}
	}
	return worst
}

// site returns the registrable domain of host, or host itself for an IP
// address or a host on a public suffix.
func site(host string) string {
	host = strings.ToLower(host)
	if net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// networkError records err in res and returns it as a *NetworkError.
func (c *Client) networkError(res *Result, p *Plan, err error) error {
	var ne *NetworkError
	if !errors.As(err, &ne) {
		ne = &NetworkError{Code: netErrorCode(err), URL: serializeURL(p.URL), Err: err}
	}
	res.Allowed = false
	res.NetworkError = ne.Code
	if p.Tainting == Cors {
		res.FirefoxError = "CORSDidNotSucceed2"
		res.FirefoxMessage = FirefoxMessage(res.FirefoxError, ne.URL, "(null)")
	}
	res.Fix = fmt.Sprintf("Not a CORS problem: the browser could not load %s (%s). Check that the server is running and reachable at that address.", ne.URL, ne.Code)
	switch ne.Code {
	case "net::ERR_TOO_MANY_REDIRECTS":
		res.Fix = fmt.Sprintf("Not a CORS problem: more than %d redirects; the chain is probably a loop: %s.", MaxRedirects, strings.Join(p.URLList, " -> "))
	case "net::ERR_TIMED_OUT":
		res.Fix = fmt.Sprintf("Not a CORS problem: %s did not answer in time (no connection, or the headers or the body came too slowly). Check that the server is up and not stuck behind a firewall that drops packets.", ne.URL)
	case "net::ERR_RESPONSE_HEADERS_TOO_BIG":
		res.Fix = fmt.Sprintf("Not a CORS problem: the response headers of %s are larger than the %d KiB Chromium reads; look for a header repeated without bound (Set-Cookie, Access-Control-Allow-Origin...).", ne.URL, MaxResponseHeaderBytes>>10)
	case "net::ERR_UNSAFE_REDIRECT", "net::ERR_INVALID_REDIRECT":
		res.Fix = fmt.Sprintf("Not a CORS problem: %s redirects to a Location the browser will not follow; redirect to an http or https URL.", ne.URL)
	}
	return ne
}

// netErrorCode maps a Go transport error to Chromium's net error code, as
// Chromium's MapSystemError (net/base/net_errors_posix.cc) maps the
// system's errors and its HTTP stream parser names the others.
func netErrorCode(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var netErr net.Error
	var protoErr textproto.ProtocolError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "net::ERR_CONNECTION_REFUSED"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "net::ERR_CONNECTION_RESET"
	case errors.Is(err, syscall.ECONNABORTED):
		return "net::ERR_CONNECTION_ABORTED"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.EAFNOSUPPORT):
		return "net::ERR_ADDRESS_UNREACHABLE"
	case errors.Is(err, syscall.ENETDOWN):
		return "net::ERR_INTERNET_DISCONNECTED"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "net::ERR_ADDRESS_INVALID"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		// A connect refused by a local firewall rule.
		return "net::ERR_ACCESS_DENIED"
	case errors.As(err, &dnsErr):
		return "net::ERR_NAME_NOT_RESOLVED"
	case errors.As(err, &hostErr):
		return "net::ERR_CERT_COMMON_NAME_INVALID"
	case errors.As(err, &invalidErr) && invalidErr.Reason == x509.Expired:
		return "net::ERR_CERT_DATE_INVALID"
	case errors.As(err, &certErr):
		return "net::ERR_CERT_AUTHORITY_INVALID"
	case errors.As(err, &recErr):
		return "net::ERR_SSL_PROTOCOL_ERROR"
	case errors.Is(err, context.Canceled):
		return "net::ERR_ABORTED"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT), errors.As(err, &netErr) && netErr.Timeout():
		return "net::ERR_TIMED_OUT"
	case strings.Contains(err.Error(), "server response headers exceeded"):
		// net/http's Transport.MaxResponseHeaderBytes; Chromium's own
		// limit is 256 KiB (net/http/http_stream_parser.cc).
		return "net::ERR_RESPONSE_HEADERS_TOO_BIG"
	case errors.As(err, &protoErr), strings.Contains(err.Error(), "malformed HTTP"):
		// A response that does not parse, such as a NUL byte in a header
		// value (observed in Chromium 156).
		return "net::ERR_INVALID_HTTP_RESPONSE"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "net::ERR_EMPTY_RESPONSE"
	}
	return "net::ERR_FAILED"
}

// defaultTransport is http.DefaultTransport with Chromium's limit on the
// size of response headers.
var defaultTransport = sync.OnceValue(func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxResponseHeaderBytes = MaxResponseHeaderBytes
	return t
})

// MaxResponseHeaderBytes is Chromium's limit on the size of a response's
// headers (kMaxHeaderBufSize, net/http/http_stream_parser.cc): past it the
// fetch fails with net::ERR_RESPONSE_HEADERS_TOO_BIG.
const MaxResponseHeaderBytes = 256 << 10
