package explain

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// newRequest builds the request to explain: the one the options describe,
// or with opts.Preflight the preflight a browser sends for it
// (https://fetch.spec.whatwg.org/#cors-preflight-fetch). The notes say
// what a reader may not expect.
func newRequest(ctx context.Context, opts *Options) (*http.Request, []string, error) {
	if !opts.Preflight {
		r, err := http.NewRequestWithContext(ctx, opts.Method, opts.URL.String(), nil)
		if err != nil {
			return nil, nil, err
		}
		for name, values := range opts.Header {
			r.Header[name] = slices.Clone(values)
		}
		if opts.Origin != "" {
			r.Header.Set("Origin", opts.Origin)
		}
		return r, nil, nil
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodOptions, opts.URL.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	// The headers of the preflight, in the order of the Fetch standard
	// (step 2 to 5).
	r.Header.Set("Accept", "*/*")
	r.Header.Set("Access-Control-Request-Method", opts.Method)
	unsafe := unsafeHeaderNames(opts.Header)
	if len(unsafe) > 0 {
		r.Header.Set("Access-Control-Request-Headers", strings.Join(unsafe, ","))
	}
	r.Header.Set("Origin", opts.Origin)
	var notes []string
	if isSafelistedMethod(opts.Method) && len(unsafe) == 0 {
		notes = append(notes, "a browser sends no preflight for this request (a CORS-safelisted method and headers): "+
			"this is the preflight it would send if forced to (by an upload listener or a streamed body)")
	}
	return r, notes, nil
}

// normalizeMethod upper-cases m when it is a byte-case-insensitive match for
// DELETE, GET, HEAD, OPTIONS, POST or PUT, as browsers do
// (https://fetch.spec.whatwg.org/#concept-method-normalize).
func normalizeMethod(m string) string {
	for _, n := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if strings.EqualFold(m, n) {
			return n
		}
	}
	return m
}

// isForbiddenMethod reports whether browsers refuse to send m
// (https://fetch.spec.whatwg.org/#forbidden-method).
func isForbiddenMethod(m string) bool {
	return strings.EqualFold(m, "CONNECT") || strings.EqualFold(m, "TRACE") || strings.EqualFold(m, "TRACK")
}

// isSafelistedMethod reports whether m is a CORS-safelisted method
// (https://fetch.spec.whatwg.org/#cors-safelisted-method).
func isSafelistedMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodPost
}

// isForbiddenRequestHeader reports whether scripts cannot set the header
// with the lower-case name (https://fetch.spec.whatwg.org/#forbidden-request-header).
// The X-HTTP-Method family, forbidden only with some values, is not.
func isForbiddenRequestHeader(name string) bool {
	switch name {
	case "accept-charset", "accept-encoding", "access-control-request-headers",
		"access-control-request-method", "connection", "content-length", "cookie",
		"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
		"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via":
		return true
	}
	return strings.HasPrefix(name, "proxy-") || strings.HasPrefix(name, "sec-")
}

// unsafeHeaderNames returns the CORS-unsafe request-header names of h,
// lower-case, sorted and without duplicates
// (https://fetch.spec.whatwg.org/#cors-unsafe-request-header-names).
func unsafeHeaderNames(h http.Header) []string {
	var unsafe, safe []string
	safeSize := 0
	for name, values := range h {
		lower := strings.ToLower(name)
		for _, v := range values {
			if isSafelistedHeader(lower, v) {
				safe = append(safe, lower)
				safeSize += len(v)
			} else {
				unsafe = append(unsafe, lower)
			}
		}
	}
	if safeSize > 1024 {
		unsafe = append(unsafe, safe...)
	}
	slices.Sort(unsafe)
	return slices.Compact(unsafe)
}

// isSafelistedHeader reports whether the header with the lower-case name
// and value is a CORS-safelisted request-header
// (https://fetch.spec.whatwg.org/#cors-safelisted-request-header).
func isSafelistedHeader(name, value string) bool {
	if len(value) > 128 {
		return false
	}
	switch name {
	case "accept":
		return !strings.ContainsFunc(value, isUnsafeByte)
	case "accept-language", "content-language":
		return !strings.ContainsFunc(value, func(r rune) bool {
			return !('0' <= r && r <= '9' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || strings.ContainsRune(" *,-.;=", r))
		})
	case "content-type":
		if strings.ContainsFunc(value, isUnsafeByte) {
			return false
		}
		switch mimeEssence(value) {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return true
		}
	case "range":
		return isSimpleRange(value)
	}
	return false
}

// isUnsafeByte reports whether r is a CORS-unsafe request-header byte
// (https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte).
func isUnsafeByte(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f || strings.ContainsRune(`"():<>?@[\]{}`, r)
}

// mimeEssence returns the lower-case "type/subtype" of a MIME type, or ""
// if it does not parse (https://mimesniff.spec.whatwg.org/#parse-a-mime-type;
// the parameters, which do not change the essence, are not checked).
func mimeEssence(s string) string {
	s = strings.Trim(s, " \t\r\n")
	typ, rest, ok := strings.Cut(s, "/")
	if !ok {
		return ""
	}
	sub, _, _ := strings.Cut(rest, ";")
	sub = strings.TrimRight(sub, " \t\r\n")
	if !isMIMEToken(typ) || !isMIMEToken(sub) {
		return ""
	}
	return strings.ToLower(typ + "/" + sub)
}

func isMIMEToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// isSimpleRange reports whether v is a single byte range with a start and
// no whitespace, such as "bytes=100-" or "bytes=100-200"
// (https://fetch.spec.whatwg.org/#simple-range-header-value).
func isSimpleRange(v string) bool {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	start, end, ok := strings.Cut(spec, "-")
	if !ok || !isDigits(start) || (end != "" && !isDigits(end)) {
		return false
	}
	if end == "" {
		return true
	}
	// Compare as numbers without overflow: strip leading zeros, then
	// compare lengths, then digits.
	start, end = strings.TrimLeft(start, "0"), strings.TrimLeft(end, "0")
	return len(start) < len(end) || len(start) == len(end) && start <= end
}

func isDigits(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}
