// Package report writes the result of crossgate audit as text for people,
// one JSON document, or SARIF 2.1.0 for code-scanning dashboards.
//
// It comes with no API stability promise.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/crossgate/crossgate/internal/audit"
)

// Format is an output format.
type Format string

// The formats.
const (
	Text  Format = "text"
	JSON  Format = "json"
	SARIF Format = "sarif"
)

// ParseFormat parses "text", "json" or "sarif".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, JSON, SARIF:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want text, json or sarif", s)
}

// Write writes r to w in format f.
func Write(w io.Writer, f Format, r *audit.Report) error {
	switch f {
	case JSON:
		return writeJSON(w, r)
	case SARIF:
		return writeSARIF(w, r)
	}
	return writeText(w, r)
}

// Version is the version of the JSON document's shape.
const Version = 1

type jsonDoc struct {
	Version  int                  `json:"version"`
	Summary  jsonSummary          `json:"summary"`
	Targets  []audit.TargetResult `json:"targets"`
	Findings []audit.Finding      `json:"findings"`
}

type jsonSummary struct {
	Targets    int            `json:"targets"`
	Requests   int            `json:"requests"`
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"by_severity"`
	Errors     int            `json:"errors"`
}

func summary(r *audit.Report) jsonSummary {
	s := jsonSummary{Targets: len(r.Targets), Requests: r.Requests(), Findings: len(r.Findings),
		BySeverity: map[string]int{"high": 0, "medium": 0, "low": 0, "info": 0}}
	for _, f := range r.Findings {
		s.BySeverity[f.Severity.String()]++
	}
	for _, t := range r.Targets {
		if t.Error != "" {
			s.Errors++
		}
	}
	return s
}

func writeJSON(w io.Writer, r *audit.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonDoc{Version: Version, Summary: summary(r), Targets: r.Targets, Findings: r.Findings})
}

// corsHeader reports whether a response header is shown in text output.
func corsHeader(name string) bool {
	return strings.HasPrefix(name, "Access-Control-") || name == "Vary" || name == "Location" ||
		name == "Www-Authenticate" || name == "X-Crossgate-Injected"
}

func writeText(w io.Writer, r *audit.Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s %s: %s [%s]\n", strings.ToUpper(f.Severity.String()), f.Class, f.URL, f.Kind)
		fmt.Fprintf(&b, "  %s: %s\n", f.Title, f.Detail)
		if f.ProbeOrigin != "" {
			fmt.Fprintf(&b, "  probe origin: %s\n", f.ProbeOrigin)
		}
		if len(f.AlsoOrigins) > 0 {
			fmt.Fprintf(&b, "  also allowed: %s\n", strings.Join(f.AlsoOrigins, " "))
		}
		for _, ex := range f.Evidence {
			fmt.Fprintf(&b, "  > %s %s\n", ex.Request.Method, ex.Request.URL)
			writeHeaders(&b, "  > ", ex.Request.Header, func(n string) bool { return n != "User-Agent" })
			switch {
			case ex.Response != nil:
				fmt.Fprintf(&b, "  < %d %s\n", ex.Response.Status, http.StatusText(ex.Response.Status))
				writeHeaders(&b, "  < ", ex.Response.Header, corsHeader)
				if ex.Response.Truncated != "" {
					fmt.Fprintf(&b, "  < (header truncated: %s)\n", ex.Response.Truncated)
				}
			default:
				fmt.Fprintf(&b, "  < (no response: %s)\n", ex.Error)
			}
		}
		fmt.Fprintf(&b, "  fix: %s\n\n", f.Fix)
	}
	writeTables(&b, r)
	s := summary(r)
	fmt.Fprintf(&b, "%s (%d high, %d medium, %d low, %d info) in %s, %s sent",
		plural(s.Findings, "finding"), s.BySeverity["high"], s.BySeverity["medium"], s.BySeverity["low"], s.BySeverity["info"],
		plural(s.Targets, "target"), plural(s.Requests, "request"))
	if s.Errors > 0 {
		fmt.Fprintf(&b, ", %s with network errors", plural(s.Errors, "target"))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTables writes the summary tables of the text report: the findings
// by class (most severe first), then each target's requests, findings by
// severity and error.
func writeTables(b *strings.Builder, r *audit.Report) {
	if len(r.Targets) == 0 {
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	if len(r.Findings) > 0 {
		type row struct {
			sev         audit.Severity
			class       audit.Class
			n           int
			urls        map[string]bool
			first, last int
		}
		rows := map[audit.Class]*row{}
		for i, f := range r.Findings {
			rw, ok := rows[f.Class]
			if !ok {
				rw = &row{class: f.Class, urls: map[string]bool{}, first: i}
				rows[f.Class] = rw
			}
			rw.sev = max(rw.sev, f.Severity)
			rw.n++
			rw.urls[f.URL] = true
		}
		list := make([]*row, 0, len(rows))
		for _, rw := range rows {
			list = append(list, rw)
		}
		slices.SortFunc(list, func(a, b *row) int {
			if a.sev != b.sev {
				return int(b.sev) - int(a.sev)
			}
			return a.first - b.first
		})
		fmt.Fprintln(tw, "Findings by class:")
		fmt.Fprintln(tw, "  SEVERITY\tCLASS\tFINDINGS\tTARGETS")
		for _, rw := range list {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\n", rw.sev, rw.class, rw.n, len(rw.urls))
		}
		fmt.Fprintln(tw)
	}
	by := map[string]*[4]int{}
	for _, f := range r.Findings {
		if by[f.URL] == nil {
			by[f.URL] = new([4]int)
		}
		by[f.URL][f.Severity]++
	}
	fmt.Fprintln(tw, "Targets:")
	fmt.Fprintln(tw, "  TARGET\tREQUESTS\tHIGH\tMEDIUM\tLOW\tINFO\tERROR")
	for _, t := range r.Targets {
		c := by[t.URL]
		if c == nil {
			c = new([4]int)
		}
		e := "-"
		if t.Error != "" {
			e = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%s\n", t.URL, t.Requests, c[audit.High], c[audit.Medium], c[audit.Low], c[audit.Info], e)
	}
	fmt.Fprintln(tw)
	tw.Flush()
	for _, t := range r.Targets {
		if t.Error != "" {
			fmt.Fprintf(b, "error: %s: %s\n", t.URL, t.Error)
		}
	}
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header, keep func(string) bool) {
	names := make([]string, 0, len(h))
	for n := range h {
		if keep(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		for _, v := range h[n] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, n, v)
		}
	}
}

// plural returns "1 finding", "2 findings".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
