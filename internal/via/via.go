// Package via is what the crossgate proxies (the gateway and crossgate dev)
// share to detect a request that comes back to them: a pseudonym unique to
// the process, added to the Via header of every request they forward
// (RFC 9110 §7.6.3), and the check for it on every request they receive.
//
// A proxy whose upstream is, through any number of hops, the proxy itself
// would otherwise forward each request to itself until it runs out of file
// descriptors. Via is the header RFC 9110 gives for this: "The Via header
// field ... can be used for tracking message forwards, avoiding request
// loops, and identifying the protocol capabilities of senders along the
// request/response chain".
package via

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// NewPseudonym returns prefix, a dash and 12 random hex digits: a
// received-by pseudonym (RFC 9110 §7.6.3) that no other process uses, so
// that two proxies of the same kind in a chain are not taken for a loop.
func NewPseudonym(prefix string) string {
	var b [6]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Find looks for pseudonym as the received-by of an entry of h's Via
// fields, and returns what follows it in that entry up to a delimiter (a
// comma, a space or a tab: "" for an entry that is the pseudonym alone)
// and true; or "" and false if no entry names it. A pseudonym that is a
// prefix of a longer name ("crossgate-ab" in "crossgate-abc") is no match,
// unless what follows starts with a dot, which callers use to tell their
// forwarders apart ("crossgate-dev-ab.2").
//
// It does not allocate.
func Find(h http.Header, pseudonym string) (suffix string, ok bool) {
	for _, v := range h["Via"] {
		for {
			i := strings.Index(v, pseudonym)
			if i < 0 {
				break
			}
			// received-by follows the protocol and whitespace (RFC 9110
			// §7.6.3: Via = #( received-protocol RWS received-by [ RWS
			// comment ] )).
			before := i == 0 || v[i-1] == ' ' || v[i-1] == '\t'
			rest := v[i+len(pseudonym):]
			end := strings.IndexAny(rest, ", \t")
			if end < 0 {
				end = len(rest)
			}
			if before && (end == 0 || rest[0] == '.') {
				return rest[:end], true
			}
			v = rest
		}
	}
	return "", false
}

// Append adds the entry "1.1 " + pseudonym + suffix (a constant the caller
// built once, as entry) to the Via of h: as a field of its own when h has
// none, which costs no allocation when h has room for one more key;
// otherwise appended to the last Via field, comma-separated, as RFC 9110
// §7.6.3 asks ("each intermediary appends its own information"), which
// costs the one string. h must be a copy that the caller owns (as the
// outgoing request of httputil.ReverseProxy is): entry, a slice shared by
// every request, is put in h itself when h has no Via.
func Append(h http.Header, entry []string) {
	vs := h["Via"]
	switch len(vs) {
	case 0:
		h["Via"] = entry[:1:1]
	default:
		last := len(vs) - 1
		vs[last] = vs[last] + ", " + entry[0]
	}
}
