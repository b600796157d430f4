package devtools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// HAR is an HTTP Archive 1.2 export (http://www.softwareishard.com/blog/har-12-spec/),
// as Chromium's and Firefox's network panels write it: only what a CORS
// diagnosis reads.
type HAR struct {
	Log struct {
		Creator struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"creator"`
		Entries []HAREntry `json:"entries"`
	} `json:"log"`
}

// HAREntry is one request and its response.
type HAREntry struct {
	StartedDateTime time.Time   `json:"startedDateTime"`
	Request         HARRequest  `json:"request"`
	Response        HARResponse `json:"response"`
	// ResourceType is Chromium's: "fetch", "xhr", "preflight",
	// "document"...; Firefox writes none.
	ResourceType string `json:"_resourceType,omitempty"`
}

// HARRequest is a recorded request.
type HARRequest struct {
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Headers  []HARHeader `json:"headers"`
	PostData *struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
	} `json:"postData,omitempty"`
}

// HARResponse is a recorded response. Status 0 means none was read:
// Chromium records a request blocked before its response (a refused
// preflight, a network error) so, with its net error in Error.
type HARResponse struct {
	Status  int         `json:"status"`
	Headers []HARHeader `json:"headers"`
	// Error is Chromium's net error ("net::ERR_FAILED" for any CORS
	// failure); Firefox writes none.
	Error string `json:"_error,omitempty"`
}

// HARHeader is a header line.
type HARHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ParseHAR reads a HAR export held in memory.
func ParseHAR(b []byte) (*HAR, error) { return ReadHAR(bytes.NewReader(b)) }

// MaxHAREntry bounds one entry of a HAR that [ReadHAR] reads: an entry
// holds its response's body, and a recorded one runs to megabytes at most.
// The whole file has no bound: it is read an entry at a time, and only the
// fields of [HAR] are kept.
const MaxHAREntry = 256 << 20

// ReadHAR reads a HAR export from r, one entry at a time: memory holds the
// entry being read and what [HAR] keeps of the others (no bodies), however
// large the file (DevTools' "Save all as HAR with content" runs to
// hundreds of MiB).
func ReadHAR(r io.Reader) (*HAR, error) { return readHAR(r, MaxHAREntry) }

func readHAR(r io.Reader, maxEntry int64) (*HAR, error) {
	cr := &entryBound{r: r, max: maxEntry}
	dec := json.NewDecoder(cr)
	var h HAR
	sawEntries := false
	err := object(dec, "the HAR", func(key string) error {
		if key != "log" {
			return skip(dec)
		}
		return object(dec, `"log"`, func(key string) error {
			switch key {
			case "creator":
				return dec.Decode(&h.Log.Creator)
			case "entries":
				sawEntries = true
				if err := delim(dec, `"log.entries"`, '['); err != nil {
					return err
				}
				h.Log.Entries = []HAREntry{}
				for dec.More() {
					cr.mark = dec.InputOffset()
					var e HAREntry
					if err := dec.Decode(&e); err != nil {
						if errors.Is(err, errEntryTooLarge) {
							return fmt.Errorf("log.entries[%d] is larger than %d MiB: not a recorded request", len(h.Log.Entries), cr.max>>20)
						}
						return err
					}
					h.Log.Entries = append(h.Log.Entries, e)
				}
				cr.mark = dec.InputOffset()
				return delim(dec, `"log.entries"`, ']')
			}
			return skip(dec)
		})
	})
	if err != nil {
		// Say where: a HAR runs to megabytes on one line.
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("reading the HAR at offset %d: %w", se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("reading the HAR at offset %d: %w", te.Offset, err)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("reading the HAR: it ends at offset %d, before its JSON does", dec.InputOffset())
		}
		return nil, fmt.Errorf("reading the HAR at offset %d: %w", dec.InputOffset(), err)
	}
	if !sawEntries {
		return nil, errors.New(`reading the HAR: no "log.entries": not a HAR export`)
	}
	return &h, nil
}

// object reads a JSON object, what, from dec, calling member for each key
// with dec placed before the key's value, which member must read.
func object(dec *json.Decoder, what string, member func(key string) error) error {
	if err := delim(dec, what, '{'); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if err := member(t.(string)); err != nil {
			return err
		}
	}
	return delim(dec, what, '}')
}

// delim reads the delimiter want from dec, the start or the end of what.
func delim(dec *json.Decoder, what string, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		kind := map[json.Delim]string{'{': "an object", '[': "an array", '}': "an object", ']': "an array"}[want]
		return fmt.Errorf("%s is not %s: found %s", what, kind, describe(t))
	}
	return nil
}

// describe names a JSON token for an error.
func describe(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return map[json.Delim]string{'{': "an object", '[': "an array", '}': "the end of an object", ']': "the end of an array"}[v]
	case string:
		if len(v) > 32 {
			v = v[:32] + "..."
		}
		return fmt.Sprintf("the string %q", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T %v", t, t)
}

// skip reads past the value at dec, a token at a time: an unknown member
// ("pages", a tool's own) is never held whole.
func skip(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// errEntryTooLarge is entryBound's error.
var errEntryTooLarge = errors.New("HAR entry too large")

// entryBound reads r, and fails once more than max bytes have been read
// past mark, the offset where the current entry began: json.Decoder holds
// a whole value in memory while it decodes it.
type entryBound struct {
	r         io.Reader
	read, max int64
	mark      int64
}

func (b *entryBound) Read(p []byte) (int, error) {
	if b.read-b.mark > b.max {
		return 0, errEntryTooLarge
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// Header returns the headers as an http.Header; HTTP/2 pseudo-headers
// (":authority"...) are left out.
func headerOf(hs []HARHeader) http.Header {
	h := http.Header{}
	for _, f := range hs {
		if strings.HasPrefix(f.Name, ":") {
			continue
		}
		h.Add(f.Name, f.Value)
	}
	return h
}

// Header returns the request's headers, pseudo-headers left out.
func (r HARRequest) Header() http.Header { return headerOf(r.Headers) }

// Header returns the response's headers, pseudo-headers left out.
func (r HARResponse) Header() http.Header { return headerOf(r.Headers) }

// Copied returns the entry's request as a copy, for [Copied.Script].
func (e *HAREntry) Copied() *Copied {
	c := &Copied{Format: "har", URL: e.Request.URL, Method: e.Request.Method}
	for _, f := range e.Request.Headers {
		if strings.HasPrefix(f.Name, ":") {
			continue
		}
		if strings.EqualFold(f.Name, "cookie") {
			c.Cookie = joinCookies(c.Cookie, f.Value)
		}
		c.Header = append(c.Header, Field{f.Name, f.Value})
	}
	if pd := e.Request.PostData; pd != nil {
		c.Body, c.HasBody = []byte(pd.Text), true
	}
	return c
}

// IsPreflight reports whether the entry is a CORS preflight: Chromium
// marks them, and every browser sends OPTIONS with
// Access-Control-Request-Method.
func (e *HAREntry) IsPreflight() bool {
	if e.ResourceType == "preflight" {
		return true
	}
	_, ok := e.Request.Header()["Access-Control-Request-Method"]
	return e.Request.Method == http.MethodOptions && ok
}

// Origin returns the origin the entry's request was made from: its
// Origin header, or for a fetch or XHR recorded without one its Referer's
// origin. Chromium records only the provisional headers, without Origin,
// for a request it never sent, and at times for a redirect's next hop too
// (seen in the e2e suite: status 200, Origin missing). A same-origin GET
// also goes without Origin; its Referer is then of the URL's own origin,
// so IsCrossOrigin still says no.
func (e *HAREntry) Origin() string {
	h := e.Request.Header()
	if o := h.Get("Origin"); o != "" {
		return o
	}
	if e.ResourceType != "fetch" && e.ResourceType != "xhr" {
		return ""
	}
	return refererOrigin(h.Get("Referer"))
}

// IsCrossOrigin reports whether the entry is a request a page made to
// another origin: it has an origin other than its URL's, and it is not a
// navigation or a preflight.
func (e *HAREntry) IsCrossOrigin() bool {
	if e.IsPreflight() {
		return false
	}
	origin := e.Origin()
	if origin == "" || e.Request.Header().Get("Sec-Fetch-Mode") == "navigate" {
		return false
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return false
	}
	return !sameOriginURL(u, origin)
}

func sameOriginURL(u *url.URL, origin string) bool { return strings.EqualFold(urlOrigin(u), origin) }

// refererOrigin returns the origin of an http(s) Referer, or "".
func refererOrigin(ref string) string {
	if u, err := url.Parse(ref); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return urlOrigin(u)
	}
	return ""
}

// urlOrigin serializes the origin of an http(s) URL as a browser does:
// lower case, the scheme's default port left out.
func urlOrigin(u *url.URL) string {
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80" || scheme == "https" && p == "443") {
		host += ":" + p
	}
	return scheme + "://" + host
}

// PairPreflights returns, for each entry index, the index of the preflight
// sent for it: the OPTIONS entry to the same URL for the same method and
// origin nearest to it in time, not paired already. Chromium starts the
// request's entry before its preflight's, so either may come first. The
// preflights are indexed first: a HAR may hold entries by the hundred
// thousand.
func (h *HAR) PairPreflights() map[int]int {
	type key struct{ url, method, origin string }
	es := h.Log.Entries
	byKey := map[key][]int{} // preflights, in order of time
	for j := range es {
		p := &es[j]
		if !p.IsPreflight() {
			continue
		}
		ph := p.Request.Header()
		k := key{p.Request.URL, strings.ToUpper(ph.Get("Access-Control-Request-Method")), ph.Get("Origin")}
		byKey[k] = append(byKey[k], j)
	}
	for _, js := range byKey {
		slices.SortStableFunc(js, func(a, b int) int { return es[a].StartedDateTime.Compare(es[b].StartedDateTime) })
	}
	pairs := map[int]int{}
	used := map[int]bool{}
	for i := range es {
		e := &es[i]
		if !e.IsCrossOrigin() {
			continue
		}
		js := byKey[key{e.Request.URL, strings.ToUpper(e.Request.Method), e.Origin()}]
		if len(js) == 0 {
			continue
		}
		// The nearest unused one in time: from where e would sort, look
		// both ways.
		at, _ := slices.BinarySearchFunc(js, e.StartedDateTime, func(j int, t time.Time) int { return es[j].StartedDateTime.Compare(t) })
		best := -1
		var bestGap time.Duration
		consider := func(j int) {
			gap := es[j].StartedDateTime.Sub(e.StartedDateTime).Abs()
			if best < 0 || gap < bestGap || gap == bestGap && j < best {
				best, bestGap = j, gap
			}
		}
		for k := at; k < len(js); k++ {
			if !used[js[k]] {
				consider(js[k])
				break
			}
		}
		for k := at - 1; k >= 0; k-- {
			if !used[js[k]] {
				// The first of that time, as a scan in order finds it.
				first := k
				for ; k >= 0 && es[js[k]].StartedDateTime.Equal(es[js[first]].StartedDateTime); k-- {
					if !used[js[k]] {
						first = k
					}
				}
				consider(js[first])
				break
			}
		}
		if best >= 0 {
			pairs[i] = best
			used[best] = true
		}
	}
	return pairs
}
