package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/cli"
)

// TestChromium_checkBrowser runs crossgate check --browser, which starts
// a Chromium of its own with the page served at exactly --origin (http,
// and https with a throwaway certificate), against the target: the real
// Chromium's verdict and DevTools issue must be reported, and agree with
// the model's.
func TestChromium_checkBrowser(t *testing.T) {
	h := browser(t)
	path, err := findChromium()
	if err != nil {
		t.Fatal(err)
	}
	const nonce = "checkbrowser"
	h.target.handle(nonce, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/open"):
			w.Header().Set("Access-Control-Allow-Origin", "*")
		case strings.HasSuffix(r.URL.Path, "/put"):
			w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	base := "http://127.0.0.1:" + h.target.port + "/" + nonce
	cases := []struct {
		name    string
		args    []string
		allowed bool
		issue   string
	}{
		{"allowed from an https origin", []string{base + "/open", "--origin", "https://app.example.com"}, true, ""},
		{"no ACAO from an http origin", []string{base + "/closed", "--origin", "http://app.example.com"}, false, "MissingAllowOriginHeader"},
		{"wildcard with credentials", []string{base + "/open", "--origin", "https://app.example.com", "--credentials", "include"}, false, "WildcardOriginNotAllowed"},
		{"header refused by the preflight", []string{base + "/put", "--origin", "https://app.example.com", "--method", "PUT", "-H", "X-Token: 1"}, false, "HeaderDisallowedByPreflightResponse"},
		{"no-cors", []string{base + "/closed", "--origin", "https://app.example.com", "--mode", "no-cors"}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			args := append([]string{"check", "--browser", "--browser-path", path, "--json"}, tc.args...)
			code := cli.Main(ctx, args, strings.NewReader(""), &stdout, &stderr)
			var got struct {
				Allowed bool `json:"allowed"`
				Browser *struct {
					Allowed        bool     `json:"allowed"`
					Issue          string   `json:"devtools_issue"`
					ConsoleMessage string   `json:"console_message"`
					Disagreements  []string `json:"disagreements"`
				} `json:"browser"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || got.Browser == nil {
				t.Fatalf("exit %d, %v\n%s\n%s", code, err, stdout.String(), stderr.String())
			}
			b := got.Browser
			if b.Allowed != tc.allowed || b.Issue != tc.issue {
				t.Errorf("the real Chromium: got allowed %t, issue %q; want %t, %q", b.Allowed, b.Issue, tc.allowed, tc.issue)
			}
			if !tc.allowed && b.ConsoleMessage == "" {
				t.Error("no console message from the real Chromium")
			}
			if len(b.Disagreements) > 0 || got.Allowed != b.Allowed {
				t.Errorf("the model disagrees with Chromium: %q", b.Disagreements)
			}
		})
	}
}
