package export_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// startCaddy runs the export as it is: caddy run --config FILE, with the
// Caddyfile adapter for the caddy format. HOME and XDG dirs point to the
// test's temporary directory, where Caddy keeps its state.
func startCaddy(adapter string) exporttest.StartFunc {
	return func(t *testing.T, pl *export.Plan, conf string) {
		bin := exporttest.Binary(t, "caddy", "caddy")
		dir := t.TempDir()
		env := []string{"HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "PATH=/usr/bin:/bin"}
		args := []string{"--config", conf}
		if adapter != "" {
			args = append(args, "--adapter", adapter)
		}
		val := exec.Command(bin, append([]string{"validate"}, args...)...)
		val.Env = env
		if out, err := val.CombinedOutput(); err != nil {
			t.Fatalf("caddy validate: %v\n%s", err, out)
		}
		cmd := exec.Command(bin, append([]string{"run"}, args...)...)
		cmd.Env = env
		exporttest.Process(t, cmd, filepath.Join(dir, "caddy.log"))
		exporttest.WaitListening(t, pl.Listen)
	}
}

func TestLiveCaddy(t *testing.T)     { runLive(t, "caddy", startCaddy("caddyfile")) }
func TestLiveCaddyJSON(t *testing.T) { runLive(t, "caddy-json", startCaddy("")) }
