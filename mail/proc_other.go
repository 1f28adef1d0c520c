//go:build !unix

package mail

// processAlive cannot tell on this system: assume alive, and let the lease
// run out.
func processAlive(int) bool { return true }
