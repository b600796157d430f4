package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
)

// headerDiff is one CORS header of one step, at both URLs.
type headerDiff struct {
	Step   string   `json:"step"` // "preflight" or "request"
	Name   string   `json:"name"`
	First  []string `json:"first"`
	Second []string `json:"second"`
	// Change says what a layer does to it, seen from the first URL:
	// "same", "added" (only at the first), "stripped" (only at the
	// second), "duplicated" (repeated at the first only), "changed".
	Change string `json:"change"`
}

// compareResult is what --compare --json prints.
type compareResult struct {
	First   jsonResult   `json:"first"`
	Second  jsonResult   `json:"second"`
	Headers []headerDiff `json:"headers"`
	// Agree reports whether both get the same verdict and error.
	Agree bool `json:"agree"`
}

// runCompare makes the request to opts.Request.URL and to opts.Compare
// and prints the CORS headers of each step side by side.
func runCompare(ctx context.Context, opts *Options, newClient func() *fetch.Client) error {
	do := func(u string) (*fetch.Result, error) {
		req := opts.Request
		req.URL = u
		rctx := ctx
		if opts.Timeout > 0 {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(ctx, opts.Timeout)
			defer cancel()
		}
		res, err := newClient().Do(rctx, req)
		var ne *fetch.NetworkError
		if err != nil && (res == nil || !errors.As(err, &ne)) {
			return nil, err
		}
		return res, nil
	}
	a, err := do(opts.Request.URL)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	b, err := do(opts.Compare)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("--compare: %w", err)}
	}
	out := compareResult{First: newJSONResult(opts, a), Second: newJSONResult(opts, b), Headers: diffSteps(a, b),
		Agree: a.Allowed == b.Allowed && a.ChromiumError == b.ChromiumError && a.NetworkError == b.NetworkError}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	} else {
		err = writeCompareText(opts.IO.Out, opts, out, a, b)
	}
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	if !a.Allowed || !b.Allowed {
		return &cmdutil.ExitError{Code: cmdutil.ExitFail}
	}
	return nil
}

// firstStep returns the response headers of the first step of kind.
func firstStep(r *fetch.Result, kind string) (map[string][]string, bool) {
	for _, s := range r.Steps {
		if s.Kind == kind && s.Response != nil {
			return s.Response.Header, true
		}
	}
	return nil, false
}

func diffSteps(a, b *fetch.Result) []headerDiff {
	var out []headerDiff
	for _, kind := range []string{"preflight", "request"} {
		ha, okA := firstStep(a, kind)
		hb, okB := firstStep(b, kind)
		if !okA && !okB {
			continue
		}
		names := slices.Sorted(maps.Keys(ha))
		for n := range hb {
			if _, ok := ha[n]; !ok {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			d := headerDiff{Step: kind, Name: n, First: ha[n], Second: hb[n]}
			switch {
			case slices.Equal(d.First, d.Second):
				d.Change = "same"
			case len(d.Second) == 0:
				d.Change = "added"
			case len(d.First) == 0:
				d.Change = "stripped"
			case len(d.First) > len(d.Second) && containsAll(d.First, d.Second):
				d.Change = "duplicated"
			default:
				d.Change = "changed"
			}
			out = append(out, d)
		}
	}
	return out
}

func containsAll(list, sub []string) bool {
	for _, s := range sub {
		if !slices.Contains(list, s) {
			return false
		}
	}
	return true
}

var changeText = map[string]string{
	"same":       "",
	"added":      "only at the first URL: added by the layer in front (or stripped behind it)",
	"stripped":   "only at the second URL: stripped by the layer in front",
	"duplicated": "repeated at the first URL: both layers send it (a browser refuses several values)",
	"changed":    "the layer in front rewrites it",
}

func writeCompareText(w io.Writer, opts *Options, out compareResult, a, b *fetch.Result) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "first:  %s\nsecond: %s\n\n", opts.Request.URL, opts.Compare)
	tw := tabwriter.NewWriter(&sb, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tHEADER\tFIRST\tSECOND\tLAYER")
	show := func(vs []string) string {
		if len(vs) == 0 {
			return "(none)"
		}
		return strings.Join(vs, " | ")
	}
	for _, d := range out.Headers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Step, d.Name, show(d.First), show(d.Second), changeText[d.Change])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range []struct {
		label string
		res   *fetch.Result
	}{{"first", a}, {"second", b}} {
		fmt.Fprintf(&sb, "\n%-7s %s\n", r.label+":", verdict(r.res))
		if !r.res.Allowed && r.res.ConsoleMessage != "" {
			fmt.Fprintf(&sb, "        %s\n", r.res.ConsoleMessage)
		}
		if !r.res.Allowed && r.res.Fix != "" {
			fmt.Fprintf(&sb, "        fix: %s\n", r.res.Fix)
		}
	}
	if !out.Agree {
		sb.WriteString("\nThe two URLs get different verdicts: the layer in front of the second changes what the browser decides.\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
