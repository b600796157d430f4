package fetch_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// The scenario inputs the e2e suite runs in a real Chromium live in
// internal/scenarios. These tests hold the model to the verdicts of this
// package's own tables on those shared inputs, so the two cannot drift.

var sharedEnv = scenarios.Env{Origin: O, Target: T, Target2: T2}

// sharedTransport answers from a shared case's routes.
type sharedTransport struct {
	routes     map[string]scenarios.Route
	preflights int
}

func (s *sharedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	u := *r.URL
	u.Fragment = ""
	route, found := s.routes[u.String()]
	a := route.Actual
	if r.Method == http.MethodOptions {
		s.preflights++
		a = route.Preflight
	}
	if !found {
		a = scenarios.Status(404)
	}
	if a == nil {
		a = scenarios.OK()
	}
	status := a.Status
	if status == 0 {
		status = 200
	}
	h := http.Header{}
	for name, vs := range a.Header {
		for _, v := range vs {
			h.Add(name, strings.Trim(v, " \t")) // as an HTTP parser would
		}
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// TestScenarios_shared runs the shared §6 rows with the outcomes of
// matrixScenarios, matched by name.
func TestScenarios_shared(t *testing.T) {
	wants := map[string]outcome{}
	for _, sc := range matrixScenarios {
		if sc.engine == fetch.Chromium {
			wants[sc.desc] = sc.want
		}
	}
	matched := 0
	for _, c := range scenarios.Matrix(sharedEnv) {
		if len(c.Then) > 0 {
			continue // the cache rows: cache_test.go, on a fake clock
		}
		want, ok := wants[c.Name]
		if !ok {
			t.Errorf("shared row %q has no outcome in matrixScenarios", c.Name)
			continue
		}
		matched++
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			tr := &sharedTransport{routes: c.Routes}
			res, err := (&fetch.Client{Transport: tr}).Do(context.Background(), c.Requests(sharedEnv)[0])
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			checkResult(t, res, want, tr.preflights)
		})
	}
	if matched != len(wants) {
		t.Errorf("matched %d shared rows; matrixScenarios has %d", matched, len(wants))
	}
}

// TestScenarios_sharedWPT holds the model to what each WPT-derived row's
// test asserts.
func TestScenarios_sharedWPT(t *testing.T) {
	for _, c := range scenarios.WPT(sharedEnv) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			tr := &sharedTransport{routes: c.Routes}
			res, err := (&fetch.Client{Transport: tr}).Do(context.Background(), c.Requests(sharedEnv)[0])
			if err != nil && !strings.Contains(c.Name, `\x00`) {
				t.Fatalf("Do: %v", err)
			}
			if res.Allowed != c.WPT.OK {
				t.Errorf("got allowed %t; WPT asserts %t (%s)", res.Allowed, c.WPT.OK, res.ConsoleMessage)
			}
			if got := tr.preflights > 0; got != c.WPT.Preflight {
				t.Errorf("got preflight %t; WPT asserts %t", got, c.WPT.Preflight)
			}
		})
	}
}
