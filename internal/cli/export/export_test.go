package export_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/cli"
	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/export"
	xport "github.com/crossgate/crossgate/internal/export"
)

func TestNewCmdExport(t *testing.T) {
	t.Parallel()
	format := "nope"
	if names := xport.Names(); len(names) > 0 {
		format = names[0]
	}
	cases := []struct {
		desc      string
		cli       string
		want      export.Options
		wantUsage bool
		wantErr   bool
	}{
		{desc: "all flags", cli: "--format " + format + " --listen 127.0.0.1:1 --upstream http://u -o out --allow-approximation p.yaml",
			want: export.Options{File: "p.yaml", Format: format, Listen: "127.0.0.1:1", Upstream: "http://u", Output: "out", AllowApproximation: true}},
		{desc: "no format", cli: "p.yaml", wantUsage: true},
		{desc: "unknown format", cli: "--format iis p.yaml", wantUsage: true},
		{desc: "no file", cli: "--format " + format, wantUsage: true},
		{desc: "two files", cli: "--format " + format + " a b", wantUsage: true},
		{desc: "unknown flag", cli: "--formt x p.yaml", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			if format == "nope" && !tc.wantUsage && !tc.wantErr {
				t.Skip("no target yet")
			}
			got, err := clitest.Parse(t, export.NewCmdExport, strings.Fields(tc.cli))
			if !clitest.CheckErr(t, err, tc.wantUsage, tc.wantErr) {
				return
			}
			got.IO = tc.want.IO
			if *got != tc.want {
				t.Errorf("got %+v; want %+v", *got, tc.want)
			}
		})
	}
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

const examples = "../../../examples/"

func TestExportExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	invalid := filepath.Join(dir, "bad.yaml")
	os.WriteFile(invalid, []byte("policies:\n  - name: a\n    allow_origins: [\"null\"]\n"), 0o644)
	approx := "../../export/testdata/live/features.yaml"
	cases := []struct {
		desc   string
		args   []string
		code   int
		stdout string // a substring of standard output
		stderr string // a substring of standard error
	}{
		{"exported", []string{"export", "--format", "nginx", "--upstream", "http://127.0.0.1:9000", examples + "crossgate.yaml"}, 0, "proxy_pass http://127.0.0.1:9000/v1/", ""},
		{"listen override", []string{"export", "--format", "haproxy", "--listen", "127.0.0.1:9999", "--upstream", "http://127.0.0.1:9000", examples + "public-api.yaml"}, 0, "bind 127.0.0.1:9999", ""},
		{"not exact", []string{"export", "--format", "apache", "--upstream", "http://127.0.0.1:9000", approx}, 1, "",
			`policy "stars": policies[0].preflight_status "200": a preflight_status other than 204`},
		{"approximation allowed", []string{"export", "--format", "apache", "--allow-approximation", "--upstream", "http://127.0.0.1:9000", approx}, 0,
			"# APPROXIMATE: apache cannot express this policy file exactly", ""},
		{"invalid policy file", []string{"export", "--format", "nginx", invalid}, 2, "", `policies[0].allow_origins[0]: cors: prohibited value "null"`},
		{"missing file", []string{"export", "--format", "nginx", filepath.Join(dir, "none.yaml")}, 2, "", "no such file"},
		{"echo upstream", []string{"export", "--format", "nginx", examples + "crossgate.yaml"}, 2, "", `"echo", crossgate proxy's built-in`},
		{"bad upstream flag", []string{"export", "--format", "nginx", "--upstream", "ftp://x", examples + "crossgate.yaml"}, 2, "", "--upstream"},
		{"unknown format", []string{"export", "--format", "iis", examples + "crossgate.yaml"}, 2, "", `unknown --format "iis"`},
		{"no format", []string{"export", examples + "crossgate.yaml"}, 2, "", "missing --format"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d; want %d\nstdout:\n%.600s\nstderr:\n%s\nwant stdout with %q, stderr with %q", code, tc.code, out, errOut, tc.stdout, tc.stderr)
			}
		})
	}
}

// The approximate export starts with the differences, then the export.
func TestExportApproximationComment(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "export", "--format", "apache", "--allow-approximation", "--upstream", "http://127.0.0.1:9000", "../../export/testdata/live/features.yaml")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := "# APPROXIMATE: apache cannot express this policy file exactly (crossgate export --allow-approximation):\n" +
		`#   - policy "stars": policies[0].preflight_status "200": a preflight_status other than 204 is answered by mod_rewrite's R=NNN, which sends Apache's error-page body with it (approximated)` + "\n#\n# crossgate export --format apache"
	if !strings.HasPrefix(out, want) {
		t.Errorf("output starts with\n%.500s\nwant\n%s", out, want)
	}
}

// -o writes the export whole, and on failure leaves the file as it was.
func TestExportOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "cors.conf")
	code, stdout, errOut := run(t, "export", "--format", "caddy", "--upstream", "http://127.0.0.1:9000", "-o", out, examples+"spa-credentials.yaml")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(b), "# crossgate export --format caddy") {
		t.Fatalf("output file: %v\n%.200s", err, b)
	}
	// Not expressible: exit 1, and the file keeps its content.
	code, _, _ = run(t, "export", "--format", "apache", "--upstream", "http://127.0.0.1:9000", "-o", out, "../../export/testdata/live/features.yaml")
	if code != 1 {
		t.Fatalf("exit %d; want 1", code)
	}
	if b2, _ := os.ReadFile(out); string(b2) != string(b) {
		t.Error("a refused export changed the output file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in the directory: %v", entries)
	}
}
