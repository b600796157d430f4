package check

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/cookies"
)

// ANSI colours, used only on a terminal.
const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

// writeText prints res for a person: the steps, then one labelled line
// per fact.
func writeText(w io.Writer, opts *Options, res *fetch.Result, effect string) error {
	var b strings.Builder
	paint := func(color, s string) string {
		if !opts.Color {
			return s
		}
		return color + s + reset
	}
	line := func(label, value string) {
		fmt.Fprintf(&b, "%s %s\n", paint(bold, fmt.Sprintf("%-10s", label+":")), value)
	}
	headers := func(prefix string, h http.Header) {
		for _, name := range slices.Sorted(maps.Keys(h)) {
			for _, v := range h[name] {
				fmt.Fprintf(&b, "%s%s: %s\n", prefix, name, strconv.Quote(v)[1:len(strconv.Quote(v))-1])
			}
		}
	}
	req := opts.Request
	api := "fetch()"
	if req.Initiator == fetch.XHR {
		api = "XMLHttpRequest"
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	credentials := req.Credentials
	if credentials == "" {
		credentials = fetch.SameOrigin
	}
	mode := ""
	if req.Mode != "" && req.Mode != fetch.CORS {
		mode = "mode " + string(req.Mode) + ", "
	}
	fmt.Fprintf(&b, "%s %s %s from %s (%scredentials %s, %s)\n", api, method, req.URL, req.Origin, mode, credentials, res.Engine)
	if in := opts.Input; in != nil {
		line("input", "a request copied as "+formatName(in.Format))
		for _, n := range in.Notes {
			line("input", n)
		}
	}
	for i, s := range res.Steps {
		fmt.Fprintf(&b, "\n%s %s %s\n", paint(bold, fmt.Sprintf("%d. %s", i+1, s.Kind)), s.Request.Method, s.Request.URL)
		headers("   > ", s.Request.Header)
		if s.Response == nil {
			fmt.Fprintf(&b, "   < %s\n", paint(red, "(no response)"))
			continue
		}
		fmt.Fprintf(&b, "   < %d %s\n", s.Response.Status, http.StatusText(s.Response.Status))
		headers("   < ", s.Response.Header)
	}
	b.WriteString("\n")
	switch {
	case res.Allowed:
		v := "allowed: the page reads the response"
		if res.ResponseType == fetch.Opaque {
			v = "allowed: the page gets an opaque response"
		}
		line("verdict", paint(green, v))
	case res.Exception != "":
		line("verdict", paint(red, "blocked: the script throws before sending anything"))
		line("exception", res.Exception)
	case res.NetworkError != "":
		line("verdict", paint(red, "network error "+res.NetworkError+" (not a CORS verdict)"))
		line("chromium", "Failed to load resource: "+res.NetworkError)
	default:
		line("verdict", paint(red, "blocked by CORS policy ("+string(res.ChromiumError)+")"))
		line("chromium", res.ConsoleMessage)
	}
	if res.FirefoxError != "" {
		ff := res.FirefoxError
		if res.FirefoxMessage != "" {
			ff += ": " + res.FirefoxMessage
		}
		line("firefox", ff)
	}
	if effect != "" {
		line("server", effect)
	}
	if refused := refusedHeaders(res, opts.Request.Credentials == fetch.Include); len(refused) > 1 {
		line("refused", strings.Join(refused, ", ")+": the preflight response allows none of these. Chromium's message names one of them, the first in the order of Blink's header map, which is not the alphabet's: it may name another than "+res.FailedParameter+"; allow them all")
	}
	if res.Fix != "" {
		line("fix", res.Fix)
	}
	if res.PreflightCached {
		line("note", "a cached preflight covered the request")
	}
	if len(res.DroppedHeaders) > 0 {
		line("dropped", strings.Join(res.DroppedHeaders, ", "))
	}
	for _, wa := range res.Warnings {
		msg := wa.Message
		if wa.ID != "" {
			msg = wa.ID + ": " + msg
		}
		if wa.Browser != "" {
			msg = wa.Browser + ": " + msg
		}
		line("warning", paint(yellow, msg))
	}
	writeCookies(line, paint, cookieVerdicts(opts.Request, opts.AllowThirdPartyCookies, res))
	if res.Allowed && res.ResponseType != fetch.Opaque {
		line("status", strconv.Itoa(res.Status))
		readable := "(none)"
		if len(res.ReadableHeaders) > 0 {
			readable = strings.Join(res.ReadableHeaders, ", ")
		}
		line("readable", paint(dim, readable))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatName names a copy's format for a person.
func formatName(f string) string {
	switch f {
	case "curl-bash":
		return "cURL (bash)"
	case "curl-cmd":
		return "cURL (cmd)"
	case "fetch":
		return "fetch"
	case "fetch-node":
		return "fetch (Node.js)"
	}
	return f
}

// jsonResult is what --json prints: the keys of fetch.Result, and what
// the command knows beside them.
type jsonResult struct {
	*fetch.Result
	// Input says how a copied request (--curl, --fetch) was read.
	Input *jsonInput `json:"input,omitempty"`
	// RefusedHeaders are all the request headers the preflight refused,
	// when it refused one: Chromium's message names only one of them.
	RefusedHeaders []string `json:"refused_headers,omitempty"`
	// Browser is what the real Chromium did (--browser).
	Browser *Observed `json:"browser,omitempty"`
	// Cookies says what the browser does with each Set-Cookie received.
	Cookies []cookies.Verdict `json:"cookies,omitempty"`
	// SideEffect says whether a blocked write ran on the server
	// (sideeffect.go).
	SideEffect string `json:"side_effect,omitempty"`
}

type jsonInput struct {
	Format              string   `json:"format"`
	CredentialsInferred bool     `json:"credentials_inferred"`
	Notes               []string `json:"notes,omitempty"`
}

func newJSONResult(opts *Options, res *fetch.Result) jsonResult {
	out := jsonResult{Result: res, Cookies: cookieVerdicts(opts.Request, opts.AllowThirdPartyCookies, res), RefusedHeaders: refusedHeaders(res, opts.Request.Credentials == fetch.Include)}
	if in := opts.Input; in != nil {
		out.Input = &jsonInput{Format: in.Format, CredentialsInferred: in.CredentialsInferred, Notes: in.Notes}
	}
	return out
}

// cookieVerdicts says what Chromium does with every Set-Cookie of the
// responses res got.
func cookieVerdicts(req fetch.Request, allowThirdParty bool, res *fetch.Result) []cookies.Verdict {
	ctx := cookies.Context{Origin: req.Origin, Include: req.Credentials == fetch.Include, AllowThirdParty: allowThirdParty}
	var out []cookies.Verdict
	for _, s := range res.Steps {
		if s.Response == nil {
			continue
		}
		for _, line := range s.Response.Header["Set-Cookie"] {
			out = append(out, cookies.CheckSetCookie(ctx, s.Request.URL, line))
		}
	}
	return out
}

// writeCookies prints each Set-Cookie's verdict.
func writeCookies(line func(label, value string), paint func(color, s string) string, vs []cookies.Verdict) {
	for _, v := range vs {
		switch {
		case v.Stored && v.ThirdParty:
			line("cookie", v.Name+": stored, as a third-party cookie")
		case v.Stored:
			line("cookie", v.Name+": stored")
		case len(v.Reasons) == 0:
			line("cookie", v.Name+": not stored")
		default:
			for i, r := range v.Reasons {
				line("cookie", paint(yellow, v.Name+": not stored ("+string(r)+"): "+v.Issues[i]))
			}
		}
		for _, w := range v.Warnings {
			line("cookie", v.Name+": "+w)
		}
		if v.Fix != "" {
			line("cookie", v.Name+": fix: "+v.Fix)
		}
	}
}

// writeObserved prints what the real Chromium did, and where the model
// disagrees.
func writeObserved(w io.Writer, opts *Options, obs *Observed) error {
	var b strings.Builder
	line := func(label, value string) {
		l := fmt.Sprintf("%-10s", label+":")
		if opts.Color {
			l = bold + l + reset
		}
		fmt.Fprintf(&b, "%s %s\n", l, value)
	}
	b.WriteString("\n")
	v := "blocked"
	if obs.Allowed {
		v = fmt.Sprintf("allowed (status %d, type %s)", obs.Status, obs.Type)
	}
	line("browser", "the real Chromium: "+v)
	if obs.ConsoleMessage != "" {
		line("browser", "console: "+obs.ConsoleMessage)
	}
	if obs.Issue != "" {
		issue := obs.Issue
		if obs.FailedParameter != "" {
			issue += " (" + obs.FailedParameter + ")"
		}
		line("browser", "DevTools issue: "+issue)
	}
	if obs.NetworkError != "" {
		line("browser", "Failed to load resource: "+obs.NetworkError)
	}
	if obs.Exception != "" && !obs.Allowed {
		line("browser", "the script caught: "+obs.Exception)
	}
	if opts.Input != nil && opts.Input.Cookie != "" {
		line("browser", "the copied cookies are not in the browser's jar: it sent none")
	}
	if len(obs.Disagreements) == 0 {
		line("browser", "agrees with the model")
	}
	for _, d := range obs.Disagreements {
		msg := "DISAGREES: " + d
		if opts.Color {
			msg = red + msg + reset
		}
		line("browser", msg)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// refusedHeaders returns every request header the preflight response
// refused, when the request was blocked for one: Chromium names only one
// of them, the first in the order of Blink's header map (its hash table),
// which no sorted order predicts.
func refusedHeaders(res *fetch.Result, include bool) []string {
	if res.ChromiumError != fetch.HeaderDisallowedByPreflightResponse {
		return nil
	}
	// The last preflight is the one that failed: after a redirect the
	// browser sends a new one for the next hop (fetch.Client does too).
	for _, s := range slices.Backward(res.Steps) {
		if s.Kind != "preflight" || s.Response == nil {
			continue
		}
		var allowed []string
		for _, v := range s.Response.Header["Access-Control-Allow-Headers"] {
			for _, n := range strings.Split(v, ",") {
				allowed = append(allowed, strings.ToLower(strings.TrimSpace(n)))
			}
		}
		wildcard := slices.Contains(allowed, "*") && !include
		var refused []string
		for _, v := range s.Request.Header["Access-Control-Request-Headers"] {
			for _, n := range strings.Split(v, ",") {
				n = strings.ToLower(strings.TrimSpace(n))
				if n == "" || slices.Contains(allowed, n) || wildcard && n != "authorization" {
					continue
				}
				refused = append(refused, n)
			}
		}
		return refused
	}
	return nil
}
