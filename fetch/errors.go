package fetch

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrorID is a Chromium CORS error: the network::mojom::CorsError value
// without its "k", as DevTools names it (Audits.CorsIssueDetails and
// Network.CorsError).
type ErrorID string

// The CORS errors Chromium 156 can report. The model produces all but
// InvalidResponse, InsecureLocalNetwork and InvalidLocalNetworkAccess;
// CorsDisabledScheme and LocalNetworkAccessPermissionDenied need the page
// context a [Request] can give (PageScheme, AddressSpace). The console
// texts of all are rendered.
const (
	DisallowedByMode                     ErrorID = "DisallowedByMode"
	InvalidResponse                      ErrorID = "InvalidResponse"
	WildcardOriginNotAllowed             ErrorID = "WildcardOriginNotAllowed"
	PreflightWildcardOriginNotAllowed    ErrorID = "PreflightWildcardOriginNotAllowed"
	MissingAllowOriginHeader             ErrorID = "MissingAllowOriginHeader"
	PreflightMissingAllowOriginHeader    ErrorID = "PreflightMissingAllowOriginHeader"
	MultipleAllowOriginValues            ErrorID = "MultipleAllowOriginValues"
	PreflightMultipleAllowOriginValues   ErrorID = "PreflightMultipleAllowOriginValues"
	InvalidAllowOriginValue              ErrorID = "InvalidAllowOriginValue"
	PreflightInvalidAllowOriginValue     ErrorID = "PreflightInvalidAllowOriginValue"
	AllowOriginMismatch                  ErrorID = "AllowOriginMismatch"
	PreflightAllowOriginMismatch         ErrorID = "PreflightAllowOriginMismatch"
	InvalidAllowCredentials              ErrorID = "InvalidAllowCredentials"
	PreflightInvalidAllowCredentials     ErrorID = "PreflightInvalidAllowCredentials"
	CorsDisabledScheme                   ErrorID = "CorsDisabledScheme"
	PreflightInvalidStatus               ErrorID = "PreflightInvalidStatus"
	PreflightDisallowedRedirect          ErrorID = "PreflightDisallowedRedirect"
	InvalidAllowMethodsPreflightResponse ErrorID = "InvalidAllowMethodsPreflightResponse"
	InvalidAllowHeadersPreflightResponse ErrorID = "InvalidAllowHeadersPreflightResponse"
	MethodDisallowedByPreflightResponse  ErrorID = "MethodDisallowedByPreflightResponse"
	HeaderDisallowedByPreflightResponse  ErrorID = "HeaderDisallowedByPreflightResponse"
	RedirectContainsCredentials          ErrorID = "RedirectContainsCredentials"
	InsecureLocalNetwork                 ErrorID = "InsecureLocalNetwork"
	InvalidLocalNetworkAccess            ErrorID = "InvalidLocalNetworkAccess"
	LocalNetworkAccessPermissionDenied   ErrorID = "LocalNetworkAccessPermissionDenied"
)

// The texts of Chromium 156's cors_error_string.cc
// (third_party/blink/renderer/platform/loader/cors/), checked against the
// strings of the Chromium 156 binary (reference §2).
const (
	preflightPrefix = "Response to preflight request doesn't pass access control check: "
	fetchSuffix     = " Have the server send the header with a valid value."
	xhrSuffix       = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."

	textWildcard    = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
	textMissing     = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
	textMultiple    = "The 'Access-Control-Allow-Origin' header contains multiple values '%s', but only one is allowed."
	textInvalid     = "The 'Access-Control-Allow-Origin' header contains the invalid value '%s'."
	textMismatch    = "The 'Access-Control-Allow-Origin' header has a value '%s' that is not equal to the supplied origin."
	textCredentials = "The value of the 'Access-Control-Allow-Credentials' header in the response is '%s' which must be 'true' when the request's credentials mode is 'include'."
	// corsSchemes is the scheme list of Chromium 156 (reference §2).
	corsSchemes = "chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app"
)

// details maps each error to its detail text; %s is the encoded hint.
var details = map[ErrorID]string{
	DisallowedByMode:                     "Cross origin requests are not allowed by request mode.",
	InvalidResponse:                      "The response is invalid.",
	WildcardOriginNotAllowed:             textWildcard,
	PreflightWildcardOriginNotAllowed:    textWildcard,
	MissingAllowOriginHeader:             textMissing,
	PreflightMissingAllowOriginHeader:    textMissing,
	MultipleAllowOriginValues:            textMultiple,
	PreflightMultipleAllowOriginValues:   textMultiple,
	InvalidAllowOriginValue:              textInvalid,
	PreflightInvalidAllowOriginValue:     textInvalid,
	AllowOriginMismatch:                  textMismatch,
	PreflightAllowOriginMismatch:         textMismatch,
	InvalidAllowCredentials:              textCredentials,
	PreflightInvalidAllowCredentials:     textCredentials,
	CorsDisabledScheme:                   "Cross origin requests are only supported for protocol schemes: " + corsSchemes + ".",
	PreflightInvalidStatus:               "It does not have HTTP ok status.",
	PreflightDisallowedRedirect:          "Redirect is not allowed for a preflight request.",
	InvalidAllowMethodsPreflightResponse: "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
	InvalidAllowHeadersPreflightResponse: "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
	MethodDisallowedByPreflightResponse:  "Method %s is not allowed by Access-Control-Allow-Methods in preflight response.",
	HeaderDisallowedByPreflightResponse:  "Request header field %s is not allowed by Access-Control-Allow-Headers in preflight response.",
	RedirectContainsCredentials:          "Redirect location '%s' contains a username and password, which is disallowed for cross-origin requests.",
	InsecureLocalNetwork:                 "The request client is not a secure context and the resource is in more-private address space `%s`.",
	InvalidLocalNetworkAccess:            "Request had a target IP address space of `%s` yet the resource is in address space `%s`.",
	LocalNetworkAccessPermissionDenied:   "Permission was denied for this request to access the `%s` address space.",
}

// IsPreflight reports whether id is one of the eight errors whose console
// message says "Response to preflight request doesn't pass access control
// check". The method, header and parse errors of a preflight are not.
func (id ErrorID) IsPreflight() bool {
	switch id {
	case PreflightWildcardOriginNotAllowed, PreflightMissingAllowOriginHeader,
		PreflightMultipleAllowOriginValues, PreflightInvalidAllowOriginValue,
		PreflightAllowOriginMismatch, PreflightInvalidAllowCredentials,
		PreflightInvalidStatus, PreflightDisallowedRedirect:
		return true
	}
	return false
}

// preflightTwin maps an access-check error to the one reported when the
// check fails on a preflight response.
func (id ErrorID) preflightTwin() ErrorID {
	if id.IsPreflight() {
		return id
	}
	return "Preflight" + id
}

// suffix returns the sentence Chromium appends for initiator.
func (id ErrorID) suffix(initiator Initiator) string {
	switch id {
	case MultipleAllowOriginValues, PreflightMultipleAllowOriginValues,
		InvalidAllowOriginValue, PreflightInvalidAllowOriginValue,
		AllowOriginMismatch, PreflightAllowOriginMismatch:
		if initiator != XHR {
			return fetchSuffix
		}
	case WildcardOriginNotAllowed, PreflightWildcardOriginNotAllowed,
		InvalidAllowCredentials, PreflightInvalidAllowCredentials:
		if initiator == XHR {
			return xhrSuffix
		}
	}
	return ""
}

// Detail returns Chromium's detail text for id with the failed parameter
// hint, encoded as [EncodeHint] does, and without the preflight prefix
// or the initiator's suffix.
func (id ErrorID) Detail(hint string) string {
	d, ok := details[id]
	if !ok {
		return ""
	}
	if n := strings.Count(d, "%s"); n > 0 {
		args := make([]any, n)
		for i := range args {
			args[i] = EncodeHint(hint)
		}
		return fmt.Sprintf(d, args...)
	}
	return d
}

// EncodeHint encodes a failed parameter as Chromium's console message does
// (cors_error_string.cc, EncodeHint): printable ASCII is kept, every other
// character is written as \uXXXX with upper-case hex. A value that is not
// UTF-8 is read as Latin-1, so the raw byte 0xE9 becomes \u00E9 (observed
// in Chromium 156, reference §6 row 10). Characters beyond the BMP are
// written as two UTF-16 units.
func EncodeHint(s string) string {
	var b strings.Builder
	put := func(r rune) {
		if 0x20 <= r && r < 0x7F {
			b.WriteRune(r)
			return
		}
		if r > 0xFFFF {
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04X\u%04X`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			return
		}
		fmt.Fprintf(&b, `\u%04X`, r)
	}
	if utf8.ValidString(s) {
		for _, r := range s {
			put(r)
		}
	} else {
		for i := 0; i < len(s); i++ {
			put(rune(s[i]))
		}
	}
	return b.String()
}

// ConsoleMessage returns the message Chromium 156 prints in the console
// for id (GetErrorStringForConsoleMessage):
//
//	Access to <kind> at '<url>' [(redirected from '<initialURL>') ]from origin '<origin>' has been blocked by CORS policy: [<preflight prefix>]<detail>[<suffix>]
//
// initialURL is "" when the request was not redirected.
// [DisallowedByMode] is not printed as a CORS error: Chromium prints
// "Fetch API cannot load ..." instead.
func ConsoleMessage(id ErrorID, hint string, initiator Initiator, url, initialURL, origin string) string {
	if id == DisallowedByMode && initiator != XHR {
		return fmt.Sprintf(`Fetch API cannot load %s. Request mode is "same-origin" but the URL's origin is not same as the request origin %s.`, url, origin)
	}
	kind := "fetch"
	if initiator == XHR {
		kind = "XMLHttpRequest"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Access to %s at '%s' ", kind, url)
	if initialURL != "" {
		fmt.Fprintf(&b, "(redirected from '%s') ", initialURL)
	}
	fmt.Fprintf(&b, "from origin '%s' has been blocked by CORS policy: ", origin)
	if id.IsPreflight() {
		b.WriteString(preflightPrefix)
	}
	b.WriteString(id.Detail(hint))
	b.WriteString(id.suffix(initiator))
	return b.String()
}

// The Firefox reasons (mozilla/gecko-dev:dom/locales/en-US/chrome/security/security.properties).
// %[1]s is the URL, %[2]s the parameter.
var firefoxTexts = map[string]string{
	"CORSDisabled":                            "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS disabled).",
	"CORSDidNotSucceed2":                      "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS request did not succeed). Status code: %[2]s.",
	"CORSOriginHeaderNotAdded":                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS header ‘Origin’ cannot be added).",
	"CORSExternalRedirectNotAllowed":          "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS request external redirect not allowed).",
	"CORSRequestNotHttp":                      "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS request not http).",
	"CORSMissingAllowOrigin2":                 "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: %[2]s.",
	"CORSMultipleAllowOriginNotAllowed":       "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
	"CORSAllowOriginNotMatchingOrigin":        "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘%[2]s’).",
	"CORSNotSupportingCredentials":            "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘%[1]s’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
	"CORSMethodNotFound":                      "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’).",
	"CORSMissingAllowCredentials":             "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
	"CORSPreflightDidNotSucceed3":             "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: CORS preflight response did not succeed). Status code: %[2]s.",
	"CORSInvalidAllowMethod":                  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: invalid token ‘%[2]s’ in CORS header ‘Access-Control-Allow-Methods’).",
	"CORSInvalidAllowHeader":                  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: invalid token ‘%[2]s’ in CORS header ‘Access-Control-Allow-Headers’).",
	"CORSMissingAllowHeaderFromPreflight2":    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at %[1]s. (Reason: header ‘%[2]s’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
	"CORSAllowHeaderFromPreflightDeprecation": "Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at %[1]s soon. (Reason: When the `Access-Control-Allow-Headers` is `*`, the `Authorization` header is not covered. To include the `Authorization` header, it must be explicitly listed in CORS header `Access-Control-Allow-Headers`).",
}

// FirefoxMessage returns the console message Firefox prints for the reason
// key (such as "CORSMissingAllowOrigin2") about url, with param as its
// parameter, or "" for an unknown key.
func FirefoxMessage(key, url, param string) string {
	t, ok := firefoxTexts[key]
	if !ok {
		return ""
	}
	if strings.Contains(t, "%[2]s") {
		return fmt.Sprintf(t, url, param)
	}
	return fmt.Sprintf(t, url)
}

// Failure is a request a browser blocks for a CORS reason: the error, what
// Chromium and Firefox print, and what to change.
type Failure struct {
	// ID is Chromium's error and Parameter its failed parameter (raw bytes,
	// not encoded).
	ID        ErrorID
	Parameter string
	// URL is the URL of the response that failed; InitialURL is the first
	// URL of the chain when it was redirected, else "".
	URL        string
	InitialURL string
	// Origin is the page origin and Initiator the API, as printed.
	Origin    string
	Initiator Initiator
	// Firefox is Firefox's reason key and FirefoxParam its parameter; the
	// key is "" when Firefox's reason for this case is not known.
	Firefox      string
	FirefoxParam string
	// Fix says what to change, in plain words.
	Fix string
}

// Error implements error.
func (f *Failure) Error() string {
	return "fetch: blocked by CORS policy: " + string(f.ID) + ": " + f.ConsoleMessage()
}

// ConsoleMessage returns the exact message Chromium 156 prints.
func (f *Failure) ConsoleMessage() string {
	return ConsoleMessage(f.ID, f.Parameter, f.Initiator, f.URL, f.InitialURL, f.Origin)
}

// FirefoxMessage returns the message Firefox prints, or "".
func (f *Failure) FirefoxMessage() string { return FirefoxMessage(f.Firefox, f.URL, f.FirefoxParam) }
