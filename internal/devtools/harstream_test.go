package devtools

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// ReadHAR, an entry at a time, reads what json.Unmarshal of the whole file
// reads.
func TestReadHAR_asUnmarshal(t *testing.T) {
	b, err := os.ReadFile("testdata/har/chromium-156.har")
	if err != nil {
		t.Fatal(err)
	}
	var want HAR
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadHAR(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Log.Entries) == 0 || !reflect.DeepEqual(*got, want) {
		t.Errorf("ReadHAR read %d entries (creator %+v); json.Unmarshal %d (%+v)", len(got.Log.Entries), got.Log.Creator, len(want.Log.Entries), want.Log.Creator)
	}
}

// harStream is a HAR of n entries, each with a body of size bytes, made
// as it is read: members before and after "log" and inside it that a HAR
// has and ReadHAR skips ("pages", a tool's own), nested.
func harStream(n, size int) io.Reader {
	body := strings.Repeat("x", size)
	var parts []io.Reader
	parts = append(parts, strings.NewReader(`{"_tool": {"a": [1, {"b": [[]]}]}, "log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "pages": [{"id": "p", "title": "[{"}], "entries": [`))
	for i := range n {
		sep := ","
		if i == 0 {
			sep = ""
		}
		parts = append(parts, strings.NewReader(fmt.Sprintf(`%s{"request": {"method": "GET", "url": "https://api.example/%d", "headers": [{"name": "Origin", "value": "https://app.example"}]}, "response": {"status": 200, "headers": [], "content": {"size": %d, "text": "%s"}}}`, sep, i, size, body)))
	}
	parts = append(parts, strings.NewReader(`], "comment": "end"}, "_after": [1, 2]}`))
	return io.MultiReader(parts...)
}

// A HAR far larger than the bound on one entry is read, since only one
// entry is held at a time; one entry past the bound is refused, by index.
func TestReadHAR_stream(t *testing.T) {
	const bound = 1 << 20
	h, err := readHAR(harStream(40, bound/2), bound) // 20 MiB in all
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Log.Entries) != 40 || h.Log.Entries[39].Request.URL != "https://api.example/39" || h.Log.Creator.Name != "test" {
		t.Errorf("read %d entries, the last %+v, creator %+v", len(h.Log.Entries), h.Log.Entries[len(h.Log.Entries)-1].Request, h.Log.Creator)
	}
	_, err = readHAR(harStream(3, 2*bound), bound)
	if err == nil || !strings.Contains(err.Error(), "log.entries[0] is larger than 1 MiB") {
		t.Errorf("an entry of 2 MiB: got %v; want it refused as log.entries[0]", err)
	}
}

func TestReadHAR_errors(t *testing.T) {
	for in, want := range map[string]string{
		`{"log": {"version": "1.2"}}`:     `no "log.entries"`,
		`{"log": []}`:                     `offset 9: "log" is not an object: found an array`,
		`[]`:                              `the HAR is not an object: found an array`,
		`{"log": {"entries": {}}}`:        `"log.entries" is not an array: found an object`,
		`{"log": {"entries": [{"request"`: "it ends at offset",
		`{"log": {"entries": [1]}}`:       "cannot unmarshal number",
		``:                                "it ends at offset 0",
	} {
		if _, err := ReadHAR(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadHAR(%q): got %v; want an error containing %q", in, err, want)
		}
	}
}
