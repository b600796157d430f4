package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/cli/check"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
)

// check says when a blocked request still ran its handler, and when
// protect_writes stopped it first.
func TestSideEffect(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	mux := http.NewServeMux()
	for path, protect := range map[string]bool{"/open/": false, "/protected/": true} {
		mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"PUT"}, ProtectWrites: protect})
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle(path, mw.Wrap(handler))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		args     []string
		want     string // side_effect
		wantHits int32
		wantText string
	}{
		{[]string{srv.URL + "/open/x", "--origin", "https://evil.example", "--method", "POST", "-H", "Content-Type: text/plain"}, "ran", 1, "its handler ran"},
		{[]string{srv.URL + "/protected/x", "--origin", "https://evil.example", "--method", "POST", "-H", "Content-Type: text/plain"}, "refused", 0, "before its handler ran (protect_writes)"},
		{[]string{srv.URL + "/open/x", "--origin", "https://evil.example", "--method", "PUT"}, "not-sent", 0, "was never sent"},
		{[]string{srv.URL + "/open/x", "--origin", "https://app.example", "--method", "POST"}, "", 1, ""},
		{[]string{srv.URL + "/open/x", "--origin", "https://evil.example"}, "", 1, ""},
	}
	for _, tc := range tests {
		for _, asJSON := range []bool{true, false} {
			before := hits.Load()
			args := tc.args
			if asJSON {
				args = append([]string{"--json"}, args...)
			}
			opts, err := execute(t, args)
			if err != nil {
				t.Fatal(err)
			}
			var stdout bytes.Buffer
			opts.IO = cmdutil.IO{Out: &stdout, ErrOut: &bytes.Buffer{}}
			if err := check.Run(context.Background(), opts); err != nil {
				var exit *cmdutil.ExitError
				if !errors.As(err, &exit) || exit.Code != cmdutil.ExitFail {
					t.Fatalf("%v: %v", tc.args, err)
				}
			}
			if got := hits.Load() - before; got != tc.wantHits {
				t.Errorf("%v: the handler ran %d times; want %d", tc.args, got, tc.wantHits)
			}
			if !asJSON {
				if !strings.Contains(stdout.String(), tc.wantText) || (tc.wantText == "") == strings.Contains(stdout.String(), "server:") {
					t.Errorf("%v: output lacks %q:\n%s", tc.args, tc.wantText, stdout.String())
				}
				continue
			}
			var res struct {
				SideEffect string `json:"side_effect"`
				Steps      []any  `json:"steps"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if res.SideEffect != tc.want || len(res.Steps) == 0 {
				t.Errorf("%v: side_effect %q (%d steps); want %q", tc.args, res.SideEffect, len(res.Steps), tc.want)
			}
		}
	}
}

// A write refused by protect_writes (403 with Crossgate-Refused:
// cross-origin-write) is not fixed by adding CORS headers to the 403 in
// "the layer that produced it": the fix names allow_origins.
func TestSideEffect_refusedWriteFix(t *testing.T) {
	t.Parallel()
	mw, err := cors.New(cors.Config{AllowOrigins: []string{"https://app.example"}, ProtectWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mw.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	for _, asJSON := range []bool{true, false} {
		args := []string{srv.URL + "/x", "--origin", "https://evil.example", "--method", "POST", "-H", "Content-Type: text/plain"}
		if asJSON {
			args = append([]string{"--json"}, args...)
		}
		opts, err := execute(t, args)
		if err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		opts.IO = cmdutil.IO{Out: &stdout, ErrOut: &bytes.Buffer{}}
		if err := check.Run(context.Background(), opts); err == nil {
			t.Fatalf("%v: allowed; want blocked", args)
		}
		var fix string
		for _, line := range strings.Split(stdout.String(), "\n") {
			if f, ok := strings.CutPrefix(strings.TrimSpace(line), "fix:"); ok {
				fix = f
			}
		}
		if asJSON {
			var res struct {
				Fix string `json:"fix"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			fix = res.Fix
		}
		for _, want := range []string{"refused by protect_writes", "add https://evil.example to allow_origins"} {
			if !strings.Contains(fix, want) {
				t.Errorf("%v: the fix lacks %q:\n%s", args, want, fix)
			}
		}
		if strings.Contains(fix, "layer that produced") {
			t.Errorf("%v: the fix says to add the header in the layer that produced the 403:\n%s", args, fix)
		}
	}
}
