package fetch_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/scenarios"
)

func FuzzIsSafelistedRequestHeader(f *testing.F) {
	for _, tc := range safelistCases {
		f.Add(tc.name, tc.value)
	}
	for _, row := range scenarios.SafelistRows {
		f.Add(row.Name, row.Value)
	}
	// Found by this fuzzer: a Range that parses, 129 bytes long, is not
	// safelisted (the 128-byte cap of step 1 comes first).
	f.Add("Range", "bytes="+strings.Repeat("0", 61)+"-"+strings.Repeat("0", 61))
	f.Fuzz(func(t *testing.T, name, value string) {
		spec := fetch.Spec.IsSafelistedRequestHeader(name, value)
		chromium := fetch.Chromium.IsSafelistedRequestHeader(name, value)
		if spec != fetch.IsCORSSafelistedRequestHeader(name, value) {
			t.Fatalf("Spec and IsCORSSafelistedRequestHeader disagree on (%q, %q)", name, value)
		}
		if spec && !chromium {
			t.Fatalf("(%q, %q) is safelisted by the standard but not by Chromium", name, value)
		}
		if (spec || chromium) && len(value) > 128 {
			t.Fatalf("(%q, %q) is safelisted with %d bytes", name, value, len(value))
		}
		if spec && fetch.IsForbiddenRequestHeader(name, value) {
			t.Fatalf("(%q, %q) is both safelisted and forbidden", name, value)
		}
		switch strings.ToLower(name) {
		case "content-type":
			if spec {
				if _, ok := fetch.ParseMIMEEssence(value); !ok {
					t.Fatalf("Content-Type %q is safelisted but does not parse", value)
				}
			}
			fallthrough
		case "accept":
			for i := 0; spec && i < len(value); i++ {
				if fetch.IsCORSUnsafeRequestHeaderByte(value[i]) {
					t.Fatalf("%s %q is safelisted with the unsafe byte %q", name, value, value[i])
				}
			}
		case "range":
			// Safelisted when it parses as a single range with a start and
			// fits the 128 bytes that cap every safelisted value (Fetch,
			// CORS-safelisted request-header, step 1; Chromium caps it too).
			start, end, ok := fetch.ParseSingleRange(value)
			if want := ok && start >= 0 && len(value) <= 128; spec != want {
				t.Fatalf("Range %q (%d bytes): safelisted %t, parsed %d-%d %t", value, len(value), spec, start, end, ok)
			}
			if ok && start >= 0 && end >= 0 && start > end {
				t.Fatalf("Range %q parsed to %d > %d", value, start, end)
			}
		}
		if spec || chromium {
			if got := fetch.Chromium.UnsafeRequestHeaderNames(http.Header{name: {value}}); len(got) != 0 && !fetch.IsForbiddenRequestHeader(name, value) {
				t.Fatalf("safelisted (%q, %q) listed as unsafe: %q", name, value, got)
			}
		}
	})
}

func FuzzParseTokenList(f *testing.F) {
	for _, s := range []string{"GET, POST", "PUT PATCH", "x foo", ",,a,,", "*", "", " a ,\tb ", "a;b", "X-FOO", "x-b, X-A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		items, bad, ok := fetch.ParseTokenList(value)
		if !ok {
			if !strings.Contains(value, bad) || bad == "" {
				t.Fatalf("ParseTokenList(%q) failed on %q, not a part of it", value, bad)
			}
			return
		}
		for _, it := range items {
			if it == "" || strings.ContainsAny(it, ", \t") || !fetch.IsValidMethod(it) {
				t.Fatalf("ParseTokenList(%q) returned the item %q", value, it)
			}
		}
		again, _, ok := fetch.ParseTokenList(strings.Join(items, ", "))
		if !ok || strings.Join(again, ",") != strings.Join(items, ",") {
			t.Fatalf("ParseTokenList is not stable on %q: %q then %q", value, items, again)
		}
	})
}

func FuzzParseMIMEEssence(f *testing.F) {
	for _, row := range scenarios.SafelistRows {
		if row.Name == "content-type" {
			f.Add(row.Value)
		}
	}
	f.Fuzz(func(t *testing.T, value string) {
		essence, ok := fetch.ParseMIMEEssence(value)
		if !ok {
			return
		}
		if essence != strings.ToLower(essence) || strings.Count(essence, "/") != 1 {
			t.Fatalf("ParseMIMEEssence(%q) = %q", value, essence)
		}
		if again, ok := fetch.ParseMIMEEssence(essence); !ok || again != essence {
			t.Fatalf("ParseMIMEEssence(%q) = %q, %t; want itself", essence, again, ok)
		}
	})
}

// FuzzCheckPreflight feeds arbitrary Access-Control-Allow-Methods and
// -Headers values to a preflight check and holds it to the list parser.
func FuzzCheckPreflight(f *testing.F) {
	f.Add("PUT", "x-foo")
	f.Add("PUT PATCH", "")
	f.Add("put", "X-FOO")
	f.Add("*", "*")
	f.Add("", "x foo")
	f.Fuzz(func(t *testing.T, acam, acah string) {
		p, err := fetch.Chromium.Classify(fetch.Request{Method: "PUT", URL: T, Origin: O, Header: http.Header{"X-Foo": {"1"}}})
		if err != nil {
			t.Fatal(err)
		}
		fail, _ := fetch.Chromium.CheckPreflight(p, fetch.Response{Status: 204, Header: http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {acam},
			"Access-Control-Allow-Headers": {acah},
		}})
		methods, _, okM := fetch.ParseTokenList(strings.Trim(acam, " \t\r\n"))
		headers, _, okH := fetch.ParseTokenList(strings.Trim(acah, " \t\r\n"))
		var want fetch.ErrorID
		switch {
		case !okM:
			want = fetch.InvalidAllowMethodsPreflightResponse
		case !okH:
			want = fetch.InvalidAllowHeadersPreflightResponse
		case !has(methods, "PUT", false) && !has(methods, "*", false):
			want = fetch.MethodDisallowedByPreflightResponse
		case !has(headers, "x-foo", true) && !has(headers, "*", false):
			want = fetch.HeaderDisallowedByPreflightResponse
		}
		var got fetch.ErrorID
		if fail != nil {
			got = fail.ID
			if fail.ConsoleMessage() == "" || fail.Fix == "" {
				t.Fatalf("failure %s without a message or a fix", got)
			}
		}
		if got != want {
			t.Fatalf("ACAM %q, ACAH %q: got %q; want %q", acam, acah, got, want)
		}
	})
}

func has(list []string, s string, fold bool) bool {
	for _, it := range list {
		if it == s || fold && strings.EqualFold(it, s) {
			return true
		}
	}
	return false
}
