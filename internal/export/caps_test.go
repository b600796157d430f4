package export_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	f := load(t, "../../examples/crossgate.yaml")
	pl, err := export.NewPlan(f, export.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if d := export.Check(pl, export.ProxyCaps()); len(d) != 0 {
		t.Errorf("ProxyCaps: differences %v", d)
	}
	caps := export.ProxyCaps()
	caps.Subdomains = export.No("no subdomain wildcard")
	caps.MaxAgeZero = export.Approx("max_age 0 is sent as 1")
	caps.PerPath = export.No("bucket-wide")
	diffs := export.Check(pl, caps)
	var got []string
	for _, d := range diffs {
		got = append(got, d.String())
	}
	want := []string{
		`policy "public-api": policies[0].match.paths "/public/": bucket-wide (not expressed)`,
		`policy "app": policies[1].allow_origins[1] "https://*.preview.example.com": no subdomain wildcard (not expressed)`,
		`policy "app": policies[1].match.paths "/v1/": bucket-wide (not expressed)`,
		`policy "admin": policies[2].max_age "0": max_age 0 is sent as 1 (approximated)`,
		`policy "admin": policies[2].match.paths "/v1/admin/": bucket-wide (not expressed)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if diffs[1].Pos.Line == 0 || diffs[1].Pos.File != f.Name {
		t.Errorf("difference without a position: %+v", diffs[1].Pos)
	}
	var b bytes.Buffer
	if err := export.WriteComment(&b, "x", diffs[:1], "# "); err != nil {
		t.Fatal(err)
	}
	if want := "# APPROXIMATE: x cannot express this policy file exactly (crossgate export --allow-approximation):\n#   - " + want[0] + "\n#\n"; b.String() != want {
		t.Errorf("WriteComment:\n%s\nwant\n%s", b.String(), want)
	}
}

// A Caps left at its zero value claims nothing: every feature a policy
// uses is a difference.
func TestCheckZeroCaps(t *testing.T) {
	t.Parallel()
	pl, err := export.NewPlan(load(t, "../../examples/local-dev.yaml"), export.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	diffs := export.Check(pl, export.Caps{})
	fields := map[string]bool{}
	for _, d := range diffs {
		if d.Level != export.Unsupported || d.Limit == "" {
			t.Errorf("%v: level %v, limit %q", d, d.Level, d.Limit)
		}
		fields[d.Field] = true
	}
	for _, f := range []string{"policies[0].allow_origins[0]", "policies[0].allow_origins[1]", "policies[0].allow_credentials",
		"policies[0].max_age", "policies[0].match.hosts", "policies[0]"} {
		if !fields[f] {
			t.Errorf("no difference for %s in %v", f, diffs)
		}
	}
}

// Every target's Caps has every field filled in: a zero Cap would claim
// the target cannot do something without saying why.
func TestTargetCaps(t *testing.T) {
	t.Parallel()
	for _, tg := range export.Targets() {
		for _, f := range export.CapFields {
			c := f.Get(&tg.Caps)
			if c.Level != export.Exact && c.Note == "" {
				t.Errorf("%s: %s is %v without a note", tg.Name, f.Name, c.Level)
			}
		}
		if tg.Render == nil || tg.Summary == "" {
			t.Errorf("%s: no Render or Summary", tg.Name)
		}
		if got, ok := export.Lookup(tg.Name); !ok || got != tg {
			t.Errorf("Lookup(%q) = %v, %t", tg.Name, got, ok)
		}
	}
	if _, ok := export.Lookup("nope"); ok {
		t.Error("Lookup(nope) found a target")
	}
}
