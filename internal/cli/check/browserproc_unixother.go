//go:build unix && !linux

package check

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
