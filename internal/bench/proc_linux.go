package bench

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the server if the generator dies first, so a
// crashed run leaves no server behind.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
