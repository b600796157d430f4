package check

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/browserpage"
)

// browserNames are the programs --browser looks for on PATH.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// errNoBrowser says how to get one.
var errNoBrowser = errors.New("--browser: no Chromium found on PATH (looked for " + strings.Join(browserNames, ", ") +
	"): install it (Debian, Ubuntu: apt-get install chromium) or give its path with --browser-path")

// findBrowser returns the Chromium to run.
func findBrowser(path string) (string, error) {
	if path != "" {
		if _, err := exec.LookPath(path); err != nil {
			return "", fmt.Errorf("--browser-path %s: %w", path, err)
		}
		return path, nil
	}
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errNoBrowser
}

// checkBrowserOrigin checks that --browser can serve a page at origin: an
// http or https one. fetch.Classify has checked that it is an origin at
// all, with a port a URL can have (https://url.spec.whatwg.org/#port-state).
func checkBrowserOrigin(origin string) error {
	o, err := url.Parse(origin)
	if err != nil || origin == "null" || o.Scheme != "http" && o.Scheme != "https" || o.Host == "" {
		return fmt.Errorf("--browser needs an http or https --origin, not %q: a page is served there", origin)
	}
	return nil
}

// Observed is what the real Chromium did with the request.
type Observed struct {
	// Allowed reports whether the script got the response.
	Allowed bool `json:"allowed"`
	// Status and Type are what the script saw of it.
	Status int    `json:"status,omitempty"`
	Type   string `json:"type,omitempty"`
	// Exception is what the script caught, as it printed it.
	Exception string `json:"exception,omitempty"`
	// ConsoleMessage is Chromium's CORS console error; NetworkError the
	// net:: code of a "Failed to load resource" entry.
	ConsoleMessage string `json:"console_message,omitempty"`
	NetworkError   string `json:"network_error,omitempty"`
	// Issue is the DevTools CorsIssue's error id and FailedParameter its
	// parameter.
	Issue           string `json:"devtools_issue,omitempty"`
	FailedParameter string `json:"failed_parameter,omitempty"`
	// Disagreements name where the model and Chromium differ.
	Disagreements []string `json:"disagreements,omitempty"`
}

// pageServer serves browserpage.HTML on 127.0.0.1, over TLS with a throwaway
// certificate for host when tlsHost is set.
type pageServer struct {
	srv  *http.Server
	ln   net.Listener
	spki string // base64 SHA-256 of the certificate's public key, for Chromium
	done chan struct{}
}

func startPageServer(tlsHost string) (*pageServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ps := &pageServer{ln: ln, done: make(chan struct{})}
	ps.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, browserpage.HTML)
	})}
	if tlsHost != "" {
		cert, spki, err := throwawayCert(tlsHost)
		if err != nil {
			ln.Close()
			return nil, err
		}
		ps.spki = spki
		ps.ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	go func() { defer close(ps.done); _ = ps.srv.Serve(ps.ln) }()
	return ps, nil
}

func (ps *pageServer) port() string {
	_, port, _ := net.SplitHostPort(ps.ln.Addr().String())
	return port
}

func (ps *pageServer) close() {
	_ = ps.srv.Close()
	<-ps.done
}

// throwawayCert makes a self-signed certificate for host, valid for a
// day, and returns it with its SPKI hash as Chromium's
// --ignore-certificate-errors-spki-list takes it: only that certificate
// is trusted, not every one.
func throwawayCert(host string) (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(pub)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, base64.StdEncoding.EncodeToString(sum[:]), nil
}

// runBrowser makes req from a page at exactly req.Origin (which
// checkBrowserOrigin has passed) in the headless Chromium at path, and
// reports what it saw.
func runBrowser(ctx context.Context, path string, req fetch.Request, timeout time.Duration) (*Observed, error) {
	o, _ := url.Parse(req.Origin)
	target, err := url.Parse(req.URL)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(target.Hostname(), o.Hostname()) {
		return nil, fmt.Errorf("--browser: the URL's host is the page's (%s): the page's host is mapped to a local server, so the request could not reach the real one", o.Hostname())
	}
	tlsHost := ""
	if o.Scheme == "https" {
		tlsHost = o.Hostname()
	}
	ps, err := startPageServer(tlsHost)
	if err != nil {
		return nil, err
	}
	defer ps.close()
	profile, err := os.MkdirTemp("", "crossgate-check-chromium-")
	if err != nil {
		return nil, err
	}
	defer removeProfile(profile)
	// Chromium's own temporary files go in a directory of their own,
	// removed too (killed, it leaves its org.chromium.Chromium.*
	// directories); its name is short, since Chromium puts a Unix socket
	// in it (at most 107 bytes of path).
	chromiumTmp, err := os.MkdirTemp("", "cgc-")
	if err != nil {
		return nil, err
	}
	defer removeProfile(chromiumTmp)
	group := &browserGroup{}
	defer group.stop() // after cancelAlloc: the browser's children too
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+chromiumTmp),
		chromedp.ModifyCmdFunc(group.modify),
		chromedp.Flag("disable-component-update", true),
		// The page's host goes to the local page server, every other
		// host where DNS says.
		chromedp.Flag("host-resolver-rules", "MAP "+o.Hostname()+" 127.0.0.1:"+ps.port()),
	)
	if ps.spki != "" {
		flags = append(flags, chromedp.Flag("ignore-certificate-errors-spki-list", ps.spki))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, flags...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	var mu sync.Mutex
	obs := &Observed{}
	chromedp.ListenTarget(tab, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *audits.EventIssueAdded:
			d := ev.Issue.Details.CorsIssueDetails
			if ev.Issue.Code == audits.InspectorIssueCodeCorsIssue && d != nil && d.CorsErrorStatus != nil && obs.Issue == "" {
				obs.Issue, obs.FailedParameter = string(d.CorsErrorStatus.CorsError), d.CorsErrorStatus.FailedParameter
			}
		case *log.EventEntryAdded:
			t := ev.Entry.Text
			switch {
			case ev.Entry.Level != "error":
			case strings.HasPrefix(t, "Access to ") || strings.HasPrefix(t, "Fetch API cannot load "):
				if obs.ConsoleMessage == "" {
					obs.ConsoleMessage = t
				}
			case strings.HasPrefix(t, "Failed to load resource: net::"):
				obs.NetworkError = strings.TrimPrefix(t, "Failed to load resource: ")
			}
		}
	})
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	runCtx, cancel := context.WithTimeout(tab, timeout+60*time.Second) // starting Chromium takes a while
	defer cancel()
	spec := browserpage.SpecOf(req)
	spec.Timeout = timeout.Milliseconds()
	call, err := browserpage.Call(spec)
	if err != nil {
		return nil, err
	}
	var out string
	err = chromedp.Run(runCtx,
		log.Enable(), audits.Enable(),
		chromedp.Navigate(req.Origin+"/"),
		chromedp.WaitReady("body", chromedp.ByQuery),
		chromedp.Evaluate(call, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}),
	)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errNoBrowser
		}
		return nil, fmt.Errorf("--browser: running the request in %s: %w", path, err)
	}
	var js browserpage.Result
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		return nil, fmt.Errorf("--browser: the page returned %q: %w", out, err)
	}
	// The issue (from the browser process) and the console message (from
	// the renderer) come after the script's result: wait for them.
	deadline := time.Now().Add(time.Second)
	for !js.OK && time.Now().Before(deadline) {
		mu.Lock()
		done := obs.Issue != "" && obs.ConsoleMessage != "" || obs.NetworkError != "" && obs.NetworkError != "net::ERR_FAILED"
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	obs.Allowed, obs.Status, obs.Type = js.OK, js.Status, js.Type
	if !js.OK {
		obs.Exception = js.Error
	}
	res := *obs
	return &res, nil
}

// removeProfile removes the throwaway profile, trying again for a while
// if a process that is stopping still writes into it.
func removeProfile(dir string) {
	for range 50 {
		if err := os.RemoveAll(dir); err == nil {
			if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// disagree lists where the model's result and Chromium's differ.
func disagree(res *fetch.Result, obs *Observed, include bool) []string {
	var d []string
	if res.Allowed != obs.Allowed {
		d = append(d, fmt.Sprintf("verdict: the model says allowed %t, Chromium %t", res.Allowed, obs.Allowed))
	}
	refused := refusedHeaders(res, include)
	switch {
	case string(res.ChromiumError) != obs.Issue:
		d = append(d, fmt.Sprintf("DevTools issue: the model says %q, Chromium %q", res.ChromiumError, obs.Issue))
	case res.ChromiumError == fetch.HeaderDisallowedByPreflightResponse && len(refused) > 1 && slices.Contains(refused, obs.FailedParameter):
		// Chromium names one of the refused headers, in the order of
		// Blink's header map: not a disagreement.
	case obs.FailedParameter != "" && res.FailedParameter != obs.FailedParameter:
		d = append(d, fmt.Sprintf("failed parameter: the model says %q, Chromium %q", res.FailedParameter, obs.FailedParameter))
	case res.ConsoleMessage != obs.ConsoleMessage:
		d = append(d, "console message: the model's and Chromium's differ")
	}
	if res.NetworkError != "" && obs.NetworkError != "" && res.NetworkError != obs.NetworkError {
		d = append(d, fmt.Sprintf("net error: the model says %s, Chromium %s", res.NetworkError, obs.NetworkError))
	}
	return d
}
