package exportcheck

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// examples are the policy files every export is checked on.
func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example policy files: %v", err)
	}
	// And the live tests' files, which use every feature (wildcards
	// everywhere, both origin wildcards, private network, lower-case
	// methods, a preflight status, keep_upstream_cors).
	live, _ := filepath.Glob("../internal/export/testdata/live/*.yaml")
	return append(files, live...)
}

// testUpstream is the upstream the exports are made with: the examples'
// "echo" is crossgate proxy's own, which no other server has.
const testUpstream = "http://127.0.0.1:9000"

// render exports the policy file for format, approximations allowed, and
// returns the output and the plan.
func render(t *testing.T, file, format string) ([]byte, *export.Plan) {
	t.Helper()
	return renderSrc(t, file, nil, format)
}

func renderSrc(t *testing.T, name string, src []byte, format string) ([]byte, *export.Plan) {
	t.Helper()
	var f *policyfile.File
	var err error
	if src == nil {
		f, err = policyfile.Load(name)
	} else {
		f, err = policyfile.Parse(name, src)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	pl, err := export.NewPlan(f, export.Overrides{Upstream: testUpstream})
	if err != nil {
		t.Fatal(err)
	}
	tg, ok := export.Lookup(format)
	if !ok {
		t.Fatalf("no target %q", format)
	}
	if err := tg.Validate(pl); err != nil {
		t.Fatalf("%s: %s: %v", name, format, err)
	}
	pl.Differences = export.Check(pl, tg.Caps)
	var b bytes.Buffer
	if err := tg.Render(pl, &b); err != nil {
		t.Fatalf("%s: %s: %v", name, format, err)
	}
	return b.Bytes(), pl
}
