package cmdutil_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
)

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "out.conf")
	if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmdutil.WriteFileAtomic(name, []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	fi, _ := os.Stat(name)
	if string(b) != "new" || fi.Mode().Perm() != 0o644 {
		t.Errorf("got %q mode %v", b, fi.Mode())
	}
	// A directory that does not exist: an error, and nothing left behind.
	if err := cmdutil.WriteFileAtomic(filepath.Join(dir, "no", "x"), []byte("x")); err == nil {
		t.Error("no error writing into a missing directory")
	}
	// A target that cannot be replaced (a directory): the temporary file
	// is removed.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "f"), nil, 0o644)
	if err := cmdutil.WriteFileAtomic(sub, []byte("x")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("over a directory: got %v; want it refused as not a regular file", err)
	}
	// A symbolic link: the file it points to is replaced, the link stays.
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink(name, link); err != nil {
		t.Fatal(err)
	}
	if err := cmdutil.WriteFileAtomic(link, []byte("via link")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "via link" {
		t.Errorf("the link's target holds %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
