package export

import (
	"fmt"
	"strings"
)

// MarkdownTargets returns the README's table of formats: each target,
// what its output is, and what it cannot express exactly, from its Caps.
// TestReadmeTargets keeps README.md equal to it.
func MarkdownTargets() string {
	var b strings.Builder
	b.WriteString("| `--format` | Output | Not expressed exactly (from the target's capabilities) |\n|---|---|---|\n")
	for _, t := range Targets() {
		var limits []string
		for _, f := range CapFields {
			c := f.Get(&t.Caps)
			switch c.Level {
			case Exact, NotApplicable:
				continue
			case Approximate:
				limits = append(limits, fmt.Sprintf("%s (approximated): %s", f.Name, c.Note))
			default:
				limits = append(limits, fmt.Sprintf("%s: %s", f.Name, c.Note))
			}
		}
		lim := "nothing"
		if len(limits) > 0 {
			lim = strings.Join(limits, "; ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", t.Name, strings.ReplaceAll(t.Summary, "|", `\|`), strings.ReplaceAll(lim, "|", `\|`))
	}
	return b.String()
}
