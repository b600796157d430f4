package audit_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
)

// Every class is documented, once, in the package doc's table and in the
// README's class table, and neither table lists a class that does not
// exist.
func Test_classes_documented(t *testing.T) {
	for _, tc := range []struct {
		file   string
		header string         // the line before the table
		row    *regexp.Regexp // a row; group 1 is the class id
	}{
		{"doc.go", "// A finding's class is a stable kebab-case id:", regexp.MustCompile("^//\t([a-z-]+) ")},
		{"../../README.md", "| Class | Severity", regexp.MustCompile("^\\| `([a-z-]+)` \\|")},
	} {
		b, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		_, table, ok := strings.Cut(string(b), tc.header)
		if !ok {
			t.Fatalf("%s: no line %q", tc.file, tc.header)
		}
		// The table is the lines after the header up to the first blank
		// line (or empty comment line) after its first row.
		var ids []string
		for line := range strings.Lines(table) {
			line = strings.TrimSuffix(line, "\n")
			if blank := strings.TrimSpace(strings.TrimPrefix(line, "//")) == ""; blank && len(ids) > 0 {
				break
			}
			if m := tc.row.FindStringSubmatch(line); m != nil {
				ids = append(ids, m[1])
			}
		}
		for _, c := range audit.Classes() {
			if n := slices.Index(ids, c.String()); n < 0 {
				t.Errorf("%s: class %s is not in the table", tc.file, c)
			} else if slices.Contains(ids[n+1:], c.String()) {
				t.Errorf("%s: class %s is in the table twice", tc.file, c)
			}
		}
		for _, id := range ids {
			if _, ok := audit.ParseClass(id); !ok {
				t.Errorf("%s: the table lists %q, which is no class", tc.file, id)
			}
		}
	}
}
