package devtools_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/devtools"
)

// bigHAR is a HAR of n requests from https://app.example, each to its own
// URL, each with its preflight recorded after it.
func bigHAR(n int) *devtools.HAR {
	h := &devtools.HAR{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		u := fmt.Sprintf("https://api.example/items/%d", i%(n/2+1))
		at := t0.Add(time.Duration(i) * time.Millisecond)
		var req, pre devtools.HAREntry
		req.StartedDateTime, req.ResourceType = at, "fetch"
		req.Request = devtools.HARRequest{Method: "PUT", URL: u, Headers: []devtools.HARHeader{{Name: "Origin", Value: "https://app.example"}}}
		req.Response.Status = 200
		pre.StartedDateTime, pre.ResourceType = at.Add(time.Microsecond), "preflight"
		pre.Request = devtools.HARRequest{Method: "OPTIONS", URL: u, Headers: []devtools.HARHeader{
			{Name: "Origin", Value: "https://app.example"}, {Name: "Access-Control-Request-Method", Value: "PUT"}}}
		pre.Response.Status = 204
		h.Log.Entries = append(h.Log.Entries, req, pre)
	}
	return h
}

// Pairing preflights costs a bounded amount per entry: it compared every
// request with every entry, making a header map each time, which for a
// HAR of 100,000 entries never ended.
func TestHAR_PairPreflights_scales(t *testing.T) {
	const n = 2000
	h := bigHAR(n)
	var pairs map[int]int
	allocs := testing.AllocsPerRun(1, func() { pairs = h.PairPreflights() })
	if per := allocs / float64(2*n); per > 100 {
		t.Errorf("%.0f allocations per entry; want at most 100", per)
	}
	if len(pairs) != n {
		t.Fatalf("%d requests paired; want %d", len(pairs), n)
	}
	for i, p := range pairs {
		if p != i+1 {
			t.Errorf("entry %d paired with %d; want %d, the preflight just after it", i, p, i+1)
		}
	}
}

func BenchmarkPairPreflights(b *testing.B) {
	for _, n := range []int{1000, 50000} {
		h := bigHAR(n)
		b.Run(fmt.Sprintf("entries=%d", 2*n), func(b *testing.B) {
			for b.Loop() {
				h.PairPreflights()
			}
		})
	}
}
