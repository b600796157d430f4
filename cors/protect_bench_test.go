package cors_test

import (
	"net/http"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

// BenchmarkProtectWrites measures Wrap with and without ProtectWrites, on
// the requests the write check passes (safe methods, allowed origins) and
// on a refused write (which writes its 403 body).
func BenchmarkProtectWrites(b *testing.B) {
	for _, protect := range []bool{false, true} {
		cfg := protectedCfg
		cfg.ProtectWrites = protect
		mw, err := cors.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		h := mw.Wrap(noopHandler)
		name := "protect=off"
		if protect {
			name = "protect=on"
		}
		for _, bc := range []struct{ name, method, origin, site string }{
			{"req=get-cross-site", "GET", "https://evil.example", "cross-site"},
			{"req=post-allowed", "POST", appOrigin, "same-site"},
			{"req=post-allowed-pattern", "POST", "https://pr-7.preview.example.com", "cross-site"},
			{"req=post-same-origin", "POST", "", "same-origin"},
			{"req=post-refused", "POST", "https://evil.example", "cross-site"},
		} {
			req := writeReq(bc.method, bc.origin, bc.site)
			w := &reusableWriter{h: make(http.Header)}
			b.Run(name+"/"+bc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					h.ServeHTTP(w, req)
				}
			})
		}
	}
}
