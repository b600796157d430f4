package cli_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/ with the actual output")

// A transcript (testdata/*.txt) is a list of commands, each a line
// "$ crossgate ARGS" (ARGS split as a shell would, with quotes), followed
// by the expected result: "--> exit N", standard output, and "[stderr]"
// then standard error when there is any. Lines starting with "# " are
// comments about the next command. Commands run from the repository root.

type block struct {
	comments []string
	command  string // without "$ "
	want     string
}

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcript in testdata/")
	}
	for i, f := range files {
		if files[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join("..", "..")) // the repository root; no t.Parallel from here on
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			blocks, err := parseTranscript(string(src))
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			for _, b := range blocks {
				got := run(t, b.command)
				if !*update && got != b.want {
					t.Errorf("$ %s\ngot:\n%s\nwant:\n%s", b.command, got, b.want)
				}
				for _, c := range b.comments {
					out.WriteString(c + "\n")
				}
				fmt.Fprintf(&out, "$ %s\n%s\n\n", b.command, got)
			}
			if *update {
				if err := os.WriteFile(file, []byte(strings.TrimSuffix(out.String(), "\n")), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func parseTranscript(src string) ([]block, error) {
	var blocks []block
	var comments []string
	for i, line := range strings.Split(src, "\n") {
		switch {
		case strings.HasPrefix(line, "# ") || line == "#":
			comments = append(comments, line)
		case strings.HasPrefix(line, "$ "):
			blocks = append(blocks, block{comments: comments, command: line[2:]})
			comments = nil
		case len(blocks) == 0 && line != "":
			return nil, fmt.Errorf("line %d: output before the first command", i+1)
		case len(blocks) > 0:
			b := &blocks[len(blocks)-1]
			b.want += line + "\n"
		}
	}
	for i := range blocks {
		blocks[i].want = strings.TrimRight(blocks[i].want, "\n")
	}
	return blocks, nil
}

// run runs the command line through cli.Main and renders what it did.
func run(t *testing.T, command string) string {
	t.Helper()
	args, err := splitArgs(command)
	if err != nil {
		t.Fatalf("$ %s: %v", command, err)
	}
	if len(args) == 0 || args[0] != "crossgate" {
		t.Fatalf("$ %s: want a crossgate command", command)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), args[1:], strings.NewReader(""), &stdout, &stderr)
	got := fmt.Sprintf("--> exit %d\n%s", code, stdout.String())
	if stderr.Len() > 0 {
		got += "[stderr]\n" + stderr.String()
	}
	return strings.TrimRight(got, "\n")
}

// splitArgs splits a command line into words as a POSIX shell does for
// plain words and single- or double-quoted strings (no escapes, no
// expansions).
func splitArgs(s string) ([]string, error) {
	var args []string
	var word strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t':
			if inWord {
				args = append(args, word.String())
				word.Reset()
				inWord = false
			}
		case '\'', '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c quote", c)
			}
			word.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, word.String())
	}
	return args, nil
}

func TestSplitArgs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []string
	}{
		{"crossgate lint a.yaml", []string{"crossgate", "lint", "a.yaml"}},
		{"a  'b c'  \"d 'e'\" f''g ''", []string{"a", "b c", "d 'e'", "fg", ""}},
	}
	for _, tc := range cases {
		got, err := splitArgs(tc.in)
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitArgs("a 'b"); err == nil {
		t.Error("splitArgs(\"a 'b\") gave no error; want one")
	}
}
