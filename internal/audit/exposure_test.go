package audit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
)

// A public "*" API (no credentials) served on loopback, as a staging copy
// on a private address is: judged from the address it is medium, with
// --exposure public low; and --exposure internal makes the same API on a
// public name medium.
func TestExposure(t *testing.T) {
	public := fixedHeaders(http.Header{"Access-Control-Allow-Origin": {"*"}}, true)("")
	srv := httptest.NewServer(public)
	t.Cleanup(srv.Close)
	loopback, err := audit.ParseTarget(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	eps := lab()
	i := slices.IndexFunc(eps, func(e endpoint) bool { return e.name == "wildcard" })
	l := startLab(t, eps[i:i+1])
	named := l.targets(t)[0]

	for _, tc := range []struct {
		desc     string
		target   *audit.Target
		rt       http.RoundTripper
		exposure audit.Exposure
		want     audit.Severity
		judged   string
	}{
		{"loopback, auto", loopback, nil, audit.ExposureAuto, audit.Medium, "internal"},
		{"loopback, public", loopback, nil, audit.ExposurePublic, audit.Low, "public"},
		{"loopback, internal", loopback, nil, audit.ExposureInternal, audit.Medium, "internal"},
		{"public name, auto", named, l.transport(), audit.ExposureAuto, audit.Low, "public"},
		{"public name, internal", named, l.transport(), audit.ExposureInternal, audit.Medium, "internal"},
	} {
		rep, err := audit.Run(context.Background(), []*audit.Target{tc.target}, audit.Options{Transport: tc.rt, Exposure: tc.exposure})
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Err(); err != nil {
			t.Fatal(err)
		}
		if got := rep.Targets[0].Exposure; got != tc.judged {
			t.Errorf("%s: exposure %q; want %q", tc.desc, got, tc.judged)
		}
		var got []audit.Severity
		for _, f := range rep.Findings {
			if f.Class == audit.WildcardOrigin {
				got = append(got, f.Severity)
			}
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: wildcard-origin severities %v; want [%s]", tc.desc, got, tc.want)
		}
		if len(rep.Findings) != 1 {
			t.Errorf("%s: %d findings; want only wildcard-origin", tc.desc, len(rep.Findings))
		}
	}
	for _, s := range []string{"auto", "public", "internal"} {
		if e, err := audit.ParseExposure(s); err != nil || e.String() != s {
			t.Errorf("ParseExposure(%q) = %v, %v", s, e, err)
		}
	}
	if _, err := audit.ParseExposure("intranet"); err == nil {
		t.Error("ParseExposure(intranet): no error")
	}
}
