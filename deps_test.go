package crossgate_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// The library packages import only the standard library and
// golang.org/x/net, directly or not, so that users can adopt them without
// pulling in anything else. And the browser model shares no code with the
// server side: fetch imports no other crossgate package (README,
// Architecture), so that one bug cannot hide on both sides of a test that
// sets them against each other.
func TestLibraryDependencies(t *testing.T) {
	for _, pkg := range []string{"./cors/...", "./fetch/..."} {
		out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		n := 0
		for dec.More() {
			var p struct {
				ImportPath string
				Standard   bool
			}
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			n++
			switch {
			case p.Standard:
			case strings.HasPrefix(p.ImportPath, "golang.org/x/net/"):
			case p.ImportPath == "github.com/crossgate/crossgate/fetch" || strings.HasPrefix(p.ImportPath, "github.com/crossgate/crossgate/fetch/"):
			case pkg == "./fetch/..." && strings.HasPrefix(p.ImportPath, "github.com/crossgate/crossgate/"):
				t.Errorf("fetch depends on %s: the browser model shares no code with the server side", p.ImportPath)
			case p.ImportPath == "github.com/crossgate/crossgate/cors" || strings.HasPrefix(p.ImportPath, "github.com/crossgate/crossgate/cors/"):
			case strings.HasPrefix(p.ImportPath, "github.com/crossgate/crossgate/internal/"):
				if strings.HasPrefix(p.ImportPath, "github.com/crossgate/crossgate/internal/cli") ||
					strings.HasPrefix(p.ImportPath, "github.com/crossgate/crossgate/internal/policyfile") {
					t.Errorf("%s depends on %s, a tool package", pkg, p.ImportPath)
				}
			default:
				t.Errorf("%s depends on %s", pkg, p.ImportPath)
			}
		}
		if n == 0 {
			t.Errorf("go list %s listed nothing", pkg)
		}
	}
}
