package devtools

import "testing"

// Chromium at times records a redirect's next hop with its provisional
// headers only: a response, but no Origin (seen in the e2e suite). The
// entry is still the page's cross-origin fetch, from its Referer's origin;
// a same-origin GET without Origin stays same-origin.
func TestHAREntry_originFromReferer(t *testing.T) {
	hop := HAREntry{ResourceType: "fetch"}
	hop.Request = HARRequest{Method: "GET", URL: "http://127.0.0.1:9001/har/open?from=redirect",
		Headers: []HARHeader{{"Referer", "http://127.0.0.1:9000/"}}}
	hop.Response = HARResponse{Status: 200, Error: "net::ERR_ABORTED"}
	if got := hop.Origin(); got != "http://127.0.0.1:9000" {
		t.Errorf("Origin() = %q; want http://127.0.0.1:9000", got)
	}
	if !hop.IsCrossOrigin() {
		t.Error("the hop is not cross-origin; want it is")
	}
	same := hop
	same.Request.URL = "http://127.0.0.1:9000/data"
	if same.IsCrossOrigin() {
		t.Error("a same-origin GET without Origin is cross-origin; want it is not")
	}
	doc := hop
	doc.ResourceType = "document"
	if got := doc.Origin(); got != "" {
		t.Errorf("a navigation's Origin() = %q; want none", got)
	}
}

// A Referer's origin is serialized as the browser serializes origins: a
// written default port left out, so that a same-origin request stays so.
func TestHAREntry_refererDefaultPort(t *testing.T) {
	e := HAREntry{ResourceType: "fetch", Request: HARRequest{Method: "GET", URL: "https://a.example/x",
		Headers: []HARHeader{{Name: "Referer", Value: "https://A.example:443/page"}}}}
	if o := e.Origin(); o != "https://a.example" || e.IsCrossOrigin() {
		t.Errorf("origin %q, cross-origin %t; want https://a.example, same-origin", o, e.IsCrossOrigin())
	}
}
