package audit

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/fetch"
)

// What is read of each response, and what of it is kept.
//
// A hostile (or broken) server can answer every probe with megabytes of
// headers. The transport refuses a response whose header block is larger
// than maxResponseHeaderBytes, Chromium's own limit (net::HttpStreamParser,
// kMaxHeaderBufSize: a larger response fails with
// net::ERR_RESPONSE_HEADERS_TOO_BIG, so no page reads it either). Of a
// response within that limit, at most maxKeptLines header lines and
// maxKeptBytes bytes of them are kept, CORS headers first: the grading and
// the evidence only ever see the kept header, so what an audit holds per
// request is bounded whatever the server sends. The body is never kept:
// at most maxBodyDrain bytes of it are read, to reuse the connection, and
// thrown away.
const (
	maxResponseHeaderBytes = fetch.MaxResponseHeaderBytes
	maxKeptLines           = 64
	maxKeptValuesPerName   = 8
	maxKeptValueBytes      = 1 << 10
	maxKeptBytes           = 16 << 10
	maxBodyDrain           = 64 << 10
)

// headerSize returns the size of h as it comes on the wire ("Name: value\r\n"
// per line) and its number of lines.
func headerSize(h http.Header) (bytes, lines int) {
	for name, vs := range h {
		for _, v := range vs {
			bytes += len(name) + len(v) + 4
			lines++
		}
	}
	return bytes, lines
}

// keptPriority orders the header names kept: the CORS headers and those
// the findings quote first.
func keptPriority(name string) int {
	switch {
	case strings.HasPrefix(name, "Access-Control-"):
		return 0
	case name == "Vary" || name == "Location" || name == "Www-Authenticate" || name == injectedName:
		return 1
	}
	return 2
}

// boundHeader returns the part of h that an audit keeps, and a note saying
// what was left out ("" when nothing was). The result shares nothing with
// h. It is deterministic: names are taken in priority order, then sorted.
func boundHeader(h http.Header) (http.Header, string) {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if pa, pb := keptPriority(a), keptPriority(b); pa != pb {
			return pa - pb
		}
		return strings.Compare(a, b)
	})
	out := make(http.Header, min(len(h), maxKeptLines))
	kept, keptBytes, cut := 0, 0, 0
	for _, n := range names {
		for i, v := range h[n] {
			size := len(n) + len(v) + 4
			if kept == maxKeptLines || i >= maxKeptValuesPerName || keptBytes+min(size, maxKeptValueBytes) > maxKeptBytes {
				cut++
				continue
			}
			if len(v) > maxKeptValueBytes {
				// A cut value never matches an origin or a token:
				// grading sees it as the malformed value it was.
				v = v[:maxKeptValueBytes] + "[...]"
				cut++
			}
			out[n] = append(out[n], strings.Clone(v))
			kept++
			keptBytes += len(n) + len(v) + 4
		}
	}
	if cut == 0 {
		return out, ""
	}
	total, lines := headerSize(h)
	return out, fmt.Sprintf("kept %d of %d header lines (%d of %d bytes); values over %d bytes cut", kept, lines, keptBytes, total, maxKeptValueBytes)
}

// errHeadersTooBig is the error of a response whose header block is over
// maxResponseHeaderBytes.
func errHeadersTooBig(size int) error {
	what := "more than"
	if size > 0 {
		what = fmt.Sprintf("%d bytes,", size)
	}
	return fmt.Errorf("the response headers are %s over the %d KiB that Chromium accepts (net::ERR_RESPONSE_HEADERS_TOO_BIG): no page can read this response, and the audit reads no further",
		what, maxResponseHeaderBytes>>10)
}

// tooBig reports whether err is the transport's refusal of an oversized
// header block.
func tooBig(err error) bool {
	return strings.Contains(err.Error(), "server response headers exceeded")
}
