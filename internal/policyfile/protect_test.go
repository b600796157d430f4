package policyfile_test

import (
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// The keys of issue 12 run through TestParse with the others.
func init() {
	parseCases = append(parseCases, []parseCase{
		{
			desc: "protect_writes and websocket_allow_no_origin",
			src: lines(
				"policies:",
				"  - name: app",
				"    allow_origins: [https://app.example.com]",
				"    protect_writes: true",
				"    websocket_allow_no_origin: false",
			),
		}, {
			desc: "protect_writes under a wildcard protects nothing",
			src: lines(
				"policies:",
				"  - name: public",
				`    allow_origins: ["*"]`,
				"    protect_writes: true",
				"    websocket_allow_no_origin: yes",
			),
			want: []string{
				`p.yaml:4:5: warning: policies[0].protect_writes: cors: ineffective value "true": allow_origins is "*": every origin is trusted, so protect_writes refuses nothing`,
				`p.yaml:5:32: policies[0].websocket_allow_no_origin: want a boolean (true or false), got string "yes"`,
			},
		},
	}...)
}

func TestProtectKeys(t *testing.T) {
	f, err := policyfile.Parse("p.yaml", []byte(lines(
		"policies:",
		"  - name: app",
		"    allow_origins: [https://app.example.com]",
		"    protect_writes: true",
		"    websocket_allow_no_origin: true",
		"  - name: other",
		"    match: {paths: [/x]}",
		"    allow_origins: [https://app.example.com]",
	)))
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Policies[0].Middleware.Config(); !c.ProtectWrites || !c.WebSocketAllowNoOrigin {
		t.Errorf("policy app: ProtectWrites %v, WebSocketAllowNoOrigin %v; want both", c.ProtectWrites, c.WebSocketAllowNoOrigin)
	}
	if c := f.Policies[1].Config; c.ProtectWrites || c.WebSocketAllowNoOrigin {
		t.Errorf("policy other: both keys default to false, got %v, %v", c.ProtectWrites, c.WebSocketAllowNoOrigin)
	}
}
