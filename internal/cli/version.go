package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// version and revision may be set at link time, for builds that carry no
// module version or VCS information (a container build from a source tree
// without .git):
//
//	go build -ldflags "-X github.com/crossgate/crossgate/internal/cli.version=v1.2.3 -X github.com/crossgate/crossgate/internal/cli.revision=abc123"
//
// When they are empty, the build information of the binary tells them.
var version, revision string

// BuildVersion is what `crossgate version` reports.
type BuildVersion struct {
	Version  string // the module version: "v1.2.3", or "(devel)" for a build from a source tree
	Revision string // the VCS revision, "" when unknown
	Time     string // the revision's commit time (RFC 3339), "" when unknown
	Modified bool   // the source tree had uncommitted changes
	Go       string // the Go version that built the binary
}

// String returns "v1.2.3 (revision abc123def456, 2026-01-02T15:04:05Z, modified) go1.26.0",
// leaving out what is unknown.
func (v BuildVersion) String() string {
	var extra []string
	if v.Revision != "" {
		r := v.Revision
		if len(r) > 12 {
			r = r[:12]
		}
		extra = append(extra, "revision "+r)
	}
	if v.Time != "" {
		extra = append(extra, v.Time)
	}
	if v.Modified {
		extra = append(extra, "modified")
	}
	s := v.Version
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s + " " + v.Go
}

// readVersion returns the version of the running binary.
func readVersion() BuildVersion {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi, version, revision)
}

// versionOf derives the version from the build information (nil when the
// binary has none) and the link-time values, which win when set.
func versionOf(bi *debug.BuildInfo, linkVersion, linkRevision string) BuildVersion {
	v := BuildVersion{Version: "(devel)", Go: runtime.Version()}
	if bi != nil {
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if linkVersion != "" {
		v.Version = linkVersion
	}
	if linkRevision != "" {
		v.Revision, v.Time, v.Modified = linkRevision, "", false
	}
	return v
}

func newCmdVersion(ios cmdutil.IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print crossgate's version and VCS revision",
		Long: `Print crossgate's version: the module version ("(devel)" for a build from
a source tree), the VCS revision and its time when the build recorded them,
and the Go version. "crossgate --version" prints the same.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.Usagef("version takes no arguments, got %q", args)
			}
			return nil
		},
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(ios.Out, "crossgate %s\n", readVersion())
			return nil
		},
	}
}
