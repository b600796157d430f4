package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/spf13/cobra/doc"
)

// docsDir holds the Markdown reference of every command.
const docsDir = "../../docs/cli"

// genDocs writes the Markdown reference of every command into dir.
func genDocs(t *testing.T, dir string) {
	t.Helper()
	root := cli.NewCmdRoot(cmdutil.IO{})
	root.DisableAutoGenTag = true // no date: the files change only when the commands do
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		t.Fatal(err)
	}
}

func mdFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	slices.Sort(names)
	return names
}

// TestDocs checks that docs/cli/ is the reference the commands generate.
// After changing a command or a flag, regenerate it:
//
//	go test ./internal/cli -run Docs -update
func TestDocs(t *testing.T) {
	if *update {
		old := mdFiles(t, docsDir)
		for _, n := range old {
			if err := os.Remove(filepath.Join(docsDir, n)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(docsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		genDocs(t, docsDir)
		return
	}
	tmp := t.TempDir()
	genDocs(t, tmp)
	want, got := mdFiles(t, tmp), mdFiles(t, docsDir)
	if !slices.Equal(got, want) {
		t.Errorf("docs/cli/ has %q; the commands give %q", got, want)
	}
	for _, n := range want {
		w, err := os.ReadFile(filepath.Join(tmp, n))
		if err != nil {
			t.Fatal(err)
		}
		g, err := os.ReadFile(filepath.Join(docsDir, n))
		if err != nil {
			continue // reported above
		}
		if string(g) != string(w) {
			t.Errorf("docs/cli/%s is out of date", n)
		}
	}
	if t.Failed() {
		t.Log("regenerate with: go test ./internal/cli -run Docs -update")
	}
}
