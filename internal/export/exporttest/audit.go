package exporttest

import (
	"context"
	"net"

	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// AuditURLs returns a URL per policy of pl, at a host and path that policy
// answers, with port as the port.
func AuditURLs(pl *export.Plan, port string) []string {
	var urls []string
	for _, p := range pl.Policies {
		if host, path, _, ok := probeFor(pl, p); ok {
			urls = append(urls, "http://"+net.JoinHostPort(host, port)+path)
		}
	}
	return urls
}

// Audit runs crossgate audit --policy f on urls, every connection going to
// addr (127.0.0.1:PORT) whatever the URL's host, and returns the findings.
func Audit(t *testing.T, f *policyfile.File, addr string, urls []string) []audit.Finding {
	t.Helper()
	var targets []*audit.Target
	for _, u := range urls {
		tg, err := audit.ParseTarget(u)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tg)
	}
	tr := audit.DefaultTransport()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	defer tr.CloseIdleConnections()
	rep, err := audit.Run(context.Background(), targets, audit.Options{Transport: tr, Policy: f, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("audit: %v", err)
	}
	if rep.Requests() < len(targets) {
		t.Fatalf("audit sent %d requests for %d targets", rep.Requests(), len(targets))
	}
	return rep.Findings
}

// AuditExport runs crossgate audit --policy against the export of res and
// against crossgate's gateway on the same file. The export must have no
// finding the gateway does not have; what both have (a policy that keeps
// the upstream's own CORS headers, say) is logged. For the bundled
// examples the gateway has none, so neither may the export.
func AuditExport(t *testing.T, file string, res *Result) {
	t.Helper()
	f, err := policyfile.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(res.Plan.Listen)
	_, gport, _ := net.SplitHostPort(res.GatewayAddr)
	AuditCompare(t, f, Audited{res.Plan.Listen, AuditURLs(res.Plan, port)}, Audited{res.GatewayAddr, AuditURLs(res.Plan, gport)}, nil)
}
