//go:build !linux

package bench

import "os/exec"

// setParentDeathSignal is Linux only; elsewhere a crashed run may leave its
// server running.
func setParentDeathSignal(*exec.Cmd) {}
