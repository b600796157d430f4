package cors

import (
	"fmt"
	"net/http"
)

// Kind is what a request is to CORS.
type Kind uint8

const (
	// KindNotCORS is a request without an Origin header.
	KindNotCORS Kind = iota
	// KindActual is a request with an Origin header that is not a
	// preflight, OPTIONS or not. The wrapped handler answers it.
	KindActual
	// KindPreflight is an OPTIONS request with Origin and
	// Access-Control-Request-Method. The middleware answers it.
	KindPreflight
)

func (k Kind) String() string {
	switch k {
	case KindNotCORS:
		return "not-cors"
	case KindActual:
		return "actual"
	case KindPreflight:
		return "preflight"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Reason says why a request was allowed or refused. Its String form is a
// stable kebab-case identifier, fit for logs and metrics labels.
type Reason uint8

const (
	// ReasonNotCORS: the request has no Origin header.
	ReasonNotCORS Reason = iota
	// ReasonAllowed: the policy allows the request.
	ReasonAllowed
	// ReasonNoPolicy: the Middleware has no policy (its zero value).
	ReasonNoPolicy
	// ReasonOriginNotAllowed: the origin is not in AllowOrigins.
	ReasonOriginNotAllowed
	// ReasonInvalidOrigin: the Origin header is not one serialized origin
	// that a policy can allow: malformed, several values, or "null" (an
	// opaque origin, which browsers do send and no policy allows).
	ReasonInvalidOrigin
	// ReasonInvalidMethod: Access-Control-Request-Method is not one token.
	ReasonInvalidMethod
	// ReasonMethodNotAllowed: the method is not in AllowMethods.
	ReasonMethodNotAllowed
	// ReasonInvalidHeaders: Access-Control-Request-Headers is not a list
	// of header names.
	ReasonInvalidHeaders
	// ReasonHeadersTooLong: Access-Control-Request-Headers is longer than
	// any request the policy allows could need.
	ReasonHeadersTooLong
	// ReasonHeaderNotAllowed: a requested header is not in AllowHeaders.
	ReasonHeaderNotAllowed
	// ReasonAuthorizationNotCovered: Authorization was requested, and
	// AllowHeaders has "*" but does not list Authorization.
	ReasonAuthorizationNotCovered
)

var reasonNames = [...]string{
	ReasonNotCORS:                 "not-cors",
	ReasonAllowed:                 "allowed",
	ReasonNoPolicy:                "no-policy",
	ReasonOriginNotAllowed:        "origin-not-allowed",
	ReasonInvalidOrigin:           "invalid-origin",
	ReasonInvalidMethod:           "invalid-method",
	ReasonMethodNotAllowed:        "method-not-allowed",
	ReasonInvalidHeaders:          "invalid-request-headers",
	ReasonHeadersTooLong:          "request-headers-too-long",
	ReasonHeaderNotAllowed:        "header-not-allowed",
	ReasonAuthorizationNotCovered: "authorization-not-covered-by-wildcard",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", r)
}

// Decision is what the middleware does with a request.
type Decision struct {
	Kind Kind
	// Allowed reports whether the browser will let the page go on: read the
	// response of an actual request, or send the request a preflight is
	// for. It is true for requests that are not CORS requests.
	Allowed bool
	Reason  Reason
	// Detail is the request value the reason is about (the origin, the
	// method, the header name), or "".
	Detail string
	// Status is the status the middleware answers a preflight with; 0 for
	// other requests, which the wrapped handler answers.
	Status int
	// Header holds the headers the middleware sets on the response.
	Header http.Header
}

// nullOriginText explains a request from Origin: null. Browsers send it
// for an opaque origin (HTML, "ASCII serialization of an origin";
// Fetch, "serializing a request origin"): a sandboxed iframe, a file: or
// data: URL, a request redirected from one origin to another. Any page can
// make itself opaque, so a policy never allows it: the policy file and
// Config refuse "null" in the allowed origins.
const nullOriginText = `the Origin header is "null", an opaque origin (a sandboxed iframe, a file: or data: URL, ` +
	`a request redirected across origins), which a policy never allows: any page can take it on, so allow_origins refuses "null"`

// Explain returns a sentence for people that says why the request was
// allowed or refused.
func (d Decision) Explain() string {
	switch d.Reason {
	case ReasonNotCORS:
		return "no Origin header: not a cross-origin request, so CORS does not apply"
	case ReasonAllowed:
		if d.Kind == KindPreflight {
			return "preflight allowed: the browser will send the actual request"
		}
		return "allowed: the page may read the response"
	case ReasonNoPolicy:
		return "no CORS policy applies: no CORS headers are sent and the browser blocks cross-origin reads"
	case ReasonOriginNotAllowed:
		return fmt.Sprintf("origin %q is not allowed by the policy", d.Detail)
	case ReasonInvalidOrigin:
		if d.Detail == "null" {
			return nullOriginText
		}
		return fmt.Sprintf("the Origin header %q is not a serialized origin as browsers send it", d.Detail)
	case ReasonInvalidMethod:
		return fmt.Sprintf("the Access-Control-Request-Method header %q is not a single method name", d.Detail)
	case ReasonMethodNotAllowed:
		return fmt.Sprintf("method %q is not allowed by the policy (method names are case-sensitive)", d.Detail)
	case ReasonInvalidHeaders:
		return fmt.Sprintf("the Access-Control-Request-Headers header is not a list of header names (at %q)", d.Detail)
	case ReasonHeadersTooLong:
		return "the Access-Control-Request-Headers header is longer than any request this policy allows could need"
	case ReasonHeaderNotAllowed:
		return fmt.Sprintf("request header %q is not allowed by the policy", d.Detail)
	case ReasonAuthorizationNotCovered:
		return "the Authorization request header is never covered by \"*\": list it in the policy's allowed headers"
	}
	return d.Reason.String()
}
