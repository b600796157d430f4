package cors_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// spyHandler records whether it was called, and answers 200.
type spyHandler struct{ called bool }

func (s *spyHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.called = true
	w.WriteHeader(http.StatusOK)
}

// reqCase is a request sent to a middleware and what must come of it.
type reqCase struct {
	desc    string
	method  string
	reqHdrs http.Header
	// wantHandler says whether the wrapped handler must run.
	wantHandler bool
	wantStatus  int
	// wantHdrs is the exact set of CORS and Vary headers of the response.
	wantHdrs   http.Header
	wantReason string
}

func newRequest(method string, hdrs http.Header) *http.Request {
	if method == "" {
		method = http.MethodGet
	}
	r := httptest.NewRequest(method, "https://api.example.com/v1/items", nil)
	for k, v := range hdrs {
		r.Header[k] = slices.Clone(v)
	}
	return r
}

// isListField reports whether a header is list-based, so that its values
// are compared as sets of comma-separated elements.
func isListField(name string) bool {
	switch name {
	case "Vary", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Expose-Headers":
		return true
	}
	return false
}

func elements(values []string) []string {
	var out []string
	for _, v := range values {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	slices.Sort(out)
	return out
}

// assertCORSHeaders checks that got holds exactly the CORS and Vary headers
// of want: no more, no fewer, and no value twice.
func assertCORSHeaders(t *testing.T, got, want http.Header) {
	t.Helper()
	relevant := func(name string) bool {
		return name == "Vary" || strings.HasPrefix(name, "Access-Control-")
	}
	for name, gv := range got {
		if !relevant(name) {
			continue
		}
		wv, ok := want[name]
		if !ok {
			t.Errorf("unexpected header %s: %q", name, gv)
			continue
		}
		if isListField(name) {
			if g, w := elements(gv), elements(wv); !slices.Equal(g, w) {
				t.Errorf("header %s: got %q; want %q", name, gv, wv)
			}
			continue
		}
		if !slices.Equal(gv, wv) {
			t.Errorf("header %s: got %q; want %q", name, gv, wv)
		}
	}
	for name, wv := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("missing header %s: want %q", name, wv)
		}
	}
}
