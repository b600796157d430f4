//go:build !unix

package check

import "os/exec"

// browserGroup leaves the browser's processes to chromedp where there are
// no process groups.
type browserGroup struct{}

func (*browserGroup) modify(*exec.Cmd) {}
func (*browserGroup) stop()            {}
