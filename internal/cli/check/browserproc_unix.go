//go:build unix

package check

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// browserGroup runs Chromium in a process group of its own, so that every
// process it starts (zygote, renderers, network service) is stopped with
// it: killing the browser alone left its children writing into the
// profile after it was removed.
type browserGroup struct {
	mu   sync.Mutex
	cmds []*exec.Cmd // the browsers started: one
}

// modify is chromedp.ModifyCmdFunc's function: the browser leads a new
// process group, and dies with this process (Linux's Pdeathsig).
func (g *browserGroup) modify(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setPdeathsig(cmd.SysProcAttr)
	// chromedp starts cmd right after; its pid, the group's id, is read
	// in stop.
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cmds = append(g.cmds, cmd)
}

// stop kills every process of the group and waits, at most a few
// seconds, until none is left.
func (g *browserGroup) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, cmd := range g.cmds {
		if cmd.Process == nil {
			continue
		}
		pgid := cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
				break
			}
		}
	}
}
