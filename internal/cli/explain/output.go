package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/cors"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// result is what explain found out about a request.
type result struct {
	Request  *http.Request
	Policy   *policyfile.Policy // nil when none matches
	Decision cors.Decision
	// Allowed reports whether the browser lets the page go on: the
	// decision's, or true for a request that is not a CORS request.
	Allowed bool
	Notes   []string
	// WriteRefused reports whether protect_writes refuses the request
	// before the handler; Write says what happens to a write, or is "".
	WriteRefused bool
	Write        string
}

// jsonResult is the --json output: one object.
type jsonResult struct {
	Policy     string            `json:"policy"` // "" when no policy matches
	Preflight  bool              `json:"preflight"`
	Kind       string            `json:"kind"` // not-cors, actual or preflight
	Allowed    bool              `json:"allowed"`
	Status     int               `json:"status"`  // a preflight's; 0 when the handler answers
	Headers    map[string]string `json:"headers"` // the CORS headers set, values joined with ", "
	Reason     string            `json:"reason"`
	ReasonCode string            `json:"reason_code"`
	Request    jsonRequest       `json:"request"`
	Notes      []string          `json:"notes,omitempty"`
	// WriteRefused: protect_writes answers 403 before the handler runs.
	WriteRefused bool   `json:"write_refused,omitempty"`
	Write        string `json:"write,omitempty"`
}

type jsonRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

func (res *result) writeJSON(w io.Writer) error {
	out := jsonResult{
		Preflight:  res.Decision.Kind == cors.KindPreflight,
		Kind:       res.Decision.Kind.String(),
		Allowed:    res.Allowed,
		Status:     res.status(),
		Headers:    joined(res.Decision.Header),
		Reason:     res.Decision.Explain(),
		ReasonCode: res.Decision.Reason.String(),
		Request: jsonRequest{
			Method:  res.Request.Method,
			URL:     res.Request.URL.String(),
			Headers: joined(res.Request.Header),
		},
		Notes:        res.Notes,
		WriteRefused: res.WriteRefused,
		Write:        res.Write,
	}
	if res.Policy != nil {
		out.Policy = res.Policy.Name
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// joined returns h with each header's values joined by ", ".
func joined(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for name, values := range h {
		m[name] = strings.Join(values, ", ")
	}
	return m
}

func (res *result) writeText(w io.Writer) error {
	var b strings.Builder
	line := func(label, value string) {
		fmt.Fprintf(&b, "%-10s %s\n", label+":", value)
	}
	// more continues the value of the line above.
	more := func(value string) { fmt.Fprintf(&b, "%-10s %s\n", "", value) }
	headers := func(label string, h http.Header) {
		names := slices.Sorted(maps.Keys(h))
		if len(names) == 0 {
			line(label, "(none)")
			return
		}
		for i, name := range names {
			v := name + ": " + strings.Join(h[name], ", ")
			if i == 0 {
				line(label, v)
			} else {
				more(v)
			}
		}
	}

	d := res.Decision
	line("request", res.Request.Method+" "+res.Request.URL.String())
	for _, name := range slices.Sorted(maps.Keys(res.Request.Header)) {
		more(name + ": " + strings.Join(res.Request.Header[name], ", "))
	}
	if res.Policy != nil {
		line("policy", fmt.Sprintf("%s (%s)", res.Policy.Name, res.Policy.Pos))
	} else {
		line("policy", "(none)")
	}
	line("kind", d.Kind.String())
	if res.Allowed {
		line("allowed", "yes")
	} else {
		line("allowed", "no")
	}
	switch {
	case res.WriteRefused:
		line("status", "403 Forbidden (from the middleware: protect_writes refuses the write; the handler never runs)")
	case d.Kind == cors.KindPreflight && d.Status != 0:
		line("status", strconv.Itoa(d.Status)+" "+http.StatusText(d.Status)+" (from the middleware: the handler never sees a preflight)")
	case d.Kind == cors.KindPreflight:
		line("status", "(from the handler: no policy answers the preflight)")
	default:
		line("status", "(from the handler)")
	}
	headers("headers", d.Header)
	line("reason", d.Explain())
	if res.Write != "" {
		line("write", res.Write)
	}
	for _, n := range res.Notes {
		line("note", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// status is the status the middleware answers with: a preflight's, 403 for
// a write protect_writes refuses, or 0 when the handler answers.
func (res *result) status() int {
	if res.WriteRefused {
		return http.StatusForbidden
	}
	return res.Decision.Status
}
