package explain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/explain"
)

const protectedFile = `policies:
  - name: protected
    match: { paths: [/api/] }
    allow_origins: [https://app.example.com, "https://*.preview.example.com"]
    allow_methods: [PUT]
    protect_writes: true
  - name: open
    allow_origins: [https://app.example.com]
`

// explain says whether a write reaches the handler: refused by
// protect_writes, or run although CORS refuses the origin.
func TestExplainWrite(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(file, []byte(protectedFile), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args        []string
		wantRefused bool
		wantWrite   string // a part of the "write" value; "" for none
	}{
		{[]string{"--method", "POST", "--origin", "https://evil.example", "https://api.example.com/api/x"}, true, "refused with 403 before the handler runs (protect_writes)"},
		{[]string{"--method", "PUT", "--origin", "https://evil.example", "https://api.example.com/api/x"}, true, "cross-origin PUT refused"},
		{[]string{"--method", "POST", "--origin", "https://pr-1.preview.example.com", "https://api.example.com/api/x"}, false, ""},
		{[]string{"--method", "GET", "--origin", "https://evil.example", "https://api.example.com/api/x"}, false, ""},
		{[]string{"--method", "POST", "--origin", "https://evil.example", "https://api.example.com/other"}, false, "reaches the handler"},
		{[]string{"--method", "DELETE", "--origin", "https://evil.example", "https://api.example.com/other"}, false, "a browser sends a preflight first"},
		// Same-origin for net/http.CrossOriginProtection: protect_writes does not refuse it.
		{[]string{"--method", "POST", "--origin", "https://api.example.com", "https://api.example.com/api/x"}, false, "protect_writes lets it through as a same-origin request (its Origin matches Host)"},
		{[]string{"--method", "POST", "--origin", "https://evil.example", "--header", "Sec-Fetch-Site: same-origin", "https://api.example.com/api/x"}, false, "(Sec-Fetch-Site: same-origin)"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			opts, err := execute(t, append([]string{"--config", file, "--json"}, tc.args...))
			if err != nil {
				t.Fatal(err)
			}
			var stdout bytes.Buffer
			opts.IO = cmdutil.IO{Out: &stdout, ErrOut: &bytes.Buffer{}}
			if err := explain.Run(context.Background(), opts); err != nil {
				var exit *cmdutil.ExitError
				if !errors.As(err, &exit) {
					t.Fatal(err)
				}
			}
			var res struct {
				WriteRefused bool   `json:"write_refused"`
				Write        string `json:"write"`
				Status       int    `json:"status"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if wantStatus := map[bool]int{true: 403}[tc.wantRefused]; res.Status != wantStatus {
				t.Errorf("status %d; want %d", res.Status, wantStatus)
			}
			if res.WriteRefused != tc.wantRefused {
				t.Errorf("write_refused %v; want %v", res.WriteRefused, tc.wantRefused)
			}
			if (tc.wantWrite == "") != (res.Write == "") || !strings.Contains(res.Write, tc.wantWrite) {
				t.Errorf("write %q; want it to contain %q", res.Write, tc.wantWrite)
			}
		})
	}
}
