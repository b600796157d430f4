package gateway_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// Reloads that change proxy.upstream_timeout build a new transport each:
// under load, the connections of the old ones must be closed once no
// request uses them, so that open upstream connections and goroutines stay
// bounded however many reloads there are (issue 8, reliability defect 1).
func TestGateway_reloadClosesOldConnections(t *testing.T) {
	var open, peak atomic.Int64
	up := httptest.NewUnstartedServer(http.HandlerFunc(okHandler))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			if n := open.Add(1); n > peak.Load() {
				peak.Store(n) // racy maximum, good enough for a bound
			}
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	up.Start() // on 127.0.0.1
	t.Cleanup(up.Close)

	f, err := policyfile.Parse("policy.yaml", []byte(versionPolicy("a")))
	if err != nil {
		t.Fatal(err)
	}
	settings := func(i int) gateway.Settings {
		return gateway.Settings{Upstream: up.URL, UpstreamTimeout: time.Duration(2+i%2) * time.Second}
	}
	g, err := gateway.New(f, settings(0), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	baseGoroutines := runtime.NumGoroutine()

	const workers, reloads = 8, 150
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var served, failed atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "/x", nil)
				r.Header.Set("Origin", "https://app.example.com")
				g.ServeHTTP(w, r)
				if w.Code != 200 {
					failed.Add(1)
				}
				served.Add(1)
			}
		}()
	}
	for i := range reloads {
		if err := g.Load(f, settings(i+1)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed", n, served.Load())
	}
	t.Logf("%d requests during %d reloads; at most %d upstream connections open at once", served.Load(), reloads, peak.Load())

	// Only the transport in force may keep connections (how many depends
	// on how its dials raced). Retire it too: then no transport may keep
	// any. The server sees the closes a little later.
	if err := g.Load(f, settings(reloads+1)); err != nil {
		t.Fatal(err)
	}
	var n int64
	for range 500 {
		if n = open.Load(); n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n > 0 {
		t.Errorf("%d upstream connections still open after %d reloads under %d workers and one more reload; want none", n, reloads, workers)
	}
	if p := peak.Load(); p > 8*workers {
		t.Errorf("%d upstream connections open at once; want at most %d", p, 8*workers)
	}
	// Each open client connection has two goroutines (its read and write
	// loops), each server connection one.
	limit := baseGoroutines + 3*workers + 10
	var ng int
	for range 500 {
		if ng = runtime.NumGoroutine(); ng <= limit {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ng > limit {
		t.Errorf("%d goroutines after the reloads (%d before the load); want at most %d", ng, baseGoroutines, limit)
	}
}

// A preflight is answered without the recorder that proxied requests
// need: the gateway adds no allocation of its own beyond the CORS
// headers' values (one backing array, made by the cors package).
func TestGateway_preflightAllocs(t *testing.T) {
	f, err := policyfile.Parse("p.yaml", []byte(versionPolicy("a")))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(f, gateway.Settings{Upstream: "echo"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("OPTIONS", "http://api.test/api/items", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "PUT")
	w := &headerWriter{h: make(http.Header, 8)}
	allocs := testing.AllocsPerRun(100, func() {
		clear(w.h)
		g.ServeHTTP(w, r)
	})
	if w.status != http.StatusNoContent {
		t.Fatalf("got status %d; want 204", w.status)
	}
	if allocs > 1 {
		t.Errorf("%.0f allocations per preflight; want at most 1", allocs)
	}
}

type headerWriter struct {
	h      http.Header
	status int
}

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) WriteHeader(s int)           { w.status = s }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
