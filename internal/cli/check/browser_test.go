package check_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

// Without a Chromium on PATH, --browser fails with the install command.
func TestRun_browserMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"check", "http://127.0.0.1:1/", "--origin", "https://app.example", "--browser", "--timeout", "1s"},
		strings.NewReader(""), &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "no Chromium found on PATH") || !strings.Contains(stderr.String(), "apt-get install chromium") {
		t.Errorf("got exit %d, %q; want 2 and the install command", code, stderr.String())
	}
}

func TestNewCmdCheck_browserUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"http://a.example/", "--origin", "https://b.example", "--browser-path", "/usr/bin/chromium"}, "--browser-path without --browser"},
		{[]string{"http://a.example/", "--origin", "https://b.example", "--browser", "--repeat", "2"}, "not with --repeat"},
	} {
		_, err := execute(t, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v; want %q", tc.args, err, tc.want)
		}
	}
}
