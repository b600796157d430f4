package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// accessRecords are records with every optional field, none, and values
// that JSON must escape.
var accessRecords = []accessRecord{
	{level: slog.LevelInfo, method: "OPTIONS", host: "api.example", path: "/api/items", status: 204, dur: 12 * time.Microsecond,
		remote: "127.0.0.1:54321", policy: "api", upstream: "http://127.0.0.1:8080", kind: "preflight", allowed: true, reason: "allowed",
		origin: "https://app.example"},
	{level: slog.LevelWarn, method: "GET", host: "", path: "", status: 502, bytes: 1 << 40, dur: 90 * time.Second,
		kind: "actual", reason: "origin-not-allowed", origin: "https://evil.example", detail: "https://evil.example",
		upgrade: "websocket", why: "cross-origin-write", err: "dial tcp 127.0.0.1:1: connect: connection refused"},
	{level: slog.LevelInfo, method: "P\"O\\ST", host: "a\nb\tc\x01d", path: "/<script>&amp;\u2028\u2029", status: 200,
		remote: "[::1]:1", policy: "é 🙂", upstream: "echo", kind: "not-cors", allowed: true, reason: "not-cors",
		origin: "https://\xff\xfe.example", err: "\x7f\u00a0 end"},
}

// The access log writes the same record whichever encoder writes it: the
// gateway's own JSON logger through zerolog, a caller's Logger through
// slog.JSONHandler. Same keys, in the same order, same values.
func TestAccessLog_zerologAsSlog(t *testing.T) {
	for _, a := range accessRecords {
		var viaSlog, viaZerolog bytes.Buffer
		slog.New(slog.NewJSONHandler(&viaSlog, nil)).LogAttrs(context.Background(), a.level, "request", a.attrs()...)
		newJSONHandler(&viaZerolog).access(&a)
		if !strings.HasSuffix(viaZerolog.String(), "}\n") || strings.Count(viaZerolog.String(), "\n") != 1 {
			t.Fatalf("zerolog wrote %q; want one line", viaZerolog.String())
		}
		ks, vs := decodeOrdered(t, viaSlog.Bytes())
		kz, vz := decodeOrdered(t, viaZerolog.Bytes())
		if strings.Join(ks, ",") != strings.Join(kz, ",") {
			t.Errorf("keys:\nslog    %v\nzerolog %v", ks, kz)
			continue
		}
		for i, k := range ks {
			if k == "time" {
				for _, v := range []any{vs[i], vz[i]} {
					if _, err := time.Parse(time.RFC3339Nano, v.(string)); err != nil {
						t.Errorf("time %v: %v", v, err)
					}
				}
				continue
			}
			if vs[i] != vz[i] {
				t.Errorf("%s: slog %#v, zerolog %#v", k, vs[i], vz[i])
			}
		}
	}
}

// decodeOrdered returns the keys and values of a JSON object, in order.
func decodeOrdered(t *testing.T, line []byte) ([]string, []any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q: not an object: %v", line, err)
	}
	var keys []string
	var vals []any
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if n, ok := v.(json.Number); ok {
			f, _ := n.Float64()
			v = f // 1.2e-05 and 0.000012 are the same number
		}
		keys, vals = append(keys, k.(string)), append(vals, v)
	}
	return keys, vals
}

// BenchmarkAccessLog writes one access record with each encoder.
//
//	go test -run '^$' -bench AccessLog -benchmem ./internal/gateway
func BenchmarkAccessLog(b *testing.B) {
	a := accessRecords[0]
	b.Run("encoder=slog", func(b *testing.B) {
		l := slog.New(slog.NewJSONHandler(io.Discard, nil))
		b.ReportAllocs()
		for b.Loop() {
			l.LogAttrs(context.Background(), a.level, "request", a.attrs()...)
		}
	})
	b.Run("encoder=zerolog", func(b *testing.B) {
		h := newJSONHandler(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			h.access(&a)
		}
	})
}
