package export

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// springMatches applies a CorsRegistry path pattern as Spring's
// PathPattern does for the patterns the export writes: "/x/**" matches /x
// and below, "/**" every path, and a literal pattern itself and, with
// Spring 5.3's optional trailing separator, itself followed by "/".
func springMatches(pattern, p string) bool {
	switch {
	case pattern == "/**":
		return true
	case strings.HasSuffix(pattern, "/**"):
		base := strings.TrimSuffix(pattern, "/**")
		return p == base || strings.HasPrefix(p, base+"/")
	case strings.HasSuffix(pattern, "/"):
		return p == pattern
	}
	return p == pattern || p == pattern+"/"
}

// Spring tries the mappings in registration order: the first that matches
// a path must carry the policy crossgate gives that path (hosts aside,
// which the caps say Spring cannot match).
func TestSpringMappingOrder(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	live, _ := filepath.Glob("testdata/live/*.yaml")
	for _, file := range append(files, live...) {
		f, err := policyfile.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := NewPlan(f, Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		routes := pathRoutes(pl)
		mappings := springMappings(pl)
		paths := []string{"/", "/x", "/cg-probe"}
		for _, r := range routes {
			b := strings.TrimSuffix(r.Path, "/")
			paths = append(paths, b, b+"/", b+"/y", b+"x", b+"/y/z")
		}
		for _, p := range paths {
			var want *Policy
			for _, r := range routes {
				if PathMatches(r.Path, p) {
					want = r.Policy
					break
				}
			}
			var got *Policy
			matched := false
			for _, m := range mappings {
				if springMatches(m.Pattern, p) {
					got, matched = m.Policy, true
					break
				}
			}
			if !matched && want != nil || got != want {
				t.Errorf("%s: path %q: Spring's first mapping gives %v, crossgate %v", file, p, name(got), name(want))
			}
		}
	}
}

func name(p *Policy) string {
	if p == nil {
		return "no policy"
	}
	return p.Name
}
