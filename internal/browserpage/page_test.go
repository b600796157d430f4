package browserpage

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
)

func TestSpecOf(t *testing.T) {
	body := "x"
	got := SpecOf(fetch.Request{URL: "https://api.example/", Initiator: fetch.XHR, Body: []byte(body),
		Header: http.Header{"X-B": {"2"}, "X-A": {"1", "3"}}})
	want := Spec{XHR: true, URL: "https://api.example/", Method: "GET", Credentials: "same-origin", Mode: "cors",
		Headers: [][2]string{{"X-A", "1"}, {"X-A", "3"}, {"X-B", "2"}}, Body: &body}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
	call, err := Call(Spec{URL: `https://a.example/"</script>`, Headers: [][2]string{}})
	if err != nil || !strings.HasPrefix(call, "crossgateRun({") || !strings.Contains(HTML, "window.crossgateRun") {
		t.Errorf("Call: %q, %v", call, err)
	}
	if strings.Contains(call, `"</script>`) || strings.Contains(call, `"timeout"`) {
		t.Errorf("Call %q: the URL must be escaped for JSON, and no timeout written when there is none", call)
	}
}
