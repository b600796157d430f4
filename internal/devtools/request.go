package devtools

import (
	"net/http"
	"strings"
)

// Copied is a request as developer tools copied it: everything the
// browser sent, the headers it added itself included, in order.
type Copied struct {
	// Format is where it came from: "curl-bash", "curl-cmd", "fetch" or
	// "fetch-node".
	Format string
	URL    string
	// Method is the method; "" when the copy does not say (GET, or POST
	// for a cURL line with a body).
	Method string
	// Header holds the headers in order, names as written.
	Header []Field
	// Body is the request body; HasBody tells an empty body from none.
	Body    []byte
	HasBody bool
	// Cookie is the cookies sent (cURL's -b, a Cookie header, or
	// fetch (Node.js)'s cookie header), as one Cookie header value.
	Cookie string
	// Mode and Credentials are fetch()'s init members, "" when absent
	// (always absent from a cURL line).
	Mode, Credentials string
	// Notes say what was read in a way worth knowing: options ignored,
	// defaults taken.
	Notes []string
}

// Field is one header line.
type Field struct{ Name, Value string }

// Get returns the value of the first header named name (any case) and
// whether there is one.
func (c *Copied) Get(name string) (string, bool) {
	for _, f := range c.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// HTTPHeader returns the headers as an http.Header.
func (c *Copied) HTTPHeader() http.Header {
	h := http.Header{}
	for _, f := range c.Header {
		h.Add(f.Name, f.Value)
	}
	return h
}

func (c *Copied) note(s string) { c.Notes = append(c.Notes, s) }
