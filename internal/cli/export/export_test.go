package export_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/export"
	xport "github.com/crossgate/crossgate/internal/export"
)

func TestNewCmdExport(t *testing.T) {
	t.Parallel()
	format := "nope"
	if names := xport.Names(); len(names) > 0 {
		format = names[0]
	}
	cases := []struct {
		desc      string
		cli       string
		want      export.Options
		wantUsage bool
		wantErr   bool
	}{
		{desc: "all flags", cli: "--format " + format + " --listen 127.0.0.1:1 --upstream http://u -o out --allow-approximation p.yaml",
			want: export.Options{File: "p.yaml", Format: format, Listen: "127.0.0.1:1", Upstream: "http://u", Output: "out", AllowApproximation: true}},
		{desc: "no format", cli: "p.yaml", wantUsage: true},
		{desc: "unknown format", cli: "--format iis p.yaml", wantUsage: true},
		{desc: "no file", cli: "--format " + format, wantUsage: true},
		{desc: "two files", cli: "--format " + format + " a b", wantUsage: true},
		{desc: "unknown flag", cli: "--formt x p.yaml", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			if format == "nope" && !tc.wantUsage && !tc.wantErr {
				t.Skip("no target yet")
			}
			got, err := clitest.Parse(t, export.NewCmdExport, strings.Fields(tc.cli))
			if !clitest.CheckErr(t, err, tc.wantUsage, tc.wantErr) {
				return
			}
			got.IO = tc.want.IO
			if *got != tc.want {
				t.Errorf("got %+v; want %+v", *got, tc.want)
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "out.conf")
	if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := export.WriteFileAtomic(name, []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	fi, _ := os.Stat(name)
	if string(b) != "new" || fi.Mode().Perm() != 0o644 {
		t.Errorf("got %q mode %v", b, fi.Mode())
	}
	// A directory that does not exist: an error, and nothing left behind.
	if err := export.WriteFileAtomic(filepath.Join(dir, "no", "x"), []byte("x")); err == nil {
		t.Error("no error writing into a missing directory")
	}
	// A target that cannot be replaced (a directory): the temporary file
	// is removed.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "f"), nil, 0o644)
	if err := export.WriteFileAtomic(sub, []byte("x")); err == nil {
		t.Error("no error renaming over a non-empty directory")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
