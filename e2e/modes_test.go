package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/cli"
)

// checkStream runs crossgate check with --json and decodes every object
// it prints.
func checkStream(t *testing.T, args []string) ([]map[string]any, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := cli.Main(ctx, append(args, "--json"), strings.NewReader(""), &stdout, &stderr)
	var out []map[string]any
	dec := json.NewDecoder(&stdout)
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("crossgate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		out = append(out, m)
	}
	return out, code
}

// TestChromium_repeat: the page makes the same preflighted PUT three
// times; Chromium sends one preflight and caches it (Max-Age 60), and
// crossgate check --repeat 3 says preflight_cached false, true, true and
// sends as many preflights to the server.
func TestChromium_repeat(t *testing.T) {
	h := browser(t)
	h.navigate(t, h.origin)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.Header().Set("Access-Control-Allow-Headers", "x-token")
		w.Header().Set("Access-Control-Max-Age", "60")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	const browserNonce, checkNonce = "repeatb", "repeatc"
	h.target.handle(browserNonce, handler)
	h.target.handle(checkNonce, handler)
	url := func(nonce string) string { return "http://127.0.0.1:" + h.target.port + "/" + nonce + "/api" }
	const n = 3
	for range n {
		got := h.run(t, jsSpec{URL: url(browserNonce), Method: "PUT", Credentials: "same-origin", Mode: "cors", Headers: [][2]string{{"X-Token", "1"}}}, browserNonce)
		if !got.JS.OK {
			t.Fatalf("Chromium: the PUT failed: %+v", got)
		}
	}
	preflights := func(nonce string) int {
		c := 0
		for _, s := range h.target.requests(nonce) {
			if s.Method == http.MethodOptions {
				c++
			}
		}
		return c
	}
	res, code := checkStream(t, []string{"check", url(checkNonce), "--origin", h.origin, "--method", "PUT", "-H", "X-Token: 1", "--repeat", "3"})
	if code != 0 || len(res) != n {
		t.Fatalf("check --repeat %d: exit %d, %d objects", n, code, len(res))
	}
	if b, c := preflights(browserNonce), preflights(checkNonce); b != c || b != 1 {
		t.Errorf("preflights sent: Chromium %d, check %d; want 1 each", b, c)
	}
	for i, r := range res {
		if cached := r["preflight_cached"] == true; cached != (i > 0) {
			t.Errorf("request %d: preflight_cached %v; want %t (Chromium sent one preflight for %d requests)", i+1, r["preflight_cached"], i > 0, n)
		}
	}
}

// TestChromium_mode: --mode no-cors and same-origin, judged by Chromium
// from the page: no-cors gets an opaque response where cors is blocked,
// same-origin fails before anything is sent.
func TestChromium_mode(t *testing.T) {
	h := browser(t)
	h.navigate(t, h.origin)
	const nonce = "modes"
	h.target.handle(nonce, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	u := "http://127.0.0.1:" + h.target.port + "/" + nonce + "/api"
	for _, tc := range []struct {
		mode, wantType, wantIssue string
		wantOK                    bool
		wantExit                  int
	}{
		{"no-cors", "opaque", "", true, 0},
		{"same-origin", "", "DisallowedByMode", false, 1},
		{"cors", "", "MissingAllowOriginHeader", false, 1},
	} {
		got := h.run(t, jsSpec{URL: u, Method: "GET", Credentials: "same-origin", Mode: tc.mode, Headers: [][2]string{}}, nonce)
		if got.JS.OK != tc.wantOK || got.JS.Type != tc.wantType || got.CorsError != tc.wantIssue {
			t.Errorf("Chromium, mode %s: got ok %t type %q issue %q; want %t %q %q", tc.mode, got.JS.OK, got.JS.Type, got.CorsError, tc.wantOK, tc.wantType, tc.wantIssue)
		}
		res, code := checkStream(t, []string{"check", u, "--origin", h.origin, "--mode", tc.mode})
		if len(res) != 1 {
			t.Fatalf("check --mode %s: %d objects", tc.mode, len(res))
		}
		r := res[0]
		rt, _ := r["response_type"].(string)
		if code != tc.wantExit || r["allowed"] != got.JS.OK || r["chromium_error"] != got.CorsError || got.JS.OK && rt != got.JS.Type {
			t.Errorf("check --mode %s: exit %d, allowed %v, type %q, error %v; Chromium: ok %t type %q error %q",
				tc.mode, code, r["allowed"], rt, r["chromium_error"], got.JS.OK, got.JS.Type, got.CorsError)
		}
		if !got.JS.OK && r["console_message"] != got.Console {
			t.Errorf("check --mode %s: console %q; Chromium %q", tc.mode, r["console_message"], got.Console)
		}
	}
}
