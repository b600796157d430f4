package lint_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/lint"
)

// lint knows protect_writes and websocket_allow_no_origin, and warns when
// protect_writes protects nothing.
func TestRun_protectKeys(t *testing.T) {
	t.Parallel()
	src := "policies:\n  - name: a\n    allow_origins: [\"*\"]\n    protect_writes: true\n    websocket_allow_no_origin: true\n"
	var stdout bytes.Buffer
	err := lint.Run(context.Background(), &lint.Options{IO: cmdutil.IO{In: strings.NewReader(src), Out: &stdout}, File: "-"})
	if err != nil {
		t.Fatalf("got %v; want a valid file", err)
	}
	want := `<stdin>:4:5: warning: policies[0].protect_writes: cors: ineffective value "true": allow_origins is "*": every origin is trusted, so protect_writes refuses nothing` + "\n" +
		"<stdin>: ok, 1 policy, 1 warning\n"
	if got := stdout.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
