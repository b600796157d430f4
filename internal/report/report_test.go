package report_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/report"
)

// finding returns a credentialed origin-reflected finding on u, its
// evidence as the audit records it: credentials already redacted.
func finding(u string) audit.Finding {
	return audit.Finding{
		URL: u, Class: audit.OriginReflected, Severity: audit.High, Title: audit.OriginReflected.Title(),
		Kind: audit.Simple, ProbeOrigin: "https://evil.example", AlsoOrigins: []string{"https://evil2.example"},
		Read: audit.CredentialedRead, Detail: "a page on https://evil.example reads the response with the user's cookies",
		Evidence: []audit.Exchange{{
			Request: audit.Request{Method: "GET", URL: u, Header: http.Header{
				"Origin": {"https://evil.example"}, "Accept": {"*/*"}, "User-Agent": {audit.UserAgent}, "Cookie": {"[redacted]"},
			}},
			Response: &audit.Response{Status: 200, Header: http.Header{
				"Access-Control-Allow-Origin": {"https://evil.example"}, "Access-Control-Allow-Credentials": {"true"},
				"Vary": {"Origin"}, "Content-Type": {"application/json"}, "Set-Cookie": {"[redacted]"},
			}},
		}},
		Fix: audit.OriginReflected.Fix(),
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	const u = "https://api.example.com/"
	noResponse := audit.Finding{
		URL: u, Class: audit.PreflightFailed, Severity: audit.Info, Title: "t", Kind: audit.Preflight,
		Detail: "d", Fix: "f",
		Evidence: []audit.Exchange{{
			Request: audit.Request{Method: "OPTIONS", URL: u, Header: http.Header{"Access-Control-Request-Method": {"PUT"}}},
			Error:   "connection reset",
		}},
	}
	cases := []struct {
		desc string
		rep  audit.Report
		want []string
	}{
		{
			desc: "nothing found",
			rep:  audit.Report{Targets: []audit.TargetResult{{URL: u, Requests: 57}}},
			want: []string{
				"Targets:",
				"  TARGET                    REQUESTS  HIGH  MEDIUM  LOW  INFO  ERROR",
				"  https://api.example.com/  57        0     0       0    0     -",
				"",
				"0 findings (0 high, 0 medium, 0 low, 0 info) in 1 target, 57 requests sent",
			},
		},
		{
			desc: "one finding: headers sorted, User-Agent and non-CORS response headers left out, redacted values kept redacted",
			rep:  audit.Report{Targets: []audit.TargetResult{{URL: u, Requests: 1}}, Findings: []audit.Finding{finding(u)}},
			want: []string{
				"HIGH origin-reflected: https://api.example.com/ [simple]",
				"  any origin is allowed (reflected): a page on https://evil.example reads the response with the user's cookies",
				"  probe origin: https://evil.example",
				"  also allowed: https://evil2.example",
				"  > GET https://api.example.com/",
				"  > Accept: */*",
				"  > Cookie: [redacted]",
				"  > Origin: https://evil.example",
				"  < 200 OK",
				"  < Access-Control-Allow-Credentials: true",
				"  < Access-Control-Allow-Origin: https://evil.example",
				"  < Vary: Origin",
				"  fix: " + audit.OriginReflected.Fix(),
				"",
				"Findings by class:",
				"  SEVERITY  CLASS             FINDINGS  TARGETS",
				"  high      origin-reflected  1         1",
				"",
				"Targets:",
				"  TARGET                    REQUESTS  HIGH  MEDIUM  LOW  INFO  ERROR",
				"  https://api.example.com/  1         1     0       0    0     -",
				"",
				"1 finding (1 high, 0 medium, 0 low, 0 info) in 1 target, 1 request sent",
			},
		},
		{
			desc: "no response, network errors, several targets",
			rep: audit.Report{
				Targets:  []audit.TargetResult{{URL: u, Requests: 3, Error: "refused"}, {URL: "https://b.example/", Requests: 2, Error: "refused"}},
				Findings: []audit.Finding{noResponse, noResponse},
			},
			want: []string{
				"INFO preflight-failed: https://api.example.com/ [preflight]",
				"  t: d",
				"  > OPTIONS https://api.example.com/",
				"  > Access-Control-Request-Method: PUT",
				"  < (no response: connection reset)",
				"  fix: f",
				"",
				"INFO preflight-failed: https://api.example.com/ [preflight]",
				"  t: d",
				"  > OPTIONS https://api.example.com/",
				"  > Access-Control-Request-Method: PUT",
				"  < (no response: connection reset)",
				"  fix: f",
				"",
				"Findings by class:",
				"  SEVERITY  CLASS             FINDINGS  TARGETS",
				"  info      preflight-failed  2         1",
				"",
				"Targets:",
				"  TARGET                    REQUESTS  HIGH  MEDIUM  LOW  INFO  ERROR",
				"  https://api.example.com/  3         0     0       0    2     yes",
				"  https://b.example/        2         0     0       0    0     yes",
				"",
				"error: https://api.example.com/: refused",
				"error: https://b.example/: refused",
				"2 findings (0 high, 0 medium, 0 low, 2 info) in 2 targets, 5 requests sent, 2 targets with network errors",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := report.Write(&b, report.Text, &tc.rep); err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if !strings.HasSuffix(b.String(), "\n") {
				t.Error("the output does not end with a newline")
			}
			for i := range max(len(got), len(tc.want)) {
				var g, w string
				if i < len(got) {
					g = got[i]
				}
				if i < len(tc.want) {
					w = tc.want[i]
				}
				if g != w {
					t.Errorf("line %d: got %q; want %q", i+1, g, w)
				}
			}
		})
	}
}

// No format prints a credential: the audit redacts the
// --credentials-header and the cookies both ways, and the writers print
// the redacted evidence.
func TestWriteRedactsCredentials(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session="+secret)
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Vary", "Origin")
		fmt.Fprintln(w, "data")
	}))
	t.Cleanup(srv.Close)
	tg, err := audit.ParseTarget(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Run(context.Background(), []*audit.Target{tg}, audit.Options{
		CredentialsHeader: http.Header{"X-Api-Key": {secret}},
		Header:            http.Header{"Authorization": {"Bearer " + secret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range []report.Format{report.Text, report.JSON, report.SARIF} {
		var b bytes.Buffer
		if err := report.Write(&b, f, rep); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, secret) {
			t.Errorf("%s: the output holds the secret", f)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s: the output shows no [redacted] value", f)
		}
	}
	var b bytes.Buffer
	if err := report.Write(&b, report.Text, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  > X-Api-Key: [redacted]\n", "  > Authorization: [redacted]\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text: no line %q", strings.TrimSuffix(want, "\n"))
		}
	}
}

// A response whose header was cut says so in the text report.
func TestWriteTextTruncated(t *testing.T) {
	t.Parallel()
	f := finding("https://api.example.com/")
	f.Evidence[0].Response.Truncated = "kept 64 of 4000 header lines (16000 of 200000 bytes); values over 1024 bytes cut"
	var b bytes.Buffer
	if err := report.Write(&b, report.Text, &audit.Report{Targets: []audit.TargetResult{{URL: f.URL, Requests: 1}}, Findings: []audit.Finding{f}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "  < (header truncated: kept 64 of 4000 header lines") {
		t.Errorf("no truncation note in\n%s", b.String())
	}
}
