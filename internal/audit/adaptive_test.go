package audit_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
)

// shared is one thorough audit of the whole lab, for the tests that only
// read it: a thorough audit of the lab is the costliest part of this
// package's tests. TestMain stops its lab.
var shared struct {
	once sync.Once
	lab  *labServer
	rep  *audit.Report
	err  error
}

func thoroughLab(tb testing.TB) (*labServer, *audit.Report) {
	tb.Helper()
	shared.once.Do(func() {
		shared.lab = newLab(lab())
		shared.rep, shared.err = audit.Run(context.Background(), shared.lab.targets(tb), audit.Options{
			KeepExchanges: true, Transport: shared.lab.transport(), Concurrency: 8, Thorough: true,
		})
		if shared.err == nil {
			shared.err = shared.rep.Err()
		}
	})
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.lab, shared.rep
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.lab != nil {
		shared.lab.close()
	}
	os.Exit(code)
}

func runLabMode(tb testing.TB, l *labServer, thorough bool) *audit.Report {
	tb.Helper()
	rep, err := audit.Run(context.Background(), l.targets(tb), audit.Options{
		KeepExchanges: true, Transport: l.transport(), Concurrency: 8, Thorough: thorough,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		tb.Fatal(err)
	}
	return rep
}

// worst returns, per class found on url, the highest severity.
func worst(rep *audit.Report, url string) map[audit.Class]audit.Severity {
	m := map[audit.Class]audit.Severity{}
	for _, f := range rep.Findings {
		if f.URL == url {
			m[f.Class] = max(m[f.Class], f.Severity)
		}
	}
	return m
}

// The adaptive audit (the default) finds on every endpoint of the lab
// exactly the classes of the thorough battery, each at the same highest
// severity, with at most 25 requests per endpoint on average.
func TestAdaptiveEqualsThorough(t *testing.T) {
	l, thorough := thoroughLab(t)
	adaptive := runLabMode(t, l, false)
	for i, e := range l.endpoints {
		want, got := worst(thorough, e.url()), worst(adaptive, e.url())
		if !maps.Equal(got, want) {
			t.Errorf("%s: adaptive found %v; thorough %v", e.name, fmtClasses(got), fmtClasses(want))
		}
		if a, th := adaptive.Targets[i].Requests, thorough.Targets[i].Requests; a > th {
			t.Errorf("%s: adaptive sent %d requests, thorough %d", e.name, a, th)
		}
	}
	n := float64(len(l.endpoints))
	perAdaptive, perThorough := float64(adaptive.Requests())/n, float64(thorough.Requests())/n
	t.Logf("requests per endpoint over %d endpoints: adaptive %.1f, thorough %.1f", len(l.endpoints), perAdaptive, perThorough)
	if perAdaptive > 25 {
		t.Errorf("adaptive: %.1f requests per endpoint; want at most 25", perAdaptive)
	}
}

func fmtClasses(m map[audit.Class]audit.Severity) string {
	cs := slices.Sorted(maps.Keys(m))
	s := "["
	for i, c := range cs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s:%s", c, m[c])
	}
	return s + "]"
}
