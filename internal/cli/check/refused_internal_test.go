package check

import (
	"net/http"
	"slices"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

// After a redirect the refused headers are those of the last preflight,
// the one that failed, not of the first, which passed.
func TestRefusedHeaders_lastPreflight(t *testing.T) {
	pre := func(allow string) fetch.Step {
		return fetch.Step{Kind: "preflight",
			Request:  fetch.StepRequest{Method: "OPTIONS", Header: http.Header{"Access-Control-Request-Headers": {"x-a,x-b"}}},
			Response: &fetch.StepResponse{Status: 204, Header: http.Header{"Access-Control-Allow-Headers": {allow}}}}
	}
	res := &fetch.Result{ChromiumError: fetch.HeaderDisallowedByPreflightResponse, Steps: []fetch.Step{
		pre("x-a, x-b"),
		{Kind: "request", Request: fetch.StepRequest{Method: "PUT"}, Response: &fetch.StepResponse{Status: 307}},
		pre("x-a"),
	}}
	if got := refusedHeaders(res, false); !slices.Equal(got, []string{"x-b"}) {
		t.Errorf("refused %q; want [x-b], from the second preflight", got)
	}
}
