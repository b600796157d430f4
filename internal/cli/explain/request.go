package explain

import (
	"context"
	"net/http"
	"slices"

	"github.com/crossgate/crossgate/fetch"
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
	// The preflight exactly as Chromium builds it
	// (https://fetch.spec.whatwg.org/#cors-preflight-fetch, steps 1 to 5).
	plan, err := fetch.Chromium.Classify(fetch.Request{
		Method: opts.Method,
		URL:    opts.URL.String(),
		Origin: opts.Origin,
		Header: opts.Header,
	})
	if err != nil {
		return nil, nil, err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodOptions, opts.URL.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	r.Header = plan.PreflightHeader()
	var notes []string
	if !plan.NeedsPreflight() {
		notes = append(notes, "a browser sends no preflight for this request (a CORS-safelisted method and headers): "+
			"this is the preflight it would send if forced to (by an upload listener or a streamed body)")
	}
	return r, notes, nil
}
