//go:build unix

package doctor

import "syscall"

// writable asks the kernel whether this process may write to path.
func writable(path string) error {
	const wOK = 0x2 // W_OK
	return syscall.Access(path, wOK)
}
