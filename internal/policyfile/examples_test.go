package policyfile_test

import (
	"path/filepath"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// TestExamples checks that every policy file in examples/ is valid and
// draws no warning: they are what newcomers start from.
func TestExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("found no policy file in examples/")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			t.Parallel()
			f, err := policyfile.Load(name)
			if err != nil {
				t.Fatalf("got error:\n%v", err)
			}
			for _, w := range f.Warnings {
				t.Errorf("got warning %s", w)
			}
			if len(f.Policies) == 0 {
				t.Error("got no policies")
			}
		})
	}
}
