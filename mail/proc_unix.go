//go:build unix

package mail

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with that id runs on this machine.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
