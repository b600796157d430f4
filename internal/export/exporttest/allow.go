package exporttest

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// Audited is a server to audit: the 127.0.0.1:PORT every connection goes
// to, and the URLs to audit there.
type Audited struct {
	Addr string
	URLs []string
}

// Allowance accepts one kind of audit finding on an export, and only it,
// as the consequence of an approximation the target declares: it applies
// only when [export.Check] reports, for the plan, an approximate
// difference whose Limit contains Limit (the Cap's note), and only to
// findings of Class, of Kind, at most MaxSeverity. Anything else the audit
// finds on the export and not on crossgate proxy still fails the test.
type Allowance struct {
	Name        string // what is accepted, for the log
	Limit       string // a substring of the Difference's Limit it follows from
	Class       audit.Class
	Kind        audit.Kind
	MaxSeverity audit.Severity
}

// Allowances returns those of allow that follow from a difference of pl
// on tg, and fails t for one that names no such difference (an allowance
// for an approximation the target no longer has, or the plan does not
// use, is a mistake in the test).
func Allowances(t *testing.T, tg *export.Target, pl *export.Plan, allow []Allowance) []Allowance {
	t.Helper()
	diffs := export.Check(pl, tg.Caps)
	var out []Allowance
	for _, a := range allow {
		if !slices.ContainsFunc(diffs, func(d export.Difference) bool {
			return d.Level == export.Approximate && strings.Contains(d.Limit, a.Limit)
		}) {
			t.Fatalf("allowance %q: %s reports no approximation %q for this policy file (differences: %v)", a.Name, tg.Name, a.Limit, diffs)
		}
		out = append(out, a)
	}
	return out
}

func (a Allowance) accepts(fd audit.Finding) bool {
	return fd.Class == a.Class && fd.Kind == a.Kind && fd.Severity <= a.MaxSeverity
}

// AuditCompare runs crossgate audit --policy f against the export ex and
// crossgate's gateway gw on the same file, and fails t for every finding
// on the export that the gateway does not have (compared by URL less its
// port, class, kind and probe origin) and that no allowance of allow
// accepts. Findings both have, and the allowed ones, are logged.
func AuditCompare(t *testing.T, f *policyfile.File, ex, gw Audited, allow []Allowance) {
	t.Helper()
	_, port, _ := net.SplitHostPort(ex.Addr)
	_, gport, _ := net.SplitHostPort(gw.Addr)
	key := func(fd audit.Finding, port string) string {
		u := fd.URL
		if pu, err := url.Parse(u); err == nil {
			pu.Host = pu.Hostname()
			u = pu.String()
		}
		return u + " " + fd.Class.String() + " " + fd.Kind.String() + " " + strings.ReplaceAll(fd.ProbeOrigin, ":"+port, ":PORT")
	}
	seen := map[string]bool{}
	for _, fd := range Audit(t, f, gw.Addr, gw.URLs) {
		seen[key(fd, gport)] = true
	}
	for _, fd := range Audit(t, f, ex.Addr, ex.URLs) {
		line := fd.URL + " " + fd.Class.String() + " " + fd.Kind.String() + " (" + fd.Severity.String() + ", origin " + fd.ProbeOrigin + ", read " + fd.Read.String() + "): " + fd.Detail
		if seen[key(fd, port)] {
			t.Logf("audit --policy finds on the export and on crossgate proxy alike: %s", line)
			continue
		}
		if i := slices.IndexFunc(allow, func(a Allowance) bool { return a.accepts(fd) }); i >= 0 {
			t.Logf("audit --policy: allowed (%s): %s", allow[i].Name, line)
			continue
		}
		t.Errorf("audit --policy: %s%s", line, evidence(fd))
	}
}

// evidence is fd's exchanges in short: the request's method and CORS
// headers, the response's status and CORS headers and Vary.
func evidence(fd audit.Finding) string {
	var b strings.Builder
	cors := func(h http.Header) string {
		var out []string
		for k, vs := range h {
			if k == "Origin" || k == "Vary" || strings.HasPrefix(k, "Access-Control-") {
				out = append(out, k+": "+strings.Join(vs, ", "))
			}
		}
		slices.Sort(out)
		return strings.Join(out, "; ")
	}
	for _, x := range fd.Evidence {
		fmt.Fprintf(&b, "\n    > %s %s [%s]", x.Request.Method, x.Request.URL, cors(x.Request.Header))
		if x.Response != nil {
			fmt.Fprintf(&b, "\n    < %d [%s]", x.Response.Status, cors(x.Response.Header))
		} else {
			fmt.Fprintf(&b, "\n    < %s", x.Error)
		}
	}
	return b.String()
}
