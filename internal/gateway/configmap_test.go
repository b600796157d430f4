package gateway_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/crossgate/crossgate/internal/gateway"
)

// A Kubernetes ConfigMap volume is a directory where each key is a
// symbolic link into "..data", itself a link to a timestamped directory.
// An update writes a new timestamped directory, points "..data_tmp" at it
// and renames "..data_tmp" over "..data" (kubelet's atomic writer): the
// key's own link never changes. The gateway must reload on that swap.
func TestServer_reloadConfigMapSwap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	version := func(name, src string) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "crossgate.yaml"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	swap := func(name string) {
		t.Helper()
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(name, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_12_01_09_00_00.1", versionPolicy("a")+proxySection)
	swap("..2026_12_01_09_00_00.1")
	if err := os.Symlink("..data/crossgate.yaml", filepath.Join(dir, "crossgate.yaml")); err != nil {
		t.Fatal(err)
	}
	g := serve(t, filepath.Join(dir, "crossgate.yaml"), gateway.Overrides{Upstream: "echo"})
	get := func() string {
		resp := g.do(request{path: "/", origin: "https://app.example.com"})
		body(t, resp)
		return exposed(resp)
	}
	if got := get(); got != "x-version-a" {
		t.Fatalf("got %q; want x-version-a", got)
	}

	version("..2026_12_01_09_05_00.2", versionPolicy("b")+proxySection)
	swap("..2026_12_01_09_05_00.2")
	os.RemoveAll(filepath.Join(dir, "..2026_12_01_09_00_00.1")) // as kubelet does
	waitFor(t, "the swap to apply", func() bool { return get() == "x-version-b" })
	g.waitLogs(`"cause":"file change"`)

	// An invalid version is refused, and the policy in force stays.
	version("..2026_12_01_09_10_00.3", invalidPolicy+proxySection)
	swap("..2026_12_01_09_10_00.3")
	g.waitLogs("reload refused")
	if got := get(); got != "x-version-b" {
		t.Errorf("after an invalid swap: got %q; want x-version-b", got)
	}
}
