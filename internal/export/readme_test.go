package export_test

import (
	"os"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
)

const (
	readmeBegin = "<!-- export-targets: generated from internal/export's Caps by go test ./internal/export -run TestReadmeTargets -update -->\n"
	readmeEnd   = "<!-- end of export-targets -->\n"
)

// The README's table of formats and of what each cannot express is the
// one the capabilities give.
func TestReadmeTargets(t *testing.T) {
	const name = "../../README.md"
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, readmeBegin), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no export-targets block (%q ... %q)", readmeBegin, readmeEnd)
	}
	want := export.MarkdownTargets()
	if got := s[i+len(readmeBegin) : j]; got != want {
		if *update {
			s = s[:i+len(readmeBegin)] + want + s[j:]
			if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's export table is out of date; run go test ./internal/export -run TestReadmeTargets -update\ngot:\n%s\nwant:\n%s", got, want)
	}
}
