package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/browserpage"
	"github.com/crossgate/crossgate/internal/cli"
	"github.com/crossgate/crossgate/internal/scenarios"
)

// TestChromium_scenarios runs every shared scenario three ways: as a real
// fetch() or XMLHttpRequest in Chromium, through the fetch model over the
// network, and through crossgate check. Each runs under its own nonce, so
// no preflight cache entry leaks between runs. All three must agree on
// the verdict, on whether a preflight went out (counted at the server),
// on the requests the server saw, on the DevTools error id and on the
// console text; the browser is the truth.
func TestChromium_scenarios(t *testing.T) {
	h := browser(t)
	h.navigate(t, h.origin)
	n := len(scenarios.All(h.target.env(h.origin, "x")))
	start := time.Now()
	var (
		mu      sync.Mutex
		checked int
	)
	for i := range n {
		nonces := [3]string{fmt.Sprintf("b%d", i), fmt.Sprintf("m%d", i), fmt.Sprintf("c%d", i)}
		var envs [3]scenarios.Env
		var cases [3]scenarios.Case
		for k, nonce := range nonces {
			envs[k] = h.target.env(h.origin, nonce)
			cases[k] = scenarios.All(envs[k])[i]
			h.target.addRoutes(cases[k].Routes)
		}
		t.Run(cases[0].Name, func(t *testing.T) {
			runCase(t, h, nonces, envs, cases)
			mu.Lock()
			checked++
			mu.Unlock()
		})
	}
	t.Logf("%d scenarios in %v", checked, time.Since(start).Round(time.Millisecond))
}

// norm rewrites the URLs of the run under nonce to the browser's.
func norm(s, from, to string) string { return strings.ReplaceAll(s, "/"+from+"/", "/"+to+"/") }

func runCase(t *testing.T, h *harness, nonces [3]string, envs [3]scenarios.Env, cases [3]scenarios.Case) {
	bReqs := cases[0].Requests(envs[0])
	mReqs := cases[1].Requests(envs[1])
	cReqs := cases[2].Requests(envs[2])

	// The model shares a preflight cache across the case's requests, on a
	// clock that moves as the page waits.
	var now = time.Unix(1e9, 0)
	model := &fetch.Client{Transport: rawTransport{}, Cache: &fetch.PreflightCache{Now: func() time.Time { return now }}}

	for j := range bReqs {
		label := ""
		if len(bReqs) > 1 {
			label = fmt.Sprintf("request %d: ", j+1)
		}
		if j > 0 {
			wait := cases[0].Then[j-1].Wait
			time.Sleep(wait)
			now = now.Add(wait)
		}
		// Chromium.
		before := len(h.target.requests(nonces[0]))
		got := h.run(t, specFor(bReqs[j]), nonces[0])
		bSeen := h.target.requests(nonces[0])[before:]

		// The model.
		mBefore := len(h.target.requests(nonces[1]))
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		res, err := model.Do(ctx, mReqs[j])
		cancel()
		if res == nil {
			t.Fatalf("%smodel: %v", label, err)
		}
		mSeen := h.target.requests(nonces[1])[mBefore:]

		compare(t, label+"model", got, bSeen, res, mSeen, nonces[1], nonces[0])

		// crossgate check, for the requests its flags can describe.
		if len(bReqs) > 1 {
			continue
		}
		args, why := checkArgs(cReqs[j])
		if why != "" {
			t.Logf("crossgate check not run: %s", why)
			continue
		}
		cBefore := len(h.target.requests(nonces[2]))
		cres, code := runCheck(t, args)
		cSeen := h.target.requests(nonces[2])[cBefore:]
		compare(t, label+"crossgate check", got, bSeen, cres, cSeen, nonces[2], nonces[0])
		wantCode := 1
		switch {
		case cres.Allowed:
			wantCode = 0
		case cres.NetworkError != "":
			wantCode = 2
		}
		if code != wantCode {
			t.Errorf("crossgate check: got exit %d; want %d", code, wantCode)
		}
	}
}

// specFor turns a request into the page's crossgateRun() argument.
func specFor(r fetch.Request) jsSpec { return browserpage.SpecOf(r) }

// checkArgs returns the crossgate check command line for r, or why its
// flags cannot describe r.
func checkArgs(r fetch.Request) (args []string, why string) {
	if r.Mode != "" && r.Mode != fetch.CORS {
		return nil, "it has no --mode flag"
	}
	if r.Body != nil && !r.StreamBody && !r.UploadListener {
		switch r.Method {
		case "", "GET", "HEAD":
			return nil, "it sends no body, and a GET with a body is the point of this row"
		}
	}
	args = []string{"check", r.URL, "--origin", r.Origin, "--json"}
	if r.Method != "" {
		args = append(args, "--method", r.Method)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[name] {
			if strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 && c != '\t' || c == 0x7f }) {
				return nil, "the header value holds a control byte, which it refuses to send"
			}
			args = append(args, "-H", name+": "+v)
		}
	}
	if r.Credentials != "" {
		args = append(args, "--credentials", string(r.Credentials))
	}
	if r.Initiator == fetch.XHR {
		args = append(args, "--xhr")
	}
	if r.StreamBody || r.UploadListener {
		args = append(args, "--body-stream")
	}
	return args, ""
}

// runCheck runs crossgate check in-process and decodes its JSON output.
func runCheck(t *testing.T, args []string) (*fetch.Result, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	code := cli.Main(ctx, args, strings.NewReader(""), &stdout, &stderr)
	var res fetch.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("crossgate %s: exit %d, output %q, stderr %q: %v", strings.Join(args, " "), code, stdout.String(), stderr.String(), err)
	}
	return &res, code
}

// compare requires res (the model's or check's, run under nonce from)
// to agree with what Chromium did under nonce to.
func compare(t *testing.T, who string, got seen, bSeen []seenRequest, res *fetch.Result, mSeen []seenRequest, from, to string) {
	t.Helper()
	// The verdict.
	if got.JS.OK != res.Allowed {
		t.Errorf("%s: got allowed %t; Chromium: %t (script error %q, console %q)", who, res.Allowed, got.JS.OK, got.JS.Error, got.Console)
	}
	// The exception the script gets before anything is sent.
	if strings.Contains(got.JS.Error, "Failed to execute") || res.Exception != "" {
		if got.JS.Error != res.Exception {
			t.Errorf("%s: got exception %q; Chromium: %q", who, res.Exception, got.JS.Error)
		}
	}
	// Whether a preflight went out, and every request the server saw.
	bPre := slices.ContainsFunc(bSeen, func(s seenRequest) bool { return s.Method == http.MethodOptions })
	if bPre != res.PreflightSent {
		t.Errorf("%s: got preflight_sent %t; Chromium sent a preflight: %t", who, res.PreflightSent, bPre)
	}
	bs, ms := seenStrings(bSeen, to, to), seenStrings(mSeen, from, to)
	if !slices.Equal(bs, ms) {
		t.Errorf("%s: the server saw\n\t%s\nChromium's:\n\t%s", who, strings.Join(ms, "\n\t"), strings.Join(bs, "\n\t"))
	}
	// The DevTools error id and the console text. When several request
	// headers are refused, Chromium names the first in the order of
	// Blink's header hash map, which no table can predict; the model names
	// the first in sorted order. Either is one of the refused headers the
	// preflight listed: accept Chromium's choice when it is.
	if res.ChromiumError == fetch.HeaderDisallowedByPreflightResponse && got.CorsError == string(res.ChromiumError) &&
		got.FailedParam != res.FailedParameter && len(bSeen) > 0 {
		acrh := strings.Split(bSeen[len(bSeen)-1].ACRH, ",")
		if slices.Contains(acrh, got.FailedParam) {
			t.Logf("%s: Chromium names refused header %q where the model names %q", who, got.FailedParam, res.FailedParameter)
			r := *res
			r.ConsoleMessage = strings.Replace(r.ConsoleMessage, "field "+res.FailedParameter+" is", "field "+got.FailedParam+" is", 1)
			res = &r
		}
	}
	if got.CorsError != string(res.ChromiumError) {
		t.Errorf("%s: got chromium_error %q; Chromium: %q (failed parameter %q)", who, res.ChromiumError, got.CorsError, got.FailedParam)
	}
	if m := norm(res.ConsoleMessage, from, to); got.Console != m {
		t.Errorf("%s: got console message\n\t%q\nChromium:\n\t%q", who, m, got.Console)
	}
	// A failure that is not CORS's: the net error.
	if res.NetworkError != "" || got.NetError != "" && got.NetError != "net::ERR_FAILED" {
		if got.NetError != res.NetworkError {
			t.Errorf("%s: got network error %q; Chromium: %q", who, res.NetworkError, got.NetError)
		}
	}
	// What the script reads.
	if got.JS.OK && res.Allowed {
		if string(res.ResponseType) != got.JS.Type && !(got.JS.Type == "cors" && res.ResponseType == fetch.Cors) {
			t.Errorf("%s: got response type %q; Chromium: %q", who, res.ResponseType, got.JS.Type)
		}
		if got.JS.Status != res.Status {
			t.Errorf("%s: got status %d; Chromium: %d", who, res.Status, got.JS.Status)
		}
		if got.JS.Type == "cors" {
			bh := slices.Sorted(slices.Values(got.JS.Headers))
			bh = slices.Compact(bh)
			if !slices.Equal(bh, res.ReadableHeaders) && !(len(bh) == 0 && len(res.ReadableHeaders) == 0) {
				t.Errorf("%s: got readable headers %q; Chromium: %q", who, res.ReadableHeaders, bh)
			}
		}
	}
	if len(got.Other) > 0 {
		t.Logf("Chromium also logged: %q", got.Other)
	}
}

func seenStrings(s []seenRequest, from, to string) []string {
	out := make([]string, len(s))
	for i, r := range s {
		out[i] = norm(r.String(), from, to)
	}
	return out
}

// TestChromium_connectionRefused: a target nobody listens on is a network
// error in Chromium, in the model and in crossgate check (exit 2), and no
// CORS verdict.
func TestChromium_connectionRefused(t *testing.T) {
	h := browser(t)
	h.navigate(t, h.origin)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String() + "/refused/api"
	ln.Close()
	req := fetch.Request{URL: u, Origin: h.origin}
	got := h.run(t, specFor(req), "refused")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := (&fetch.Client{Transport: rawTransport{}}).Do(ctx, req)
	if res == nil || err == nil {
		t.Fatalf("model: got %v, %v; want a result and a network error", res, err)
	}
	compare(t, "model", got, nil, res, nil, "refused", "refused")
	if got.NetError == "" {
		t.Errorf("Chromium logged no net error (script error %q)", got.JS.Error)
	}
	cres, code := runCheck(t, []string{"check", u, "--origin", h.origin, "--json"})
	compare(t, "crossgate check", got, nil, cres, nil, "refused", "refused")
	if code != 2 {
		t.Errorf("crossgate check: got exit %d; want 2", code)
	}
}
