package cors_test

import (
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

// Reconfigure while requests are in flight: every response is wholly under
// the old policy or wholly under the new one, never a mix. Run with -race.
func TestReconfigure_concurrent(t *testing.T) {
	a := cors.Config{AllowOrigins: []string{"https://a.example"}, ExposeHeaders: []string{"X-A"}}
	b := cors.Config{AllowOrigins: []string{"https://b.example"}, ExposeHeaders: []string{"X-B"}}
	mw, err := cors.New(a)
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Wrap(noopHandler)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o := "https://a.example"
				if i%2 == 1 {
					o = "https://b.example"
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, newRequest("GET", origin(o)))
				acao, aceh := rec.Header().Get(hACAO), rec.Header().Get(hACEH)
				switch {
				case acao == "" && aceh == "":
				case acao == "https://a.example" && aceh == "x-a":
				case acao == "https://b.example" && aceh == "x-b":
				default:
					t.Errorf("mixed policies: %s %q with %s %q", hACAO, acao, hACEH, aceh)
					return
				}
			}
		})
	}
	for i := range 2000 {
		cfg := a
		if i%2 == 1 {
			cfg = b
		}
		if err := mw.Reconfigure(cfg); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	// The last policy is in force.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newRequest("GET", origin("https://b.example")))
	if got := rec.Header().Get(hACAO); got != "https://b.example" {
		t.Errorf("after Reconfigure: got %s %q; want %q", hACAO, got, "https://b.example")
	}
}
