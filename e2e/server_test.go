package e2e_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crossgate/crossgate/internal/browserpage"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// target is the server the page's requests go to. It listens on
// 127.0.0.1 and speaks HTTP/1.1 itself, so that each response goes out
// exactly as a scenario wrote it: header lines in the order given, names
// repeated, values padded or holding any byte. Every request is recorded
// under its nonce, the first segment of its path.
type target struct {
	ln   net.Listener
	port string

	mu       sync.Mutex
	routes   map[string]scenarios.Route // by absolute URL
	handlers map[string]http.Handler    // by nonce
	seen     map[string][]seenRequest   // by nonce
	conns    map[net.Conn]bool          // open
	closed   bool
	wg       sync.WaitGroup
}

// seenRequest is what the target recorded of one request: what CORS
// cares about.
type seenRequest struct {
	Method, Path, Origin, ACRM, ACRH string
}

func (s seenRequest) String() string {
	return fmt.Sprintf("%s %s Origin=%q ACRM=%q ACRH=%q", s.Method, s.Path, s.Origin, s.ACRM, s.ACRH)
}

func newTarget() (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	t := &target{ln: ln, port: port, routes: map[string]scenarios.Route{},
		handlers: map[string]http.Handler{}, seen: map[string][]seenRequest{}}
	t.wg.Add(1)
	go t.serve()
	return t, nil
}

// close stops the server: it closes the listener and every connection,
// idle keep-alive ones included, and waits for them to end.
func (t *target) close() {
	t.ln.Close()
	t.mu.Lock()
	t.closed = true
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// env returns the URLs of a case under nonce: the target on 127.0.0.1 and
// the same server as localhost, another origin.
func (t *target) env(pageOrigin, nonce string) scenarios.Env {
	return scenarios.Env{
		Origin:  pageOrigin,
		Target:  "http://127.0.0.1:" + t.port + "/" + nonce + "/api",
		Target2: "http://localhost:" + t.port + "/" + nonce + "/api",
	}
}

func (t *target) addRoutes(routes map[string]scenarios.Route) {
	t.mu.Lock()
	defer t.mu.Unlock()
	maps.Copy(t.routes, routes)
}

// handle serves every request under nonce with h.
func (t *target) handle(nonce string, h http.Handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.handlers[nonce] = h
}

// requests returns what the target saw under nonce so far.
func (t *target) requests(nonce string) []seenRequest {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.seen[nonce])
}

func (t *target) serve() {
	defer t.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			c.Close()
			continue
		}
		if t.conns == nil {
			t.conns = make(map[net.Conn]bool)
		}
		t.conns[c] = true
		t.mu.Unlock()
		conns.Add(1)
		go func() {
			defer conns.Done()
			t.serveConn(c)
			t.mu.Lock()
			delete(t.conns, c)
			t.mu.Unlock()
		}()
	}
}

func (t *target) serveConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		// Idle connections end with the listener's owner: Chromium keeps
		// them open, so bound how long one may sit idle.
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		var out bytes.Buffer
		t.respond(&out, r)
		if _, err := c.Write(out.Bytes()); err != nil || r.Close {
			return
		}
	}
}

func (t *target) respond(w *bytes.Buffer, r *http.Request) {
	nonce, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	t.mu.Lock()
	t.seen[nonce] = append(t.seen[nonce], seenRequest{
		Method: r.Method, Path: "/" + rest, Origin: r.Header.Get("Origin"),
		ACRM: r.Header.Get("Access-Control-Request-Method"), ACRH: r.Header.Get("Access-Control-Request-Headers"),
	})
	route, found := t.routes["http://"+r.Host+r.URL.RequestURI()]
	h := t.handlers[nonce]
	t.mu.Unlock()
	if h != nil {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		writeResponse(w, res.StatusCode, res.Header, rec.Body.Bytes(), r.Method)
		return
	}
	resp := route.Actual
	if r.Method == http.MethodOptions {
		resp = route.Preflight
	}
	if !found {
		resp = &scenarios.Response{Status: 404}
	}
	if resp == nil {
		resp = scenarios.OK()
	}
	status := resp.Status
	if status == 0 {
		status = 200
	}
	writeResponse(w, status, resp.Header, nil, r.Method)
}

// writeResponse writes a response as is: the names in sorted order, each
// value as given, and Content-Length.
func writeResponse(w *bytes.Buffer, status int, h http.Header, body []byte, method string) {
	text := http.StatusText(status)
	if text == "" {
		text = "Status"
	}
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", status, text)
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if strings.EqualFold(name, "Content-Length") {
			continue
		}
		for _, v := range h[name] {
			fmt.Fprintf(w, "%s: %s\r\n", name, v)
		}
	}
	if status != 204 && status != 304 && status >= 200 {
		fmt.Fprintf(w, "Content-Length: %d\r\n", len(body))
	}
	w.WriteString("\r\n")
	if method != http.MethodHead && status != 204 && status != 304 {
		w.Write(body)
	}
}

// rawTransport sends each request on a new connection, writing its
// header lines as they are: unlike http.Transport it sends any byte a
// browser sends (such as 0x01 in Accept-Language). It is how the model
// reaches the target.
type rawTransport struct{}

func (rawTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(r.Context(), "tcp", r.URL.Host)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", r.Method, r.URL.RequestURI(), r.URL.Host)
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[name] {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	if len(body) > 0 || r.Method == http.MethodPost || r.Method == http.MethodPut {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(body)
	if _, err := c.Write(b.Bytes()); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), r)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}

// pageHTML is the page the browser opens on the page origin: check
// --browser's (package browserpage).
const pageHTML = browserpage.HTML

func newPageServer() (*httptest.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, pageHTML)
	})}}
	s.Start()
	return s, nil
}
