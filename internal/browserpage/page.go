// Package browserpage is the page that `crossgate check --browser` and the
// end-to-end tests open in Chromium: its one function, crossgateRun(spec),
// makes a request with fetch() or XMLHttpRequest as a page's script would
// and resolves to what the script saw. One page for both, so that the page
// check --browser runs is the one the tests hold to Chromium's verdicts.
package browserpage

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"github.com/crossgate/crossgate/fetch"
)

// HTML is the page. crossgateRun(spec) resolves to a [Result] as JSON.
// With spec.timeout (ms), the script gives up as the model does:
// AbortSignal.timeout for fetch(), XMLHttpRequest's own timeout.
const HTML = `<!doctype html><title>crossgate</title><script>
window.crossgateRun = async function (s) {
  const out = {ok: false, status: 0, type: "", headers: [], error: ""};
  const hs = s.headers || [];
  try {
    if (s.xhr) {
      await new Promise((done) => {
        const x = new XMLHttpRequest();
        try {
          x.open(s.method, s.url);
          x.withCredentials = s.credentials === "include";
          for (const [n, v] of hs) x.setRequestHeader(n, v);
        } catch (e) { out.error = String(e); done(); return; }
        if (s.upload) x.upload.onprogress = () => {};
        if (s.timeout > 0) { x.timeout = s.timeout; x.ontimeout = () => { out.error = "XMLHttpRequest timeout"; done(); }; }
        x.onload = () => {
          out.ok = true; out.status = x.status; out.type = "cors";
          out.headers = x.getAllResponseHeaders().split("\r\n").filter((l) => l).map((l) => l.split(":")[0].toLowerCase());
          done();
        };
        x.onerror = () => { out.error = "XMLHttpRequest error"; done(); };
        try { x.send(s.body); } catch (e) { out.error = String(e); done(); }
      });
    } else {
      const init = {method: s.method, headers: new Headers(), credentials: s.credentials, mode: s.mode};
      if (s.timeout > 0) init.signal = AbortSignal.timeout(s.timeout);
      for (const [n, v] of hs) init.headers.append(n, v);
      if (s.stream) {
        const data = new TextEncoder().encode(s.body || "");
        init.body = new ReadableStream({start(c) { c.enqueue(data); c.close(); }});
        init.duplex = "half";
      } else if (s.body !== null && s.body !== undefined) {
        init.body = s.body;
      }
      const r = await fetch(s.url, init);
      out.ok = true; out.status = r.status; out.type = r.type; out.headers = [...r.headers.keys()];
    }
  } catch (e) { out.error = String(e); }
  return JSON.stringify(out);
};
</script>`

// Spec is one request as crossgateRun takes it.
type Spec struct {
	XHR         bool        `json:"xhr"`
	URL         string      `json:"url"`
	Method      string      `json:"method"`
	Headers     [][2]string `json:"headers"`
	Credentials string      `json:"credentials"`
	Mode        string      `json:"mode"`
	Body        *string     `json:"body"`
	Stream      bool        `json:"stream"`
	Upload      bool        `json:"upload"`
	// Timeout is in milliseconds, 0 for none.
	Timeout int64 `json:"timeout,omitempty"`
}

// SpecOf returns the spec of the script request r, with fetch()'s defaults
// written out (GET, same-origin credentials, cors mode) and its headers in
// name order.
func SpecOf(r fetch.Request) Spec {
	s := Spec{XHR: r.Initiator == fetch.XHR, URL: r.URL, Method: r.Method, Credentials: string(r.Credentials),
		Mode: string(r.Mode), Stream: r.StreamBody, Upload: r.UploadListener, Headers: [][2]string{}}
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	if s.Credentials == "" {
		s.Credentials = string(fetch.SameOrigin)
	}
	if s.Mode == "" {
		s.Mode = string(fetch.CORS)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[name] {
			s.Headers = append(s.Headers, [2]string{name, v})
		}
	}
	if r.Body != nil {
		b := string(r.Body)
		s.Body = &b
	}
	return s
}

// Call returns the JavaScript expression that runs s on the page.
func Call(s Spec) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return "crossgateRun(" + string(b) + ")", nil
}

// Result is what the script saw: whether it got a response, its status,
// type and the header names it could read, or the exception.
type Result struct {
	OK      bool     `json:"ok"`
	Status  int      `json:"status"`
	Type    string   `json:"type"`
	Headers []string `json:"headers"`
	Error   string   `json:"error"`
}
