package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/cli"
	"github.com/crossgate/crossgate/internal/cli/check"
	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
)

var update = flag.Bool("update", false, "rewrite testdata/check.txt with the actual output")

func execute(t *testing.T, args []string) (*check.Options, error) {
	t.Helper()
	return clitest.Parse(t, check.NewCmdCheck, args)
}

func TestNewCmdCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc       string
		args       []string
		want       fetch.Request
		wantEngine fetch.Engine
		wantJSON   bool
	}{
		{
			desc: "defaults",
			args: []string{"http://api.example/x", "--origin", "https://app.example"},
			want: fetch.Request{URL: "http://api.example/x", Origin: "https://app.example", Method: "GET", Header: http.Header{}, Credentials: fetch.SameOrigin},
		}, {
			desc: "every flag, flags before the URL",
			args: []string{"--origin", "https://app.example", "--method", "patch", "-H", "X-A: 1", "--header", "x-a:2",
				"-H", "Content-Type:  application/json  ", "--credentials", "include", "--body-stream", "--engine", "spec", "--json", "https://api.example/x?q=1"},
			want: fetch.Request{URL: "https://api.example/x?q=1", Origin: "https://app.example", Method: "patch",
				Header: http.Header{"X-A": {"1", "2"}, "Content-Type": {"application/json"}}, Credentials: fetch.Include,
				StreamBody: true, Body: []byte{}},
			wantEngine: fetch.Spec, wantJSON: true,
		}, {
			desc: "XMLHttpRequest with an upload listener",
			args: []string{"http://api.example/", "--origin", "http://localhost:3000", "--xhr", "--body-stream", "--method", "POST", "--credentials", "omit"},
			want: fetch.Request{URL: "http://api.example/", Origin: "http://localhost:3000", Method: "POST", Header: http.Header{},
				Credentials: fetch.Omit, Initiator: fetch.XHR, UploadListener: true, Body: []byte{}},
		}, {
			desc: "the page's context",
			args: []string{"http://10.0.0.2/", "--origin", "https://app.example", "--address-space", "public", "--target-address-space", "loopback"},
			want: fetch.Request{URL: "http://10.0.0.2/", Origin: "https://app.example", Method: "GET", Header: http.Header{}, Credentials: fetch.SameOrigin,
				AddressSpace: fetch.PublicAddressSpace, TargetAddressSpace: fetch.LoopbackAddressSpace},
		}, {
			desc: "a file: page",
			args: []string{"file:///home/me/data.json", "--origin", "null", "--page-scheme", "file"},
			want: fetch.Request{URL: "file:///home/me/data.json", Origin: "null", Method: "GET", Header: http.Header{}, Credentials: fetch.SameOrigin, PageScheme: "file"},
		}, {
			desc: "a forbidden method is the script's exception, not a usage error",
			args: []string{"http://api.example/", "--origin", "http://a.example", "--method", "TRACE"},
			want: fetch.Request{URL: "http://api.example/", Origin: "http://a.example", Method: "TRACE", Header: http.Header{}, Credentials: fetch.SameOrigin},
		},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			got, err := execute(t, tc.args)
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			if !reflect.DeepEqual(got.Request, tc.want) {
				t.Errorf("got request %+v; want %+v", got.Request, tc.want)
			}
			if got.Engine != tc.wantEngine || got.JSON != tc.wantJSON {
				t.Errorf("got engine %s, json %t; want %s, %t", got.Engine, got.JSON, tc.wantEngine, tc.wantJSON)
			}
			if got.Color {
				t.Error("got colour on a buffer; want none")
			}
		})
	}
}

func TestNewCmdCheck_usageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		desc string
		args []string
		want string
	}{
		{"no URL", []string{"--origin", "http://a.example"}, "missing the request URL"},
		{"no origin", []string{"http://api.example/"}, `required flag(s) "origin" not set`},
		{"a relative URL", []string{"/x", "--origin", "http://a.example"}, `invalid URL "/x"`},
		{"an origin with a path", []string{"http://api.example/", "--origin", "http://a.example/"}, `invalid origin "http://a.example/"`},
		{"bad credentials", []string{"http://api.example/", "--origin", "http://a.example", "--credentials", "yes"}, `invalid --credentials "yes"`},
		{"bad engine", []string{"http://api.example/", "--origin", "http://a.example", "--engine", "gecko"}, `invalid --engine "gecko"`},
		{"bad method", []string{"http://api.example/", "--origin", "http://a.example", "--method", "GE T"}, `invalid --method "GE T"`},
		{"header without colon", []string{"http://api.example/", "--origin", "http://a.example", "-H", "X-A"}, "want 'Name: value'"},
		{"bad address space", []string{"http://api.example/", "--origin", "http://a.example", "--address-space", "private"}, `invalid --address-space "private"`},
		{"bad target address space", []string{"http://api.example/", "--origin", "http://a.example", "--target-address-space", "lan"}, `invalid --target-address-space "lan"`},
		{"bad page scheme", []string{"http://api.example/", "--origin", "http://a.example", "--page-scheme", "https"}, `invalid --page-scheme "https"`},
		{"a file: page with an origin", []string{"file:///x", "--origin", "http://a.example", "--page-scheme", "file"}, `its origin is "null"`},
		{"header with a control byte", []string{"http://api.example/", "--origin", "http://a.example", "-H", "X-A: a\x01"}, "control character"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			_, err := execute(t, tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v; want one containing %q", err, tc.want)
			}
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) && !strings.Contains(err.Error(), "required flag") {
				t.Errorf("got %T; want a *cmdutil.UsageError", err)
			}
		})
	}
}

// api is the server the transcripts talk to: each path answers as a
// misconfigured or a correct API would.
func api() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	})
	mux.HandleFunc("/closed", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/spa", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "https://app.example" {
			w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Allow-Methods", "PUT")
			w.Header().Set("Access-Control-Allow-Headers", "content-type")
			w.Header().Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Add("Set-Cookie", "sid=1; HttpOnly")
		w.Header().Add("Set-Cookie", "pref=dark; SameSite=None")
		w.Header().Add("Set-Cookie", "__Host-csrf=2; Secure; Path=/; SameSite=None")
		w.Header().Add("Set-Cookie", "theme=1; Secure; SameSite=None; Partitioned")
	})
	mux.HandleFunc("/wildcard", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
	})
	return mux
}

// A transcript (testdata/check.txt) is a list of commands, each a line
// "$ crossgate ARGS" with $API for the test server's URL and $CLOSED for
// a port nobody listens on, followed by the expected result, as in
// internal/cli/testdata: "--> exit N", standard output, and "[stderr]"
// then standard error. Ports are masked in the output.
func TestTranscripts(t *testing.T) {
	srv := httptest.NewServer(api())
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	mask := strings.NewReplacer(srv.URL, "http://127.0.0.1:PORT", closed, "http://127.0.0.1:CLOSED")

	file := filepath.Join("testdata", "check.txt")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var command, want string
	flush := func() {
		if command == "" {
			return
		}
		got := run(t, strings.NewReplacer("$API", srv.URL, "$CLOSED", closed).Replace(command), mask)
		if !*update && got != strings.TrimRight(want, "\n") {
			t.Errorf("$ %s\ngot:\n%s\nwant:\n%s", command, got, want)
		}
		fmt.Fprintf(&out, "$ %s\n%s\n\n", command, got)
		command, want = "", ""
	}
	for _, line := range strings.Split(string(src), "\n") {
		switch {
		case strings.HasPrefix(line, "# ") || line == "#":
			flush()
			out.WriteString(line + "\n")
		case strings.HasPrefix(line, "$ "):
			flush()
			command = line[2:]
		case command != "":
			want += line + "\n"
		}
	}
	flush()
	if *update {
		if err := os.WriteFile(file, []byte(strings.TrimSuffix(out.String(), "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs command (words split on spaces; a word in single quotes may
// hold spaces) through cli.Main and renders what it did, masked.
func run(t *testing.T, command string, mask *strings.Replacer) string {
	t.Helper()
	var args []string
	for rest := command; rest != ""; {
		rest = strings.TrimLeft(rest, " ")
		if strings.HasPrefix(rest, "'") {
			end := strings.Index(rest[1:], "'")
			args, rest = append(args, rest[1:1+end]), rest[2+end:]
			continue
		}
		word, tail, _ := strings.Cut(rest, " ")
		args, rest = append(args, word), tail
	}
	if len(args) == 0 || args[0] != "crossgate" {
		t.Fatalf("$ %s: want a crossgate command", command)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), args[1:], strings.NewReader(""), &stdout, &stderr)
	got := fmt.Sprintf("--> exit %d\n%s", code, stdout.String())
	if stderr.Len() > 0 {
		got += "[stderr]\n" + stderr.String()
	}
	return mask.Replace(strings.TrimRight(got, "\n"))
}

// Colour goes only where the command was told stdout is a terminal.
func TestRun_color(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(api())
	defer srv.Close()
	for _, color := range []bool{false, true} {
		var out bytes.Buffer
		opts := &check.Options{IO: cmdutil.IO{Out: &out}, Color: color,
			Request: fetch.Request{URL: srv.URL + "/closed", Origin: "https://app.example"}}
		err := check.Run(context.Background(), opts)
		var exit *cmdutil.ExitError
		if !errors.As(err, &exit) || exit.Code != cmdutil.ExitFail {
			t.Fatalf("got %v; want exit %d", err, cmdutil.ExitFail)
		}
		if got := strings.Contains(out.String(), "\x1b["); got != color {
			t.Errorf("color %t: got escape sequences %t", color, got)
		}
	}
}

// --compare: a gateway in front that adds Access-Control-Allow-Origin
// while the app sends its own, and strips Vary: the headers side by side
// name the layer's doing, and each URL gets its verdict.
func TestRun_compare(t *testing.T) {
	t.Parallel()
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
		w.Header().Set("Vary", "Origin")
	})
	direct := httptest.NewServer(app)
	defer direct.Close()
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Access-Control-Allow-Origin", "https://app.example")
		w.Header().Add("Access-Control-Allow-Origin", "https://app.example")
		w.Header().Set("X-Gateway", "1")
	}))
	defer gateway.Close()
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"check", gateway.URL + "/x", "--origin", "https://app.example", "--compare", direct.URL + "/x"},
		strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Errorf("got exit %d; want 1 (the first is blocked)\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"request  Access-Control-Allow-Origin  https://app.example | https://app.example  https://app.example  repeated at the first URL",
		"request  Vary                         (none)                                     Origin               only at the second URL: stripped",
		"first:  blocked: MultipleAllowOriginValues", "second: allowed", "different verdicts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	stdout.Reset()
	cli.Main(context.Background(), []string{"check", gateway.URL + "/x", "--origin", "https://app.example", "--compare", direct.URL + "/x", "--json"},
		strings.NewReader(""), &stdout, &stderr)
	var got struct {
		First, Second struct {
			Allowed bool `json:"allowed"`
		}
		Headers []struct{ Name, Change string }
		Agree   bool `json:"agree"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.First.Allowed || !got.Second.Allowed || got.Agree || len(got.Headers) != 2 || got.Headers[0].Change != "duplicated" || got.Headers[1].Change != "stripped" {
		t.Errorf("got %+v", got)
	}
}
