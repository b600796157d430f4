package devtools

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/fetch"
)

// Script is a copied request turned back into what the page's script
// asked for: its own headers only, the page's origin, the mode and the
// credentials mode.
type Script struct {
	// Format is the copy's format (Copied.Format).
	Format  string
	Request fetch.Request
	// Cookie is the Cookie header the browser sent with it, if any.
	Cookie string
	// CredentialsInferred reports that the credentials mode was not in
	// the copy and was inferred from its cookies (or their absence).
	CredentialsInferred bool
	// Notes say what was inferred and what was left out.
	Notes []string
}

// browserOwn are headers the browser adds itself that the Fetch
// standard does not forbid a script to set; a copy of a request holds
// them, the script did not set them.
var browserOwn = []string{"user-agent", "priority", "dnt", "upgrade-insecure-requests", "referrer-policy"}

// Script reads c as the script's request. It fails for a copy of a
// navigation, which CORS does not concern.
func (c *Copied) Script() (*Script, error) {
	s := &Script{Format: c.Format, Notes: slices.Clone(c.Notes)}
	r := &s.Request
	r.URL = c.URL
	r.Method = c.Method
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	r.Origin, _ = c.Get("Origin")
	if ref, ok := c.Get("Referer"); ok && r.Origin == "" {
		// "Copy as fetch" leaves Origin out; the referrer is the page's
		// URL, or its origin once cut by the referrer policy.
		if r.Origin = refererOrigin(ref); r.Origin != "" {
			s.Notes = append(s.Notes, "origin "+r.Origin+": inferred from the referrer (--origin overrides it)")
		}
	}
	r.Mode = fetch.Mode(c.Mode)
	if m, ok := c.Get("Sec-Fetch-Mode"); ok && r.Mode == "" {
		switch fetch.Mode(m) {
		case fetch.CORS:
		case fetch.NoCORS, fetch.SameOriginMode:
			r.Mode = fetch.Mode(m)
		case "navigate":
			return nil, errors.New("the copied request is a navigation (Sec-Fetch-Mode: navigate), which CORS does not concern: copy the fetch() or XMLHttpRequest request instead")
		}
	}
	r.Header = http.Header{}
	var left []string
	pragma, _ := c.Get("Pragma")
	cacheControl, _ := c.Get("Cache-Control")
	devtoolsNoCache := pragma == "no-cache" && cacheControl == "no-cache"
	for _, f := range c.Header {
		lower := strings.ToLower(f.Name)
		switch {
		case lower == "cookie":
		case fetch.IsForbiddenRequestHeader(f.Name, f.Value), slices.Contains(browserOwn, lower),
			devtoolsNoCache && (lower == "pragma" || lower == "cache-control"):
			left = append(left, lower)
		default:
			r.Header.Add(f.Name, f.Value)
		}
	}
	if len(left) > 0 {
		slices.Sort(left)
		left = slices.Compact(left)
		note := "left out as the browser's own, not the script's: " + strings.Join(left, ", ")
		if devtoolsNoCache {
			note += " (Pragma and Cache-Control: no-cache are what DevTools' Disable cache adds)"
		}
		s.Notes = append(s.Notes, note)
	}
	if c.HasBody {
		r.Body = slices.Clone(c.Body)
		if r.Body == nil {
			r.Body = []byte{}
		}
	}
	// A copied preflight: the request it was sent for.
	if acrm, ok := c.Get("Access-Control-Request-Method"); ok && strings.EqualFold(r.Method, http.MethodOptions) {
		r.Method = acrm
		if acrh, ok := c.Get("Access-Control-Request-Headers"); ok {
			for _, name := range strings.Split(acrh, ",") {
				if name = strings.TrimSpace(name); name != "" {
					v := "1"
					if strings.EqualFold(name, "content-type") {
						v = "application/json"
					}
					r.Header.Set(name, v)
				}
			}
		}
		s.Notes = append(s.Notes, fmt.Sprintf("the copy is a preflight: checking the %s request it was sent for, with its headers (%s) given placeholder values", acrm, acrhList(r.Header)))
	}
	s.Cookie = c.Cookie
	switch {
	case c.Credentials != "":
		r.Credentials = fetch.Credentials(c.Credentials)
	case c.Cookie != "":
		r.Credentials = fetch.Include
		s.CredentialsInferred = true
		s.Notes = append(s.Notes, "credentials include: inferred from the cookies the request carried (the copy does not say the credentials mode; --credentials overrides it)")
	default:
		s.CredentialsInferred = true
		s.Notes = append(s.Notes, "credentials same-origin (fetch()'s default): the copy carries no cookie and does not say the credentials mode; --credentials overrides it")
	}
	return s, nil
}

func acrhList(h http.Header) string {
	var names []string
	for name := range h {
		if name != "Accept" {
			names = append(names, strings.ToLower(name))
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
