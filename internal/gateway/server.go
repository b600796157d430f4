package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/crossgate/crossgate/internal/policyfile"
	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ServerOptions configure a [Server].
type ServerOptions struct {
	// ConfigPath is the policy file, reloaded by [Server.Reload] and, when
	// Watch is set, whenever it changes.
	ConfigPath string
	Watch      bool
	Overrides  Overrides
	// Logger receives the access log and the server's events. When it is
	// nil, the server writes to LogWriter in the policy file's log format,
	// or discards its logs if LogWriter is nil too.
	Logger    *slog.Logger
	LogWriter io.Writer
}

// Server runs a Gateway: its listener, the admin listener, reloads and
// graceful shutdown.
type Server struct {
	opts    ServerOptions
	log     *slog.Logger
	gw      *Gateway
	metrics *Metrics
	reg     *prometheus.Registry

	mu       sync.Mutex // guards what a reload changes; held only to apply one
	settings Settings   // in force
	lastSum  [32]byte   // of the file in force
	cert     atomic.Pointer[tls.Certificate]

	srv, admin  *http.Server
	ln, adminLn net.Listener
	logw        *bufferedWriter // nil when the caller gave a Logger
	ready       atomic.Bool
	stopping    atomic.Bool // shutdown has started: a reload in progress is dropped
	reloads     chan struct{}
	page        adminPage // the admin page's state (admin.go)
}

// NewServer loads the policy file and builds the gateway. The error is a
// *policyfile.Error for an invalid file; any other error names what is
// wrong (an unreadable file, a missing upstream, bad TLS files).
func NewServer(opts ServerOptions) (*Server, error) {
	s := &Server{opts: opts, log: opts.Logger, reg: prometheus.NewRegistry(), reloads: make(chan struct{}, 1)}
	if err := opts.Overrides.Check(); err != nil {
		return nil, err
	}
	f, sum, err := load(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	s.settings = Resolve(f.Proxy, opts.Overrides)
	if s.log == nil && opts.LogWriter != nil {
		s.logw = newBufferedWriter(opts.LogWriter)
		s.log = NewLogger(s.logw, s.settings.LogFormat)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.lastSum = sum
	if s.settings.TLSCert != "" {
		if err := s.loadCert(s.settings); err != nil {
			if s.logw != nil {
				s.logw.Close()
			}
			return nil, err
		}
	}
	if err := s.checkLoops(f, s.settings); err != nil {
		if s.logw != nil {
			s.logw.Close()
		}
		return nil, err
	}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = NewMetrics(s.reg)
	s.gw, err = New(f, s.settings, s.log, s.metrics)
	if err != nil {
		if s.logw != nil {
			s.logw.Close()
		}
		return nil, err
	}
	s.page.noteReload("start", nil)
	return s, nil
}

// checkLoops refuses an upstream of f under set that is the gateway's own
// listener: set.Listen, and the address it was opened on (which names the
// port when set.Listen asks for any).
func (s *Server) checkLoops(f *policyfile.File, set Settings) error {
	upstreamKey, listenKey := "proxy.upstream", "proxy.listen"
	if s.opts.Overrides.Upstream != "" {
		upstreamKey = "--upstream"
	}
	switch {
	case s.opts.Overrides.Listen != "":
		listenKey = "--listen"
	case set.Listen == DefaultListen && f.Proxy.Listen == "":
		listenKey = "the default listen address"
	}
	listen := []string{set.Listen}
	if s.ln != nil {
		listen = append(listen, s.ln.Addr().String())
	}
	return checkLoops(f, set, upstreamKey, listenKey, listen...)
}

// load reads and parses the policy file, and returns it with the hash of
// its bytes.
func load(path string) (*policyfile.File, [32]byte, error) {
	src, err := policyfile.ReadFile(path)
	if err != nil {
		return nil, [32]byte{}, err
	}
	f, err := policyfile.Parse(path, src)
	return f, sha256.Sum256(src), err
}

func (s *Server) loadCert(set Settings) error {
	c, err := tls.LoadX509KeyPair(set.TLSCert, set.TLSKey)
	if err != nil {
		return fmt.Errorf("proxy.tls_cert, proxy.tls_key: loading TLS certificate %q and key %q: %w", set.TLSCert, set.TLSKey, err)
	}
	s.cert.Store(&c)
	return nil
}

// Settings returns the settings in force.
func (s *Server) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

// Gateway returns the server's gateway.
func (s *Server) Gateway() *Gateway { return s.gw }

// Registry returns the registry that /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Listen opens the listeners. After it, [Server.Addr] and
// [Server.AdminAddr] are known.
func (s *Server) Listen() error {
	set := s.settings
	ln, err := net.Listen("tcp", set.Listen)
	if err != nil {
		return fmt.Errorf("listening on %q: %w", set.Listen, err)
	}
	if set.AdminListen != "off" {
		s.adminLn, err = net.Listen("tcp", set.AdminListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listening on %q (admin_listen): %w", set.AdminListen, err)
		}
	}
	s.ln = ln
	errLog := slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	s.srv = &http.Server{
		Handler:           s.gw,
		ReadHeaderTimeout: set.ReadHeaderTimeout,
		// A client that sends its body slowly, a byte at a time, would
		// otherwise hold its connection for as long as it likes.
		ReadTimeout:    set.ReadTimeout,
		IdleTimeout:    set.IdleTimeout,
		MaxHeaderBytes: set.MaxHeaderBytes,
		ErrorLog:       errLog,
	}
	if set.TLSCert != "" {
		s.srv.TLSConfig = &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				return s.cert.Load(), nil
			},
		}
	}
	if s.adminLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: errLog}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("ok\n"))
		})
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
			if !s.ready.Load() {
				http.Error(w, "not ready", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("ready\n"))
		})
		s.mountAdmin(mux)
		s.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	}
	return nil
}

// Addr returns the gateway's address, once listening.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// AdminAddr returns the admin listener's address, or nil if there is none.
func (s *Server) AdminAddr() net.Addr {
	if s.adminLn == nil {
		return nil
	}
	return s.adminLn.Addr()
}

// Reload asks the server to reload the policy file. It does not wait.
func (s *Server) Reload() {
	select {
	case s.reloads <- struct{}{}:
	default: // one is pending already
	}
}

// Serve serves until ctx is done, then shuts down gracefully: it stops
// accepting connections and waits, up to the shutdown timeout, for the
// requests in flight to finish. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	// Watch before serving: a change made once the gateway answers must
	// not fall between its first answer and the watch.
	var w *fsnotify.Watcher
	if s.opts.Watch {
		var err error
		if w, err = s.watch(); err != nil {
			s.log.Error("not watching the policy file: reload with SIGHUP", "config", s.opts.ConfigPath, "error", err.Error())
			w = nil
		}
	}
	errc := make(chan error, 2)
	tlsOn := s.srv.TLSConfig != nil
	go func() {
		var err error
		if tlsOn {
			err = s.srv.ServeTLS(s.ln, "", "")
		} else {
			err = s.srv.Serve(s.ln)
		}
		errc <- err
	}()
	if s.admin != nil {
		go func() { errc <- s.admin.Serve(s.adminLn) }()
	}
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	attrs := []any{"addr", s.ln.Addr().String(), "scheme", scheme, "config", s.opts.ConfigPath, "policies", len(s.gw.File().Policies)}
	if s.adminLn != nil {
		attrs = append(attrs, "admin_addr", s.adminLn.Addr().String())
	}
	s.log.Info("listening", attrs...)
	s.ready.Store(true)
	go s.checkUpstreams(ctx) // only logs; never delays serving

	wctx, stopWatch := context.WithCancel(ctx)
	go s.reloadLoop(wctx, w)
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serving: %w", serveErr)
	}
	// Not ready from now on. The shutdown does not wait for a reload in
	// progress (reading and checking a large file takes a while): that
	// reload is dropped, and the reload loop ends after it.
	s.ready.Store(false)
	s.stopping.Store(true)
	stopWatch()
	return errors.Join(serveErr, s.shutdown())
}

// NewLogger returns a logger writing to w in format ("json" or "text"), or
// one that discards everything if w is nil. Its records are written to w
// one whole line per Write; w need not be safe for concurrent use.
func NewLogger(w io.Writer, format string) *slog.Logger {
	if w == nil {
		return slog.New(slog.DiscardHandler)
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(newJSONHandler(w))
}

// checkUpstreams tries to connect to each upstream once, and logs a
// warning naming those that cannot be reached: requests to them will get
// 502 until they can.
func (s *Server) checkUpstreams(ctx context.Context) {
	seen := make(map[string]bool)
	st := s.gw.cur.Load()
	for _, rt := range append([]*route{st.none}, mapValues(st.routes)...) {
		if seen[rt.upstream] || rt.upstream == policyfile.EchoUpstream || rt.upstream == "" {
			continue
		}
		seen[rt.upstream] = true
		u, err := url.Parse(rt.upstream)
		if err != nil {
			continue
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		d := net.Dialer{Timeout: 2 * time.Second}
		c, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			s.log.Warn("upstream not reachable now: its requests get 502 until it is", "upstream", rt.upstream, "error", err.Error())
			continue
		}
		c.Close()
	}
}

func mapValues[K comparable, V any](m map[K]V) []V {
	vs := make([]V, 0, len(m))
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

// shutdown drains the requests in flight.
func (s *Server) shutdown() error {
	s.ready.Store(false)
	timeout := s.Settings().ShutdownTimeout
	s.log.Info("shutting down", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	if e := s.srv.Shutdown(ctx); e != nil {
		s.srv.Close()
		err = fmt.Errorf("requests still in flight after the shutdown timeout (%s) were cut off", timeout)
	}
	// Shutdown neither waits for nor closes the upgraded connections
	// (WebSockets): they get what is left of the timeout, then are closed.
	if n := s.gw.drainUpgrades(ctx); n > 0 {
		err = errors.Join(err, fmt.Errorf("upgraded connections (WebSockets) still open after the shutdown timeout (%s) were closed: %d", timeout, n))
	}
	s.gw.Close()
	if s.admin != nil {
		actx, acancel := context.WithTimeout(context.Background(), time.Second)
		if s.admin.Shutdown(actx) != nil {
			s.admin.Close()
		}
		acancel()
	}
	if err == nil {
		s.log.Info("stopped")
	}
	if s.logw != nil {
		s.logw.Close()
	}
	return err
}

// reloadLoop reloads on demand and, when w is not nil, on changes of the
// policy file's directory; it closes w when ctx is done.
func (s *Server) reloadLoop(ctx context.Context, w *fsnotify.Watcher) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		defer w.Close()
		events, errs = w.Events, w.Errors
		// A change between the load in NewServer and the watch: reload
		// if the bytes differ (a no-op otherwise).
		s.reload("file change", false)
	}
	// Editors write a file in several steps: wait for the events to
	// settle before reading it.
	const settle = 100 * time.Millisecond
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reloads:
			s.reload("signal", true)
		case ev := <-events:
			if s.concerns(ev) {
				debounce.Reset(settle)
			}
		case err := <-errs:
			s.log.Warn("watching the policy file", "config", s.opts.ConfigPath, "error", err.Error())
		case <-debounce.C:
			s.reload("file change", false)
		}
	}
}

// watch watches the policy file's directory, so that files replaced by
// a rename (as editors and Kubernetes config maps do) are seen too.
func (s *Server) watch() (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(filepath.Dir(s.opts.ConfigPath)); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// concerns reports whether the event may have changed the policy file:
// the file itself, or a symbolic link swapped in its directory.
func (s *Server) concerns(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	name := filepath.Base(ev.Name)
	return filepath.Clean(ev.Name) == filepath.Clean(s.opts.ConfigPath) || name == "..data"
}

// reload loads the policy file again. A file that fails validation is
// refused, with its diagnostics logged (see [logDiagnostics]), and the
// policies in force stay. Unless forced, a file whose bytes did not change
// is not reloaded. Only the reload loop calls it, one at a time.
func (s *Server) reload(cause string, force bool) {
	path := s.opts.ConfigPath
	// Reading and checking the file may take a while: the lock is not
	// held meanwhile, so that a shutdown never waits for it.
	f, sum, err := load(path)
	if s.stopping.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && !force && sum == s.lastSum {
		return
	}
	refuse := func(err error) {
		s.metrics.reloads.WithLabelValues("refused").Inc()
		s.metrics.configOK.Set(0)
		msg := err.Error()
		var perr *policyfile.Error
		if errors.As(err, &perr) {
			// Each diagnostic is logged once, on its own record.
			msg = s.logDiagnostics(perr.Diagnostics)
		}
		s.log.Error("reload refused: the policies in force stay", "config", path, "cause", cause, "error", clip(msg, maxLogValue))
		s.page.noteReload(cause, err)
	}
	if err != nil {
		refuse(err)
		return
	}
	set := Resolve(f.Proxy, s.opts.Overrides)
	if set.TLSCert != "" && s.settings.TLSCert != "" {
		if err := s.loadCert(set); err != nil {
			refuse(err)
			return
		}
	}
	// The listener stays the one opened at start, whatever the file
	// says now.
	if err := s.checkLoops(f, Settings{Upstream: set.Upstream, Listen: s.settings.Listen}); err != nil {
		refuse(err)
		return
	}
	if err := s.gw.Load(f, set); err != nil {
		refuse(err)
		return
	}
	if keys := s.settings.restartOnly(set); len(keys) > 0 {
		s.log.Warn("settings changed that apply only at the next start", "keys", keys)
	}
	// The settings read at start stay as they were; the others follow.
	kept := s.settings
	s.settings = set
	s.settings.Listen, s.settings.AdminListen = kept.Listen, kept.AdminListen
	s.settings.ReadHeaderTimeout, s.settings.IdleTimeout, s.settings.MaxHeaderBytes = kept.ReadHeaderTimeout, kept.IdleTimeout, kept.MaxHeaderBytes
	s.settings.ReadTimeout = kept.ReadTimeout
	s.settings.LogFormat = kept.LogFormat
	if kept.TLSCert == "" {
		s.settings.TLSCert, s.settings.TLSKey = "", ""
	}
	s.lastSum = sum
	s.metrics.reloads.WithLabelValues("ok").Inc()
	s.metrics.configOK.Set(1)
	s.page.noteReload(cause, nil)
	attrs := []any{"config", path, "cause", cause, "policies", len(f.Policies)}
	s.logDiagnostics(f.Warnings)
	s.log.Info("reloaded", attrs...)
}

// What a reload logs of a policy file's problems: each of the first
// maxLoggedDiagnostics on a record of its own, clipped to maxLogValue
// bytes, then one record with the count of the others. A hostile or
// generated file can have a hundred thousand problems, or a value of
// megabytes: the log must stay readable, and small.
const (
	maxLoggedDiagnostics = policyfile.MaxPrinted // as many as lint prints
	maxLogValue          = 1024
)

// logDiagnostics logs diags as said above, and returns a summary such as
// "invalid policy file: 3 errors, 1 warning".
func (s *Server) logDiagnostics(diags []policyfile.Diagnostic) string {
	var nerrs, nwarns int
	for i, d := range diags {
		if d.Warning {
			nwarns++
		} else {
			nerrs++
		}
		if i >= maxLoggedDiagnostics {
			continue
		}
		level := slog.LevelError
		if d.Warning {
			level = slog.LevelWarn
		}
		s.log.Log(context.Background(), level, "policy file problem", "diagnostic", clip(d.String(), maxLogValue))
	}
	if n := len(diags) - maxLoggedDiagnostics; n > 0 {
		s.log.Warn("more policy file problems, not logged", "count", n, "logged", maxLoggedDiagnostics)
	}
	return fmt.Sprintf("invalid policy file: %s, %s", count(nerrs, "error"), count(nwarns, "warning"))
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// clip returns s cut to at most n bytes (on a character boundary), with
// the count of the bytes left out.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return fmt.Sprintf("%s... (%d more bytes)", s[:i], len(s)-i)
}
