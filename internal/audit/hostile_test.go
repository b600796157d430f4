package audit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/audit"
)

// hostileServer answers every request on 127.0.0.1 with the same raw
// response, written as fast as the socket takes it, and closes.
func hostileServer(tb testing.TB, response []byte) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Minute))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				c.Write(response)
			})
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// headerFlood is a 200 response with n Access-Control-Allow-Origin lines
// (and filler lines of fillerSize bytes), the answer of the hostile server
// of issue 8.
func headerFlood(acao, filler, fillerSize int) []byte {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\nVary: Origin\r\n")
	for i := range acao {
		fmt.Fprintf(&b, "Access-Control-Allow-Origin: https://flood%06d.evil.example\r\n", i)
	}
	for i := range filler {
		fmt.Fprintf(&b, "X-Filler-%d: %s\r\n", i, strings.Repeat("f", fillerSize))
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// peakHeap samples the live heap until stop is called, and returns its
// peak.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

func hostileTargets(tb testing.TB, addr string, n int) []*audit.Target {
	var ts []*audit.Target
	for i := range n {
		t, err := audit.ParseTarget(fmt.Sprintf("http://%s/t%d", addr, i))
		if err != nil {
			tb.Fatal(err)
		}
		ts = append(ts, t)
	}
	return ts
}

// Issue 8, defect 2: a server answering each probe with ~10 MB of headers
// (190,000 Access-Control-Allow-Origin lines) took a one-target audit to
// 3.2 GB. The header block is refused past Chromium's 256 KiB, the target
// gets a clear error, and what the audit allocates stays bounded.
func Test_hostile_header_flood_one_target(t *testing.T) {
	flood := headerFlood(190_000, 0, 0)
	if len(flood) < 9<<20 {
		t.Fatalf("the flood is only %d bytes", len(flood))
	}
	addr := hostileServer(t, flood)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := audit.Run(context.Background(), hostileTargets(t, addr, 1), audit.Options{Timeout: time.Minute})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// Three responses cut at 256 KiB each, parsed by net/http: a few MiB
	// in all (the server's side of the test allocates nothing per
	// request). Before the bound, 3.2 GB.
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d KiB allocated by a one-target audit of the flood", allocated>>10)
	if allocated > 64<<20 {
		t.Errorf("%d MiB allocated; want at most 64 MiB", allocated>>20)
	}
	checkFloodRefused(t, rep)
}

func checkFloodRefused(t *testing.T, rep *audit.Report) {
	t.Helper()
	for _, tr := range rep.Targets {
		if !strings.Contains(tr.Error, "ERR_RESPONSE_HEADERS_TOO_BIG") || !strings.Contains(tr.Error, "audit stopped") {
			t.Fatalf("%s: error %q; want the header size named and the audit stopped", tr.URL, tr.Error)
		}
		if tr.Requests > 3 {
			t.Errorf("%s: %d requests sent to a target that refuses every response", tr.URL, tr.Requests)
		}
	}
	if len(rep.Findings) != 0 {
		t.Errorf("findings on responses no browser reads: %v", rep.Findings[0].Class)
	}
}

// The bound holds at --concurrency 256: 256 targets flooding at once (10
// MB of headers each, in longer lines, so that the test is cheap to run
// under the race detector on a busy machine), and the live heap stays
// bounded.
func Test_hostile_header_flood_is_bounded(t *testing.T) {
	flood := headerFlood(8, 5_000, 2_000)
	if len(flood) < 9<<20 {
		t.Fatalf("the flood is only %d bytes", len(flood))
	}
	addr := hostileServer(t, flood)
	runtime.GC()
	stop := peakHeap()
	rep, err := audit.Run(context.Background(), hostileTargets(t, addr, 256), audit.Options{Concurrency: 256, Timeout: 2 * time.Minute})
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	// 256 responses in flight, each refused after 256 KiB of header.
	const bound = 512 << 20
	t.Logf("peak live heap %d MiB for 256 targets at --concurrency 256", peak>>20)
	if peak > bound {
		t.Errorf("peak live heap %d MiB; want at most %d MiB", peak>>20, bound>>20)
	}
	checkFloodRefused(t, rep)
}

// Under Chromium's limit, a response with thousands of header lines is
// audited (its repeated Access-Control-Allow-Origin is a finding), and
// what is kept of each response is bounded, with every target in flight.
func Test_hostile_many_headers_keep_bounded_evidence(t *testing.T) {
	addr := hostileServer(t, headerFlood(100, 100, 40))
	n := 32
	runtime.GC()
	stop := peakHeap()
	rep, err := audit.Run(context.Background(), hostileTargets(t, addr, n), audit.Options{Concurrency: 256, Timeout: 20 * time.Second})
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("peak live heap %d MiB for %d targets", peak>>20, n)
	if peak > 256<<20 {
		t.Errorf("peak live heap %d MiB; want at most 256 MiB", peak>>20)
	}
	for _, tr := range rep.Targets {
		if tr.Exchanges != nil {
			t.Fatalf("%s: every exchange kept without KeepExchanges", tr.URL)
		}
	}
	for _, f := range rep.Findings {
		for _, ex := range f.Evidence {
			b, _ := json.Marshal(ex.Response)
			if len(b) > 24<<10 {
				t.Fatalf("%s: %d bytes kept of one response; want at most 24 KiB", f.URL, len(b))
			}
			if ex.Response.Truncated == "" || len(ex.Response.Header["Access-Control-Allow-Origin"]) != 8 {
				t.Fatalf("%s: truncated %q, %d ACAO values kept", f.URL, ex.Response.Truncated, len(ex.Response.Header["Access-Control-Allow-Origin"]))
			}
		}
	}
	invalid := 0
	for _, f := range rep.Findings {
		if f.Class == audit.InvalidAllowOrigin {
			invalid++
		}
	}
	if invalid != n {
		t.Errorf("%d invalid-allow-origin findings; want one per target (%d)", invalid, n)
	}
	b, _ := json.Marshal(rep.Findings)
	if per := len(b) / n; per > 256<<10 {
		t.Errorf("%d bytes of findings per target; want at most 256 KiB", per)
	}
}
