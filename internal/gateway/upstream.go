package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/prometheus/client_golang/prometheus"
)

// upstream is where requests are forwarded: a URL, reached through the
// gateway's transport, or the built-in echo.
type upstream struct {
	target    *url.URL
	transport http.RoundTripper
}

// echoTarget is the URL requests to the echo upstream are rewritten to;
// the echo transport answers them without any network.
var echoTarget = &url.URL{Scheme: "http", Host: "echo"}

// newUpstream returns the upstream named s, checked already by
// policyfile.CheckUpstream.
func newUpstream(s string, t *http.Transport) *upstream {
	if s == policyfile.EchoUpstream {
		return &upstream{target: echoTarget, transport: echoTransport{}}
	}
	u, err := url.Parse(s)
	if err != nil {
		panic("gateway: unchecked upstream " + strconv.Quote(s)) // policyfile.CheckUpstream accepted it
	}
	return &upstream{target: u, transport: t}
}

// newTransport returns the transport to the upstreams. It ignores the
// HTTP(S)_PROXY variables: the upstreams are the gateway's neighbours.
func newTransport(timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256, // the default of 2 makes a busy gateway open a connection per request
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: 1 * time.Second,
	}
}

// bufferPool lends the reverse proxies their copy buffers.
var bufferPool = &pool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}

type pool struct{ p sync.Pool }

func (p *pool) Get() []byte  { return *p.p.Get().(*[]byte) }
func (p *pool) Put(b []byte) { p.p.Put(&b) }

// timedTransport measures the upstream's latency: the time to its
// response header, or to the error.
type timedTransport struct {
	base    http.RoundTripper
	observe prometheus.Observer
	errors  prometheus.Counter
}

func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	t.observe.Observe(time.Since(start).Seconds())
	if err != nil {
		t.errors.Inc()
	}
	return resp, err
}

// echoTransport is the built-in echo upstream: it answers every request
// with a JSON description of what it received, as an upstream would
// have.
type echoTransport struct{}

// echoBodyLimit is how much of the request body the echo repeats.
const echoBodyLimit = 64 << 10

// Echo is what the echo upstream answers with.
type Echo struct {
	Method    string      `json:"method"`
	URI       string      `json:"uri"`
	Proto     string      `json:"proto"`
	Host      string      `json:"host"`
	Header    http.Header `json:"header"`
	Body      string      `json:"body"`
	BodyBytes int64       `json:"body_bytes"` // the whole body's length; Body holds at most 64 KiB
}

func (echoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	e := Echo{Method: r.Method, URI: r.URL.RequestURI(), Proto: r.Proto, Host: r.Host, Header: r.Header.Clone()}
	if e.Host == "" {
		e.Host = r.URL.Host
	}
	if r.Body != nil {
		var b bytes.Buffer
		n, err := io.Copy(&b, io.LimitReader(r.Body, echoBodyLimit))
		if err == nil {
			var rest int64
			rest, err = io.Copy(io.Discard, r.Body)
			n += rest
		}
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		e.Body, e.BodyBytes = b.String(), n
	}
	body, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	return &http.Response{
		Status:     "200 OK",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":   {"application/json"},
			"Content-Length": {strconv.Itoa(len(body))},
		},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}
