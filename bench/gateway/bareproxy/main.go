// Command bareproxy is the baseline of the gateway benchmark: a bare
// httputil.ReverseProxy with no CORS, no logs and no metrics, using the
// same transport settings and buffer pool as crossgate's gateway, so that
// the difference measures what the gateway adds. With -backend it is the
// benchmark's upstream instead: a fixed small JSON answer, and a bare 204
// to OPTIONS (the floor of a net/http server). With -preflight-headers it
// answers OPTIONS with a 204 that carries the CORS headers the gateway
// sends for the benchmark's preflight, fixed strings set on the header
// map: what net/http itself costs to send those headers.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18081", "the address to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:18080", "the upstream URL (proxy mode)")
	backend := flag.Bool("backend", false, "serve the benchmark's upstream instead of proxying")
	preflightHeaders := flag.Bool("preflight-headers", false, "answer OPTIONS with 204 and the gateway's CORS headers")
	flag.Parse()

	var h http.Handler
	switch {
	case *preflightHeaders:
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			hd["Access-Control-Allow-Origin"] = []string{r.Header.Get("Origin")}
			hd["Access-Control-Allow-Credentials"] = []string{"true"}
			hd["Access-Control-Allow-Methods"] = []string{"GET,POST,PUT,DELETE,PATCH"}
			hd["Access-Control-Allow-Headers"] = []string{"authorization,content-type,x-request-id"}
			hd["Access-Control-Max-Age"] = []string{"7200"}
			w.WriteHeader(http.StatusNoContent)
		})
	case *backend:
		body := []byte(`{"items":[{"id":1,"name":"first"},{"id":2,"name":"second"}],"total":2}` + "\n")
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Total-Count", "2")
			w.Write(body)
		})
	default:
		u, err := url.Parse(*upstream)
		if err != nil {
			log.Fatal(err)
		}
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		h = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				pr.SetXForwarded()
			},
			Transport: &http.Transport{
				DialContext:           d.DialContext,
				ForceAttemptHTTP2:     true,
				MaxIdleConns:          1024,
				MaxIdleConnsPerHost:   256,
				IdleConnTimeout:       90 * time.Second,
				ResponseHeaderTimeout: 30 * time.Second,
			},
			BufferPool: &pool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}},
		}
	}
	srv := &http.Server{Addr: *listen, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

type pool struct{ p sync.Pool }

func (p *pool) Get() []byte  { return *p.p.Get().(*[]byte) }
func (p *pool) Put(b []byte) { p.p.Put(&b) }
