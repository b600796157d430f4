package exporttest

import (
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
)

func TestAllowanceAcceptsOnlyItsFinding(t *testing.T) {
	a := Allowance{Name: "test", Limit: "x", Class: audit.VaryOriginPartial, Kind: audit.Simple, MaxSeverity: audit.Low}
	for _, tc := range []struct {
		name string
		fd   audit.Finding
		want bool
	}{
		{"its class, kind and severity", audit.Finding{Class: audit.VaryOriginPartial, Kind: audit.Simple, Severity: audit.Low}, true},
		{"below its severity", audit.Finding{Class: audit.VaryOriginPartial, Kind: audit.Simple, Severity: audit.Info}, true},
		{"above its severity", audit.Finding{Class: audit.VaryOriginPartial, Kind: audit.Simple, Severity: audit.Medium}, false},
		{"another kind", audit.Finding{Class: audit.VaryOriginPartial, Kind: audit.NoOrigin, Severity: audit.Low}, false},
		{"another class", audit.Finding{Class: audit.OriginReflected, Kind: audit.Simple, Severity: audit.Low}, false},
	} {
		if got := a.accepts(tc.fd); got != tc.want {
			t.Errorf("%s: accepts = %v, want %v", tc.name, got, tc.want)
		}
	}
}
