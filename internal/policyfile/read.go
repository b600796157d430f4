package policyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxFileSize is the size of the largest policy file read: 4 MiB, some
// hundred times a large real one. A policy file is read whole, then
// decoded: without a limit, `lint /dev/zero` or a runaway generator piped
// into `lint -` would take all the memory there is.
const MaxFileSize = 4 << 20

// ErrTooLarge is the error, inside an *fs.PathError, for a policy file
// larger than [MaxFileSize].
var ErrTooLarge = fmt.Errorf("larger than %d MiB, the limit for a policy file", MaxFileSize>>20)

// ReadFile reads the policy file at name, which may be a device, a FIFO or
// any other file that can be read. A regular file larger than
// [MaxFileSize] is refused before it is read; any other file is read up to
// one byte past the limit. Every error is an *fs.PathError.
func ReadFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
	}
	return Read(name, f)
}

// Read reads a policy file from r, such as standard input, up to
// [MaxFileSize]. name is used in errors only. Every error is an
// *fs.PathError.
func Read(name string, r io.Reader) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	switch {
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	case len(src) > MaxFileSize:
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrTooLarge}
	}
	return src, nil
}
