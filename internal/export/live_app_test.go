package export_test

import (
	"bytes"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// runBrowser is exporttest.Run for the targets that cannot express a
// policy exactly in ways a page cannot see (a refused preflight answered
// 200 without Access-Control-Allow-Origin instead of 403, no Vary on
// responses a cache keys anyway): the export is made with
// --allow-approximation, every difference's limit must contain one of
// accepted, and each case of the battery must
// give what a page sees from crossgate proxy: the CORS check passes or
// fails with credentials omitted and included, the same readable headers
// and preflight cache time when it passes, and the same status for the
// requests that are not preflights. Which check fails (the console
// message) may differ. Then crossgate audit --policy runs against both:
// the export may have no finding crossgate proxy does not have, but those
// allow accepts (exporttest.Allowance: each tied to one of the
// differences, and never one through which a page reads).
func runBrowser(t *testing.T, file string, src []byte, tg *export.Target, start exporttest.StartFunc, accepted []string, allow []exporttest.Allowance) {
	t.Helper()
	var f *policyfile.File
	var err error
	if src != nil {
		f, err = policyfile.Parse(file, src)
	} else {
		f, err = policyfile.Load(file)
	}
	if err != nil {
		t.Fatal(err)
	}
	up := exporttest.NewUpstream(t)
	listen := "127.0.0.1:" + exporttest.FreePort(t)
	pl, err := export.NewPlan(f, export.Overrides{Listen: listen, Upstream: up.URL})
	if err != nil {
		t.Fatal(err)
	}
	diffs := export.Check(pl, tg.Caps)
	for _, d := range diffs {
		if !slices.ContainsFunc(accepted, func(a string) bool { return strings.Contains(d.Limit, a) }) {
			t.Fatalf("%s: difference not accepted by this test: %v", tg.Name, d)
		}
	}
	pl.Differences = diffs
	var buf bytes.Buffer
	export.WriteComment(&buf, tg.Name, diffs, tg.Comment)
	if err := tg.Render(pl, &buf); err != nil {
		t.Fatal(err)
	}
	conf, gsrv, client := exporttest.StartBoth(t, f, pl, tg, buf.Bytes(), start, up)
	cases := exporttest.Battery(pl)
	if len(cases) < 10 {
		t.Fatalf("a battery of %d cases", len(cases))
	}
	for _, c := range cases {
		if c.Header.Get("Upgrade") != "" {
			// WebSocket handshakes: a WSGI app takes none (the caps say
			// n/a), and CORS does not cover them.
			continue
		}
		if hasDotSegment(c.Target) {
			// No page can send it: the URL parser removes dot segments
			// (https://url.spec.whatwg.org/#path-state), and CORS is
			// about pages.
			continue
		}
		want, err := exporttest.Send(client, gsrv.URL, "gw-", c)
		if err != nil {
			t.Fatalf("gateway: %s: %v", c.Name, err)
		}
		got, err := exporttest.Send(client, "http://"+listen, "ex-", c)
		if err != nil {
			t.Fatalf("%s: %s: %v", tg.Name, c.Name, err)
		}
		if !sameForPage(c, want, got) {
			t.Errorf("%s: %s (%s %s, Host %s, Origin %q):\n  %s: %s\n  crossgate proxy: %s",
				tg.Name, c.Name, c.Method, c.Target, c.Host, c.Origin, tg.Name, got, want)
		}
		if len(got.Duplicates) > 0 {
			t.Errorf("%s: %s: duplicate headers %v", tg.Name, c.Name, got.Duplicates)
		}
	}
	_, port, _ := net.SplitHostPort(listen)
	gaddr := strings.TrimPrefix(gsrv.URL, "http://")
	_, gport, _ := net.SplitHostPort(gaddr)
	exporttest.AuditCompare(t, f,
		exporttest.Audited{Addr: listen, URLs: exporttest.AuditURLs(pl, port)},
		exporttest.Audited{Addr: gaddr, URLs: exporttest.AuditURLs(pl, gport)},
		exporttest.Allowances(t, tg, pl, allow))
	if t.Failed() {
		t.Logf("export (%s):\n%s", conf, buf.String())
	}
}

func hasDotSegment(target string) bool {
	for _, seg := range strings.Split(target, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func passes(verdict string) bool { return verdict == "ok" || verdict == "-" }

// sameForPage compares what the page's script sees.
func sameForPage(c exporttest.Case, a, b exporttest.Outcome) bool {
	if passes(a.Omit) != passes(b.Omit) || passes(a.Include) != passes(b.Include) {
		return false
	}
	if c.Method == "OPTIONS" && c.Preflight == nil {
		// A plain OPTIONS: the app answers it itself where crossgate
		// proxy forwards it, so the headers there to read differ.
		return true
	}
	if !slices.Equal(a.ReadOmit, b.ReadOmit) || !slices.Equal(a.ReadInclude, b.ReadInclude) {
		return false
	}
	if c.Preflight != nil {
		return a.MaxAge == b.MaxAge
	}
	// The status is the page's to read only when the check passes.
	if !passes(a.Omit) && !passes(a.Include) {
		return true
	}
	return a.Status == b.Status
}
