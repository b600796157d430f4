package export_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// startApache runs httpd in the foreground on the export, with a main
// configuration of its own (modules, pid, logs, runtime directory under
// the test's temporary directory).
func startApache(t *testing.T, pl *export.Plan, conf string) {
	bin := exporttest.Binary(t, "apache2", "apache2")
	dir := t.TempDir()
	modules := "/usr/lib/apache2/modules"
	var load string
	for _, m := range []string{"mpm_event", "authz_core", "headers", "rewrite", "setenvif", "proxy", "proxy_http"} {
		load += fmt.Sprintf("LoadModule %s_module %s/mod_%s.so\n", m, modules, m)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "User nobody\nGroup nogroup\n"
	}
	main := filepath.Join(dir, "httpd.conf")
	src := fmt.Sprintf(`ServerRoot %s
%sServerName localhost
%sPidFile %s
DefaultRuntimeDir %s
Mutex file:%s default
ErrorLog %s
LogLevel warn
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
Include %s
`, dir, load, user, filepath.Join(dir, "httpd.pid"), dir, dir, filepath.Join(dir, "error.log"), conf)
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-f", main).CombinedOutput(); err != nil {
		t.Fatalf("apache2 -t: %v\n%s", err, out)
	}
	exporttest.Process(t, exec.Command(bin, "-f", main, "-DFOREGROUND"), filepath.Join(dir, "stderr.log"))
	exporttest.WaitListening(t, pl.Listen)
}

// mod_proxy forwards the path decoded and re-encoded where it must be:
// reserved characters such as + arrive decoded (%2B as +), which the
// upstream may read as the same path or not; the comparison decodes both.
func TestLiveApache(t *testing.T) {
	runLiveOpts(t, "apache", startApache, exporttest.Options{Approximate: true, DecodedPath: true})
}
