package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces the file name with data through a temporary file
// in the same directory, synced and renamed over it, so that name is
// either what it was or the whole of data, never half-written, and no
// temporary file is left behind. A symbolic link is followed: the file it
// points to is replaced, the link stays. A name that exists and is not a
// regular file (a directory, a device) is not replaced. The file is 0644
// (the servers that read it usually run as another user).
func WriteFileAtomic(name string, data []byte) (err error) {
	if real, err := filepath.EvalSymlinks(name); err == nil {
		name = real
	}
	if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%s), not replaced", fi.Mode().Type())
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil { // on disk before the rename makes it the file
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
