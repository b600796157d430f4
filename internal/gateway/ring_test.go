package gateway

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/cors"
)

func TestRing_layout(t *testing.T) {
	if fieldOff[nFields] != slotBytes {
		t.Fatalf("the fields take %d bytes; slotBytes is %d", fieldOff[nFields], slotBytes)
	}
}

func refusedRequest(i int) *http.Request {
	r := httptest.NewRequest("OPTIONS", "http://api.example.com/v1/x"+strconv.Itoa(i), nil)
	r.Header.Set("Origin", "https://evil"+strconv.Itoa(i)+".example")
	r.Header.Set("Access-Control-Request-Method", "PUT")
	return r
}

// The ring keeps the RingSize most recent refusals, the most recent first.
func TestRing_bounded(t *testing.T) {
	g := newRing()
	if got := g.recent(0); len(got) != 0 {
		t.Fatalf("empty ring: got %d refusals", len(got))
	}
	d := &cors.Decision{Kind: cors.KindPreflight, Reason: cors.ReasonOriginNotAllowed}
	const n = RingSize + 10
	for i := 1; i <= n; i++ {
		r := refusedRequest(i)
		g.record(r, r.URL.Path, "app", d, "")
	}
	got := g.recent(0)
	if len(got) != RingSize {
		t.Fatalf("got %d refusals; want %d", len(got), RingSize)
	}
	for i, rf := range got {
		want := n - i
		if rf.Seq != uint64(want) || rf.Origin != "https://evil"+strconv.Itoa(want)+".example" || rf.Path != "/v1/x"+strconv.Itoa(want) {
			t.Fatalf("refusal %d: got seq %d origin %q path %q; want the request %d", i, rf.Seq, rf.Origin, rf.Path, want)
		}
		if rf.Kind != "preflight" || rf.Reason != "origin-not-allowed" || rf.ACRM != "PUT" || rf.Policy != "app" || rf.Host != "api.example.com" || rf.Method != "OPTIONS" {
			t.Fatalf("refusal %d: got %+v", i, rf)
		}
	}
	if got := g.recent(n - 3); len(got) != 3 || got[2].Seq != n-2 {
		t.Errorf("recent(%d): got %d refusals; want the last 3", n-3, len(got))
	}
}

// A huge header is cut to its field's room, and the refusal says so.
func TestRing_truncates(t *testing.T) {
	g := newRing()
	r := refusedRequest(0)
	long := "https://" + strings.Repeat("a", 100_000) + ".example"
	r.Header.Set("Origin", long)
	g.record(r, "/x", "", &cors.Decision{Kind: cors.KindActual, Reason: cors.ReasonOriginNotAllowed}, "")
	rf := g.recent(0)[0]
	if rf.Origin != long[:fieldSize[fOrigin]] || !rf.Truncated {
		t.Errorf("got origin of %d bytes, truncated %v; want %d bytes, truncated", len(rf.Origin), rf.Truncated, fieldSize[fOrigin])
	}
	g.record(refusedRequest(1), "/x", "", &cors.Decision{Kind: cors.KindActual}, "websocket-no-origin")
	if rf := g.recent(0)[0]; rf.Truncated || rf.Reason != "websocket-no-origin" {
		t.Errorf("got %+v; want reason websocket-no-origin, not truncated", rf)
	}
}

// Recording a refusal does not allocate.
func TestRing_recordAllocs(t *testing.T) {
	g := newRing()
	r := refusedRequest(1)
	d := &cors.Decision{Kind: cors.KindPreflight, Reason: cors.ReasonMethodNotAllowed}
	if n := testing.AllocsPerRun(1000, func() { g.record(r, "/v1/x", "app", d, "") }); n != 0 {
		t.Errorf("record: %v allocations; want 0", n)
	}
}

func BenchmarkRingRecord(b *testing.B) {
	g := newRing()
	r := refusedRequest(1)
	d := &cors.Decision{Kind: cors.KindPreflight, Reason: cors.ReasonMethodNotAllowed}
	b.ReportAllocs()
	for b.Loop() {
		g.record(r, "/v1/x", "app", d, "")
	}
}

func TestShellQuote_plain(t *testing.T) {
	for in, want := range map[string]string{
		"crossgate":                          "crossgate",
		"https://a.example/v1/x":             "https://a.example/v1/x",
		"":                                   "''",
		"it's":                               `'it'\''s'`,
		"<script>":                           "'<script>'",
		"a\nb":                               `$'a\x0ab'`,
		"\xff'":                              `$'\xff\''`,
		"Access-Control-Request-Method: PUT": "'Access-Control-Request-Method: PUT'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s; want %s", in, got, want)
		}
	}
}
