package policyfile_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// FuzzParse checks that Parse never panics, that it returns either a File
// or an *Error, and that every diagnostic carries a position.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.src)
	}
	f.Add(routingFile)
	f.Fuzz(func(t *testing.T, src string) {
		file, err := policyfile.Parse("f.yaml", []byte(src))
		var diags []policyfile.Diagnostic
		switch {
		case err == nil && file == nil:
			t.Fatal("got nil File and nil error")
		case err == nil:
			diags = file.Warnings
			// Routing must hold up whatever the file says.
			file.Match(httptest.NewRequest(http.MethodGet, "http://api.example.com/api/x", nil))
		default:
			var perr *policyfile.Error
			if !errors.As(err, &perr) {
				t.Fatalf("got error %T; want *policyfile.Error", err)
			}
			if file != nil {
				t.Fatal("got a File along with an error")
			}
			if len(perr.Diagnostics) == 0 {
				t.Fatal("got an *Error without diagnostics")
			}
			diags = perr.Diagnostics
		}
		for _, d := range diags {
			if d.Pos.File != "f.yaml" || d.Pos.Line < 1 || d.Pos.Column < 1 {
				t.Errorf("diagnostic %q has position %+v; want a file, a line and a column", d, d.Pos)
			}
			if d.Message == "" {
				t.Errorf("diagnostic at %s has no message", d.Pos)
			}
		}
	})
}
