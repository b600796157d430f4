package export_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenUpstream is the --upstream of the golden files.
const goldenUpstream = "http://127.0.0.1:9000"

// extension is the golden file's extension per target.
func extension(name string) string {
	switch name {
	case "caddy":
		return ".Caddyfile"
	case "caddy-json", "s3", "gcs", "azure-blob", "envoy-json":
		return ".json"
	case "nginx", "apache", "haproxy":
		return ".conf"
	case "envoy", "traefik", "traefik-crd", "gateway-api", "ingress-nginx":
		return ".yaml"
	case "express":
		return ".js"
	case "django", "flask":
		return ".py"
	case "spring":
		return ".java"
	}
	return ".out"
}

// Render exports every example with the target, as crossgate export
// --allow-approximation --upstream goldenUpstream would.
func Render(t *testing.T, tg *export.Target, file string) []byte {
	t.Helper()
	pl, err := export.NewPlan(load(t, file), export.Overrides{Upstream: goldenUpstream})
	if err != nil {
		t.Fatal(err)
	}
	pl.File = filepath.Base(file)
	if err := tg.Validate(pl); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if diffs := export.Check(pl, tg.Caps); len(diffs) > 0 {
		pl.Differences = diffs
		if tg.Comment != "" {
			export.WriteComment(&b, tg.Name, diffs, tg.Comment)
		}
	}
	if err := tg.Render(pl, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tg := range export.Targets() {
		live, _ := filepath.Glob("testdata/live/*.yaml")
		for _, file := range append(examples(t), live...) {
			name := strings.TrimSuffix(filepath.Base(file), ".yaml")
			if strings.HasPrefix(file, "testdata/live/") {
				name = "live-" + name
			}
			t.Run(tg.Name+"/"+name, func(t *testing.T) {
				got := Render(t, tg, file)
				golden := filepath.Join("testdata", tg.Name, name+extension(tg.Name))
				if *update {
					os.MkdirAll(filepath.Dir(golden), 0o755)
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the export; run go test ./internal/export -run TestGolden -update and review the diff", golden)
				}
			})
		}
	}
}
