package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// dockerBuild returns the environment and the arguments of the Dockerfile's
// "RUN ... go build ..." line, with its build arguments replaced by args.
func dockerBuild(t *testing.T, args map[string]string) (env, argv []string) {
	t.Helper()
	src, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, " go build ") {
			line = strings.TrimPrefix(l, "RUN ")
		}
	}
	if line == "" {
		t.Fatal("the Dockerfile has no RUN line with go build")
	}
	for k, v := range args {
		line = strings.ReplaceAll(line, "${"+k+"}", v)
	}
	words := shellWords(t, line)
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env, words = append(env, words[0]), words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("the build line %q does not run go build", line)
	}
	return env, words[2:]
}

// shellWords splits a command line on blanks, keeping double-quoted
// strings (without expansions: the build line has none left) together.
func shellWords(t *testing.T, s string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case (c == ' ' || c == '\t') && !quoted:
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '$' || c == '\'' || c == '\\' || c == '`':
			t.Fatalf("the build line %q holds %q, which this test does not expand", s, c)
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestDockerfileBuild builds crossgate as the Dockerfile does, checks
// that the binary is static (it runs on distroless/static or scratch,
// which have no dynamic loader or libc), and runs it.
func TestDockerfileBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary: not in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	env, args := dockerBuild(t, map[string]string{"VERSION": "v0.0.0-dockertest", "REVISION": "0123456789abcdef"})
	if !strings.Contains(strings.Join(env, " "), "CGO_ENABLED=0") {
		t.Errorf("the build line sets %q; want CGO_ENABLED=0", env)
	}
	if !strings.Contains(strings.Join(args, " "), "-trimpath") {
		t.Errorf("the build line %q lacks -trimpath", args)
	}
	out := filepath.Join(t.TempDir(), "crossgate")
	for i, a := range args {
		if i > 0 && args[i-1] == "-o" {
			args[i] = out
		}
		if a == "./cmd/crossgate" {
			args[i] = "."
		}
	}
	cmd := exec.Command(goCmd, append([]string{"build"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %q: %v\n%s", args, err, b)
	}

	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header: it is not static", p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Error("the binary has a .dynamic section: it is not static")
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %q", libs)
	}

	for _, arg := range []string{"version", "--version"} {
		b, err := exec.Command(out, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("crossgate %s: %v\n%s", arg, err, b)
		}
		if want := "crossgate v0.0.0-dockertest (revision 0123456789ab) go"; !strings.HasPrefix(string(b), want) {
			t.Errorf("crossgate %s: got %q; want %q...", arg, b, want)
		}
	}
	// And it serves: lint the image's default policy file.
	if b, err := exec.Command(out, "lint", "../../deploy/docker/crossgate.yaml").CombinedOutput(); err != nil {
		t.Errorf("crossgate lint: %v\n%s", err, b)
	}
}
