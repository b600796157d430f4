package audit_test

import (
	"context"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
)

// BenchmarkAuditLab audits every endpoint of the lab (every class, the
// correct endpoints too) and reports the requests sent per endpoint, in
// the adaptive mode (the default) and with --thorough, without a rate
// limit. The default-flags case runs as the command does by default
// (--rate 50/s, --concurrency 4) with the lab's endpoints sharing one
// host's rate limit, as the endpoints of one API would: its ns/op is the
// lab's time at default flags.
func BenchmarkAuditLab(b *testing.B) {
	for _, bc := range []struct {
		name     string
		thorough bool
		rate     float64
		conc     int
	}{
		{"mode=adaptive/concurrency=1", false, 0, 1},
		{"mode=adaptive/concurrency=8", false, 0, 8},
		{"mode=thorough/concurrency=1", true, 0, 1},
		{"mode=thorough/concurrency=8", true, 0, 8},
		{"mode=adaptive/default-flags", false, audit.DefaultRate, 4},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := startLab(b, lab())
			b.ReportAllocs()
			requests, findings := 0, 0
			for b.Loop() {
				opts := audit.Options{Transport: l.transport(), Concurrency: bc.conc, Thorough: bc.thorough, RatePerHost: bc.rate}
				audit.OneHost(&opts)
				rep, err := audit.Run(context.Background(), l.targets(b), opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := rep.Err(); err != nil {
					b.Fatal(err)
				}
				requests, findings = rep.Requests(), len(rep.Findings)
			}
			n := float64(len(l.endpoints))
			b.ReportMetric(float64(requests)/n, "requests/endpoint")
			b.ReportMetric(float64(requests), "requests/op")
			b.ReportMetric(float64(findings), "findings/op")
			b.ReportMetric(n, "targets/op")
		})
	}
}
