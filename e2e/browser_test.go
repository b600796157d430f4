package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/crossgate/crossgate/internal/browserpage"
)

// The suite shares one warm Chromium, one page on the page origin and one
// target server; they start with the first test that needs them.
var (
	setupOnce sync.Once
	suite     *harness
	setupErr  error
)

// harness is the browser and the servers.
type harness struct {
	target   *target
	page     *httptest.Server
	origin   string // the page's origin
	pagePort string

	cancelAlloc, cancelBrowser context.CancelFunc
	tab                        context.Context
	profile                    string
	shared                     bool // the servers belong to another harness

	mu     sync.Mutex
	events []event
	urls   map[network.RequestID]string // by the Network domain's request id
}

// event is one DevTools event the tab reported.
type event struct {
	// Issue is a CorsIssue's error id and the URL of its request; Log is
	// a console entry's source, level, text and URL.
	IssueError, IssueURL, IssueParam string
	LogSource, LogLevel, LogText     string
	LogURL                           string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if suite != nil {
		suite.close()
	}
	os.Exit(code)
}

// browser returns the harness, starting it on first use. Without
// Chromium it skips t, unless CROSSGATE_E2E=1 asks for the suite to run,
// when it fails t.
func browser(t *testing.T) *harness {
	t.Helper()
	setupOnce.Do(func() { suite, setupErr = start() })
	if setupErr != nil {
		if errors.Is(setupErr, exec.ErrNotFound) && os.Getenv("CROSSGATE_E2E") != "1" {
			t.Skipf("skipping the real-Chromium suite: %v (install Debian's chromium, or set CROSSGATE_E2E=1 to make this a failure)", setupErr)
		}
		t.Fatalf("starting Chromium: %v", setupErr)
	}
	return suite
}

func findChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH: %w", exec.ErrNotFound)
}

func start() (*harness, error) {
	path, err := findChromium()
	if err != nil {
		return nil, err
	}
	h := &harness{}
	if h.target, err = newTarget(); err != nil {
		return nil, err
	}
	ps, err := newPageServer()
	if err != nil {
		h.target.close()
		return nil, err
	}
	h.page = ps
	h.origin = ps.URL
	h.pagePort = ps.URL[strings.LastIndexByte(ps.URL, ':')+1:]
	if err := h.startBrowser(path); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

// withBrowser returns a harness on h's servers with a browser of its own,
// started with the extra flags, for the tests that need Chromium started
// differently. The caller closes it; h's servers stay up.
func (h *harness) withBrowser(flags ...chromedp.ExecAllocatorOption) (*harness, error) {
	path, err := findChromium()
	if err != nil {
		return nil, err
	}
	h2 := &harness{target: h.target, page: h.page, origin: h.origin, pagePort: h.pagePort, shared: true}
	if err := h2.startBrowser(path, flags...); err != nil {
		h2.close()
		return nil, err
	}
	return h2, nil
}

// startBrowser starts Chromium with a fresh profile and opens the page
// origin in its tab.
func (h *harness) startBrowser(path string, flags ...chromedp.ExecAllocatorOption) error {
	var err error
	if h.profile, err = os.MkdirTemp("", "crossgate-e2e-chromium-"); err != nil {
		return err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(h.profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// Names under .test reach the servers on 127.0.0.1, so that pages
		// and targets can sit on the hosts a policy names.
		chromedp.Flag("host-resolver-rules", "MAP *.test 127.0.0.1, MAP example.test 127.0.0.1"),
	)
	opts = append(opts, flags...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	h.cancelAlloc = cancelAlloc
	tab, cancelBrowser := chromedp.NewContext(allocCtx)
	h.cancelBrowser = cancelBrowser
	h.tab = tab
	chromedp.ListenTarget(tab, h.onEvent)
	// The first Run starts the browser, which lives as long as the
	// context of that Run: so run it on tab itself, bounded by a timer.
	started := make(chan error, 1)
	go func() { started <- chromedp.Run(tab, log.Enable(), audits.Enable()) }()
	select {
	case err = <-started:
	case <-time.After(60 * time.Second):
		err = errors.New("Chromium did not start within 60 s")
	}
	if err != nil {
		return fmt.Errorf("starting %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	err = chromedp.Run(ctx, chromedp.Navigate(h.origin+"/"), chromedp.WaitReady("body", chromedp.ByQuery))
	if err != nil {
		return fmt.Errorf("opening the page: %w", err)
	}
	return nil
}

func (h *harness) close() {
	if h.tab != nil {
		// Close the browser and wait for it to exit, so that its profile
		// can go.
		_ = chromedp.Cancel(h.tab)
	}
	if h.cancelBrowser != nil {
		h.cancelBrowser()
	}
	if h.cancelAlloc != nil {
		h.cancelAlloc()
	}
	if h.page != nil && !h.shared {
		h.page.Close()
	}
	if h.target != nil && !h.shared {
		h.target.close()
	}
	if h.profile != "" {
		for range 10 { // a closing browser may still write for a moment
			if os.RemoveAll(h.profile) == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (h *harness) onEvent(ev any) {
	var e event
	switch ev := ev.(type) {
	case *audits.EventIssueAdded:
		d := ev.Issue.Details.CorsIssueDetails
		if ev.Issue.Code != audits.InspectorIssueCodeCorsIssue || d == nil || d.CorsErrorStatus == nil {
			return
		}
		e.IssueError = string(d.CorsErrorStatus.CorsError)
		e.IssueParam = d.CorsErrorStatus.FailedParameter
		if d.Request != nil {
			e.IssueURL = d.Request.URL
		}
	case *log.EventEntryAdded:
		e.LogSource, e.LogLevel, e.LogText, e.LogURL = string(ev.Entry.Source), string(ev.Entry.Level), ev.Entry.Text, ev.Entry.URL
	// With the Network domain on (only where a test turns it on), a
	// failed load carries the CORS error too: Chromium raises no CorsIssue
	// for some, such as a file: URL.
	case *network.EventRequestWillBeSent:
		h.mu.Lock()
		if h.urls == nil {
			h.urls = make(map[network.RequestID]string)
		}
		h.urls[ev.RequestID] = ev.Request.URL
		h.mu.Unlock()
		return
	case *network.EventLoadingFailed:
		if ev.CorsErrorStatus == nil {
			return
		}
		e.IssueError, e.IssueParam = string(ev.CorsErrorStatus.CorsError), ev.CorsErrorStatus.FailedParameter
		h.mu.Lock()
		e.IssueURL = h.urls[ev.RequestID]
		h.mu.Unlock()
	default:
		return
	}
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
}

// mark returns the number of events so far.
func (h *harness) mark() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

// eventsSince returns the events after mark that concern nonce.
func (h *harness) eventsSince(mark int, nonce string) []event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []event
	for _, e := range h.events[mark:] {
		if strings.Contains(e.IssueURL+" "+e.LogText+" "+e.LogURL, "/"+nonce+"/") {
			out = append(out, e)
		}
	}
	return out
}

// jsSpec is one request as the page's crossgateRun() takes it, and
// jsResult what the script saw: the page is check --browser's.
type (
	jsSpec   = browserpage.Spec
	jsResult = browserpage.Result
)

// seen is what Chromium did with one request: what the script saw, and
// what DevTools reported.
type seen struct {
	JS jsResult
	// CorsError is the CorsIssue's error id and Console the CORS console
	// message; NetError is the net::ERR_ code of a "Failed to load
	// resource" entry.
	CorsError, FailedParam, Console, NetError string
	Other                                     []string // other console errors
}

// run makes one request from the page and waits for its DevTools events.
func (h *harness) run(t *testing.T, spec jsSpec, nonce string) seen {
	t.Helper()
	js, err := browserpage.Call(spec)
	if err != nil {
		t.Fatal(err)
	}
	mark := h.mark()
	var out string
	ctx, cancel := context.WithTimeout(h.tab, 15*time.Second)
	defer cancel()
	err = chromedp.Run(ctx, chromedp.Evaluate(js, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	if err != nil {
		t.Fatalf("running %s in Chromium: %v", js, err)
	}
	var s seen
	if err := json.Unmarshal([]byte(out), &s.JS); err != nil {
		t.Fatalf("page result %q: %v", out, err)
	}
	// A failed request is reported by two events: the CorsIssue (from the
	// browser process) and the console error (from the renderer). Wait
	// for both, or for a net error, for at most a second.
	deadline := time.Now().Add(time.Second)
	for {
		s.CorsError, s.FailedParam, s.Console, s.NetError, s.Other = "", "", "", "", nil
		for _, e := range h.eventsSince(mark, nonce) {
			switch {
			case e.IssueError != "":
				if s.CorsError == "" {
					s.CorsError, s.FailedParam = e.IssueError, e.IssueParam
				}
			case e.LogLevel != "error":
			case strings.HasPrefix(e.LogText, "Access to ") || strings.HasPrefix(e.LogText, "Fetch API cannot load "):
				if s.Console == "" {
					s.Console = e.LogText
				}
			case strings.HasPrefix(e.LogText, "Failed to load resource: net::"):
				s.NetError = strings.TrimPrefix(e.LogText, "Failed to load resource: ")
			default:
				s.Other = append(s.Other, e.LogText)
			}
		}
		if s.JS.OK {
			// The script got the response: a CORS error issue under this
			// nonce is an earlier request's, come late (Chromium can send
			// a blocked request's issue twice; seen once in CI, under
			// load, on the request after it).
			s.CorsError, s.FailedParam = "", ""
		}
		done := s.JS.OK || strings.HasPrefix(s.JS.Error, "TypeError: Failed to execute") ||
			s.CorsError != "" && s.Console != "" ||
			s.NetError != "" && s.NetError != "net::ERR_FAILED"
		if done || time.Now().After(deadline) {
			return s
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-h.tab.Done():
			t.Fatal("the browser went away")
		}
	}
}
