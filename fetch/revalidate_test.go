package fetch_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

func TestRevalidated(t *testing.T) {
	t.Parallel()
	stored := hdr("Access-Control-Allow-Origin", "*", "Access-Control-Expose-Headers", "a", "Content-Type", "text/plain",
		"Content-Length", "7", "Etag", `"x"`, "A", "1", "X-Content-Type-Options", "nosniff")
	cases := []struct {
		desc        string
		notModified http.Header
		want        http.Header
	}{
		{"no fields: the stored response as is", nil, stored},
		{"CORS fields replace the stored ones",
			hdr("access-control-expose-headers", "a, b", "Access-Control-Allow-Origin", "https://app.example", "Access-Control-Allow-Origin", "x"),
			hdr("Access-Control-Allow-Origin", "https://app.example", "Access-Control-Allow-Origin", "x", "access-control-expose-headers", "a, b",
				"Content-Type", "text/plain", "Content-Length", "7", "Etag", `"x"`, "A", "1", "X-Content-Type-Options", "nosniff")},
		{"body and security fields are kept",
			hdr("Content-Type", "text/html", "Content-Length", "0", "Etag", `"y"`, "X-Content-Type-Options", "", "A", "2"),
			hdr("Access-Control-Allow-Origin", "*", "Access-Control-Expose-Headers", "a", "Content-Type", "text/plain",
				"Content-Length", "7", "Etag", `"x"`, "A", "2", "X-Content-Type-Options", "nosniff")},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			before := stored.Clone()
			got := fetch.Revalidated(stored, tc.notModified)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v; want %v", got, tc.want)
			}
			if !reflect.DeepEqual(stored, before) {
				t.Errorf("the stored header changed to %v", stored)
			}
		})
	}
}

// After a 304 narrows Access-Control-Expose-Headers, the page reads less
// (WPT cors/304.htm).
func ExampleRevalidated() {
	stored := http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Expose-Headers": {"a, b"}, "A": {"1"}, "B": {"1"}}
	h := fetch.Revalidated(stored, http.Header{"Access-Control-Expose-Headers": {"a"}, "A": {"2"}})
	fmt.Println(fetch.ReadableHeaders(h, fetch.Cors, fetch.SameOrigin))
	// Output: [a]
}
