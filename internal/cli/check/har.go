package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cookies"
	"github.com/crossgate/crossgate/internal/devtools"
)

// harResult is one cross-origin entry's diagnosis: the keys of check
// --json, and where it comes from in the HAR.
type harResult struct {
	*fetch.Result
	// Entry is the request's index in log.entries, Preflight its
	// preflight's (-1 when none was recorded).
	Entry     int    `json:"entry"`
	Preflight int    `json:"preflight_entry"`
	Method    string `json:"method"`
	URL       string `json:"url"`
	Origin    string `json:"origin"`
	// RecordedError is the net error the browser recorded for the entry
	// ("net::ERR_FAILED" for a CORS failure in Chromium), if any.
	RecordedError string   `json:"recorded_error,omitempty"`
	Notes         []string `json:"notes,omitempty"`
	// Cookies says what the browser does with each recorded Set-Cookie.
	Cookies []cookies.Verdict `json:"cookies,omitempty"`
}

// runHAR diagnoses every cross-origin request of the HAR at opts.HAR,
// offline, and prints a table (or one JSON object per request).
func runHAR(ctx context.Context, opts *Options) error {
	name := opts.HAR
	var r io.Reader
	if name == "-" {
		// --har -: the HAR on standard input, read as a file is.
		name = "standard input"
		if r = opts.IO.In; r == nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: errors.New("--har -: no standard input")}
		}
	} else {
		f, err := os.Open(opts.HAR)
		if err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode()&(os.ModeDevice|os.ModeCharDevice|os.ModeDir) != 0 {
			kind := "a device"
			if fi.IsDir() {
				kind = "a directory"
			}
			return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("%s: not a HAR file (%s)", opts.HAR, kind)}
		}
		r = f
	}
	// Read an entry at a time (devtools.ReadHAR): an export with bodies
	// runs to hundreds of MiB, of which a diagnosis needs the headers.
	har, err := devtools.ReadHAR(r)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("%s: %w", name, err)}
	}
	results := diagnoseHAR(ctx, har, opts.Engine, opts.AllowThirdPartyCookies)
	if err := ctx.Err(); err != nil {
		// Stopped (Ctrl-C): no partial table that reads as complete.
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("%s: stopped after %d of %d entries: %w", name, len(results), len(har.Log.Entries), err)}
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
			}
		}
	} else if err := writeHARText(opts.IO.Out, har, results); err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
	}
	for _, r := range results {
		if !r.Allowed {
			return &cmdutil.ExitError{Code: cmdutil.ExitFail}
		}
	}
	return nil
}

// diagnoseHAR runs each cross-origin request of har through the model,
// answered from the recording: nothing is sent.
func diagnoseHAR(ctx context.Context, har *devtools.HAR, engine fetch.Engine, allowThirdParty bool) []harResult {
	pairs := har.PairPreflights()
	// The entries by method and URL, for the hops of redirects: a HAR
	// may hold entries by the hundred thousand.
	byRequest := map[string][]int{}
	for i, e := range har.Log.Entries {
		k := e.Request.Method + " " + e.Request.URL
		byRequest[k] = append(byRequest[k], i)
	}
	var out []harResult
	for i := range har.Log.Entries {
		if ctx.Err() != nil {
			break
		}
		e := &har.Log.Entries[i]
		if !e.IsCrossOrigin() {
			continue
		}
		r := harResult{Entry: i, Preflight: -1, Method: e.Request.Method, URL: e.Request.URL,
			Origin: e.Origin(), RecordedError: e.Response.Error}
		if p, ok := pairs[i]; ok {
			r.Preflight = p
		}
		s, err := e.Copied().Script()
		if err != nil {
			r.Result = &fetch.Result{Engine: engine, Steps: []fetch.Step{}, Fix: err.Error()}
			out = append(out, r)
			continue
		}
		req := s.Request
		if e.ResourceType == "xhr" {
			req.Initiator = fetch.XHR
		}
		rt := &replay{har: har, byRequest: byRequest, entry: i, preflight: r.Preflight}
		res := runReplay(ctx, engine, rt, req, s.Cookie)
		r.Notes = append(r.Notes, rt.notes...)
		failed := e.Response.Error != "" && e.Response.Error != "net::ERR_ABORTED" // aborted: the page stopped reading
		if s.CredentialsInferred && req.Credentials != fetch.Include && res.Allowed && failed {
			// The browser failed it where the model, without
			// credentials, allows it: the script asked for them.
			req.Credentials = fetch.Include
			rt2 := &replay{har: har, byRequest: byRequest, entry: i, preflight: r.Preflight}
			if res2 := runReplay(ctx, engine, rt2, req, s.Cookie); !res2.Allowed {
				res = res2
				r.Notes = append(r.Notes, "the browser recorded "+e.Response.Error+" where credentials same-origin would pass: judged with credentials include, which the script must have asked for")
			}
		} else if s.CredentialsInferred && s.Cookie != "" {
			r.Notes = append(r.Notes, "credentials include: inferred from the cookies sent (a HAR does not record the credentials mode)")
		} else if s.CredentialsInferred && !res.Allowed {
			r.Notes = append(r.Notes, "credentials same-origin: no cookie was sent (a HAR does not record the credentials mode)")
		}
		if failed && res.Allowed {
			r.Notes = append(r.Notes, "disagreement: the browser recorded "+e.Response.Error+" for this request, which the model allows")
		}
		r.Result = res
		r.Cookies = cookieVerdicts(req, allowThirdParty, res)
		out = append(out, r)
	}
	return out
}

func runReplay(ctx context.Context, engine fetch.Engine, rt *replay, req fetch.Request, cookie string) *fetch.Result {
	c := &fetch.Client{Transport: rt, Engine: engine}
	if cookie != "" {
		if jar, err := newStaticJar(req.URL, cookie); err == nil {
			c.Jar = jar
		}
	}
	res, err := c.Do(ctx, req)
	if res == nil {
		return &fetch.Result{Engine: engine, Steps: []fetch.Step{}, Fix: fmt.Sprint(err)}
	}
	return res
}

// replay answers the model's requests from a HAR: the entry's preflight
// and response, and the recorded requests a redirect leads to.
type replay struct {
	har       *devtools.HAR
	byRequest map[string][]int // entry indexes by "METHOD URL", in order
	entry     int
	preflight int
	used      map[int]bool
	notes     []string
}

// errNotRecorded is the answer to a request the HAR does not hold.
var errNotRecorded = errors.New("not in the HAR")

func (rt *replay) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.used == nil {
		rt.used = map[int]bool{}
	}
	es := rt.har.Log.Entries
	idx := -1
	switch {
	case r.Method == http.MethodOptions && rt.preflight >= 0 && !rt.used[rt.preflight]:
		idx = rt.preflight
	case r.Method == http.MethodOptions && rt.preflight < 0 && es[rt.entry].Response.Status != 0:
		// No preflight recorded, yet the request went out: its preflight
		// passed, from Chromium's preflight cache (which records none).
		rt.notes = append(rt.notes, "no preflight recorded: the request went out, so a cached preflight allowed it")
		h := http.Header{}
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
		if acrh := r.Header.Get("Access-Control-Request-Headers"); acrh != "" {
			h.Set("Access-Control-Allow-Headers", acrh)
		}
		return &http.Response{StatusCode: http.StatusNoContent, Header: h, Body: http.NoBody, Request: r}, nil
	case r.Method != http.MethodOptions && !rt.used[rt.entry] && r.URL.String() == es[rt.entry].Request.URL:
		idx = rt.entry
	default:
		for _, i := range rt.byRequest[r.Method+" "+r.URL.String()] {
			if !rt.used[i] && i != rt.preflight {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		rt.notes = append(rt.notes, fmt.Sprintf("%s %s is not in the HAR: judged as a network error", r.Method, r.URL))
		return nil, &fetch.NetworkError{Code: "net::ERR_FAILED", URL: r.URL.String(), Err: errNotRecorded}
	}
	rt.used[idx] = true
	resp := es[idx].Response
	if resp.Status == 0 {
		code := resp.Error
		if code == "" {
			code = "net::ERR_FAILED"
		}
		rt.notes = append(rt.notes, fmt.Sprintf("entry %d has no response recorded (%s)", idx, code))
		return nil, &fetch.NetworkError{Code: code, URL: r.URL.String(), Err: errNotRecorded}
	}
	return &http.Response{StatusCode: resp.Status, Header: resp.Header(), Body: http.NoBody, Request: r}, nil
}

// writeHARText prints the table, then each blocked request's messages.
func writeHARText(w io.Writer, har *devtools.HAR, results []harResult) error {
	var b strings.Builder
	creator := har.Log.Creator.Name
	if v := har.Log.Creator.Version; v != "" {
		creator += " " + v
	}
	fmt.Fprintf(&b, "%d entries (from %s), %d cross-origin requests\n\n", len(har.Log.Entries), creator, len(results))
	if len(results) == 0 {
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tMETHOD\tURL\tORIGIN\tPREFLIGHT\tVERDICT")
	for _, r := range results {
		pre := "-"
		switch {
		case r.Preflight >= 0:
			pre = "entry " + strconv.Itoa(r.Preflight)
		case r.PreflightSent:
			pre = "cached"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Entry, r.Method, r.URL, r.Origin, pre, verdict(r.Result))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Allowed && len(r.Warnings) == 0 && len(r.Cookies) == 0 && !strings.Contains(strings.Join(r.Notes, " "), "disagreement") {
			continue
		}
		fmt.Fprintf(&b, "\nentry %d: %s %s\n", r.Entry, r.Method, r.URL)
		kv := func(k, v string) {
			if v != "" {
				fmt.Fprintf(&b, "  %-9s %s\n", k+":", v)
			}
		}
		if !r.Allowed {
			kv("chromium", r.ConsoleMessage)
			ff := r.FirefoxError
			if r.FirefoxMessage != "" {
				ff += ": " + r.FirefoxMessage
			}
			kv("firefox", ff)
			kv("fix", r.Fix)
		}
		for _, wa := range r.Warnings {
			kv("warning", wa.Message)
		}
		for _, n := range r.Notes {
			kv("note", n)
		}
		writeCookies(kv, func(_, s string) string { return s }, r.Cookies)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func verdict(r *fetch.Result) string {
	switch {
	case r.Allowed:
		return "allowed"
	case r.Exception != "":
		return "throws: " + r.Exception
	case r.NetworkError != "":
		return "network error " + r.NetworkError
	case r.ChromiumError != "":
		return "blocked: " + string(r.ChromiumError)
	}
	return "not judged: " + r.Fix
}
