package audit_test

import (
	"fmt"
	"testing"
)

// BenchmarkAuditLab audits every endpoint of the lab (every class, the
// correct endpoints too) and reports the requests sent per audit.
func BenchmarkAuditLab(b *testing.B) {
	for _, c := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			l := startLab(b, lab())
			b.ReportAllocs()
			requests, findings := 0, 0
			for b.Loop() {
				rep := runLab(b, l, c)
				if err := rep.Err(); err != nil {
					b.Fatal(err)
				}
				requests, findings = rep.Requests(), len(rep.Findings)
			}
			b.ReportMetric(float64(requests), "requests/op")
			b.ReportMetric(float64(findings), "findings/op")
			b.ReportMetric(float64(len(l.endpoints)), "targets/op")
		})
	}
}
