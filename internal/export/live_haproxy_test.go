package export_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// startHAProxy runs the exported haproxy.cfg as it is, in the foreground
// (haproxy -db -f FILE).
func startHAProxy(t *testing.T, pl *export.Plan, conf string) {
	bin := exporttest.Binary(t, "haproxy", "haproxy")
	if out, err := exec.Command(bin, "-c", "-f", conf).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	exporttest.Process(t, exec.Command(bin, "-db", "-f", conf), filepath.Join(t.TempDir(), "haproxy.log"))
	exporttest.WaitListening(t, pl.Listen)
}

func TestLiveHAProxy(t *testing.T) { runLive(t, "haproxy", startHAProxy) }
