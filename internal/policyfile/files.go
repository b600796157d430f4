package policyfile

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// CheckFiles checks what the file refers to outside itself: that the
// proxy section's TLS certificate and key can be read and make a pair, as
// `crossgate proxy` will need them. It returns an error diagnostic for
// each problem, at the key that names the file; Parse does not read these
// files, so that a file can be checked where they are not.
func (f *File) CheckFiles() []Diagnostic {
	px := f.Proxy
	if px.TLSCert == "" || px.TLSKey == "" {
		return nil
	}
	var diags []Diagnostic
	add := func(pos Pos, key, msg string) {
		diags = append(diags, Diagnostic{Pos: pos, Path: "proxy." + key, Message: msg})
	}
	readable := true
	for _, c := range []struct {
		key, name string
		pos       Pos
	}{{"tls_cert", px.TLSCert, px.TLSCertPos}, {"tls_key", px.TLSKey, px.TLSKeyPos}} {
		fi, err := os.Stat(c.name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			add(c.pos, c.key, fmt.Sprintf("file %q does not exist", c.name))
		case err != nil:
			add(c.pos, c.key, fmt.Sprintf("cannot read %q: %v", c.name, unwrapPath(err)))
		case fi.IsDir():
			add(c.pos, c.key, fmt.Sprintf("%q is a directory", c.name))
		default:
			continue
		}
		readable = false
	}
	if !readable {
		return diags
	}
	if _, err := tls.LoadX509KeyPair(px.TLSCert, px.TLSKey); err != nil {
		add(px.TLSCertPos, "tls_cert", fmt.Sprintf("TLS certificate %q and key %q do not load: %v", px.TLSCert, px.TLSKey, unwrapPath(err)))
	}
	return diags
}

// unwrapPath returns the error inside an *fs.PathError, whose path the
// message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
