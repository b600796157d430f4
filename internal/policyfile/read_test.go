package policyfile_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// endless is a reader that never ends, as `yes |` on standard input.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "y\n"[i%2]
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestReadFile_limit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	atLimit := filepath.Join(dir, "at-limit.yaml")
	over := filepath.Join(dir, "over.yaml")
	if err := os.WriteFile(atLimit, []byte(strings.Repeat("#", policyfile.MaxFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(over, []byte(strings.Repeat("#", policyfile.MaxFileSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if src, err := policyfile.ReadFile(atLimit); err != nil || len(src) != policyfile.MaxFileSize {
		t.Errorf("ReadFile of a file at the limit: got %d bytes, error %v; want %d bytes", len(src), err, policyfile.MaxFileSize)
	}
	names := []string{over}
	if _, err := os.Stat("/dev/zero"); err == nil {
		names = append(names, "/dev/zero") // a device that never ends
	}
	for _, name := range names {
		_, err := policyfile.ReadFile(name)
		checkTooLarge(t, name, err)
		if _, err := policyfile.Load(name); !errors.Is(err, policyfile.ErrTooLarge) {
			t.Errorf("Load(%q): got error %v; want ErrTooLarge", name, err)
		}
	}
	if _, err := policyfile.ReadFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: got %v; want fs.ErrNotExist", err)
	}
}

func TestRead_endless(t *testing.T) {
	t.Parallel()
	r := new(endless)
	_, err := policyfile.Read("<stdin>", r)
	checkTooLarge(t, "<stdin>", err)
	if r.n > policyfile.MaxFileSize+64<<10 {
		t.Errorf("read %d bytes of an endless input; want little more than %d", r.n, policyfile.MaxFileSize)
	}
	src, err := policyfile.Read("<stdin>", io.LimitReader(new(endless), 10))
	if err != nil || string(src) != "y\ny\ny\ny\ny\n" {
		t.Errorf("Read of 10 bytes: got %q, %v", src, err)
	}
}

func checkTooLarge(t *testing.T, name string, err error) {
	t.Helper()
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, policyfile.ErrTooLarge) || pe.Path != name {
		t.Fatalf("reading %s: got error %v; want an *fs.PathError for it wrapping ErrTooLarge", name, err)
	}
	if want := "read " + name + ": larger than 4 MiB, the limit for a policy file"; err.Error() != want {
		t.Errorf("got error %q; want %q", err, want)
	}
}
