package fetch

import (
	"net/http"
	"strings"
)

// notUpdated are the fields a 304 does not change in the stored response
// (Chromium's HttpResponseHeaders::Update, net/http/http_response_headers.cc):
// hop-by-hop fields, those that describe the stored body, and a few
// security fields. Names starting with x-content- or x-webkit- are kept too.
var notUpdated = map[string]bool{
	"connection": true, "proxy-connection": true, "keep-alive": true, "www-authenticate": true,
	"proxy-authenticate": true, "proxy-authorization": true, "te": true, "trailer": true,
	"transfer-encoding": true, "upgrade": true, "content-location": true, "content-md5": true,
	"etag": true, "content-encoding": true, "content-range": true, "content-type": true,
	"content-length": true, "x-frame-options": true, "x-xss-protection": true,
}

// Revalidated returns the headers of a stored response once a 304 (Not
// Modified) with the headers notModified has revalidated it, as the HTTP
// cache updates them (https://www.rfc-editor.org/rfc/rfc9111#section-4.3.4;
// Chromium's HttpResponseHeaders::Update): every field the 304 carries
// replaces the stored field of that name, except those listed above. The
// result is what the CORS check ([Engine.CheckResponse]) and the filtering
// of readable headers ([ReadableHeaders]) then run on, so a 304 without
// CORS headers keeps the stored ones, and a 304 with
// Access-Control-Expose-Headers or Access-Control-Allow-Origin replaces
// them (WPT cors/304.htm; observed in Chromium 156). The arguments are not
// modified.
//
// When a browser revalidates a stored response, rather than using it while
// fresh or not storing it, is the HTTP cache's decision, which this package
// does not model: [Client] sends no conditional requests.
func Revalidated(stored, notModified http.Header) http.Header {
	out := stored.Clone()
	if out == nil {
		out = http.Header{}
	}
	for name := range notModified {
		if !updatable(name) {
			continue
		}
		// Drop the stored field under any spelling of its name.
		for k := range out {
			if strings.EqualFold(k, name) {
				delete(out, k)
			}
		}
	}
	for name, values := range notModified {
		if !updatable(name) {
			continue
		}
		out[name] = append(out[name], values...)
	}
	return out
}

// updatable reports whether a 304's field name replaces the stored one.
func updatable(name string) bool {
	lower := strings.ToLower(name)
	return !notUpdated[lower] && !strings.HasPrefix(lower, "x-content-") && !strings.HasPrefix(lower, "x-webkit-")
}
