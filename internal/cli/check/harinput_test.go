package check_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

// --har - reads the HAR from standard input, an entry at a time as a file
// is; a bad HAR is named with the offset of what is wrong in it.
func TestRun_harInput(t *testing.T) {
	t.Parallel()
	har, err := os.ReadFile(harFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	deep := filepath.Join(dir, "deep.har")
	if err := os.WriteFile(deep, []byte(`{"log":`+strings.Repeat("[", 20000)), 0o644); err != nil {
		t.Fatal(err)
	}
	typed := filepath.Join(dir, "typed.har")
	if err := os.WriteFile(typed, []byte(`{"log": {"entries": "none"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		stdin io.Reader
		code  int
		want  string
	}{
		{[]string{"check", "--har", "-"}, bytes.NewReader(har), 1, "10 entries (from"},
		{[]string{"check", "--har", "-"}, io.LimitReader(zeros{}, 200<<20), 2, "standard input: reading the HAR at offset 1: invalid character '\\x00'"},
		{[]string{"check", "--har", "-"}, strings.NewReader(`{"log": {"entries": [}`), 2, "standard input: reading the HAR at offset 21: invalid character '}'"},
		{[]string{"check", "--har", deep}, nil, 2, `reading the HAR at offset 8: "log" is not an object: found an array`},
		{[]string{"check", "--har", typed}, nil, 2, `reading the HAR at offset 26: "log.entries" is not an array: found the string "none"`},
		{[]string{"check", "--har", "/dev/zero"}, nil, 2, "/dev/zero: not a HAR file (a device)"},
		{[]string{"check", "--har", dir}, nil, 2, "not a HAR file (a directory)"},
	} {
		var stdout, stderr bytes.Buffer
		in := tc.stdin
		if in == nil {
			in = strings.NewReader("")
		}
		code := cli.Main(context.Background(), tc.args, in, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.want) {
			t.Errorf("%q: got exit %d, %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
