package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/crossgate/crossgate", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T09:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	installed := &debug.BuildInfo{GoVersion: "go1.25.4", Main: debug.Module{Version: "v1.2.3"}}
	for _, tt := range []struct {
		name     string
		bi       *debug.BuildInfo
		ver, rev string
		want     string
	}{
		{name: "source tree", bi: vcs, want: "(devel) (revision 0123456789ab, 2026-12-01T09:00:00Z, modified) go1.26.0"},
		{name: "go install", bi: installed, want: "v1.2.3 go1.25.4"},
		{name: "linker flags", bi: installed, ver: "v9.9.9", rev: "feedbeef", want: "v9.9.9 (revision feedbeef) go1.25.4"},
		{name: "linker flags win over VCS", bi: vcs, rev: "feedbeef", want: "(devel) (revision feedbeef) go1.26.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.bi, tt.ver, tt.rev).String(); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
	if got := versionOf(nil, "", ""); got.Version != "(devel)" || got.Go == "" {
		t.Errorf("no build info: got %+v; want (devel) and the running Go version", got)
	}
}
