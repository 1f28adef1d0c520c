//go:build !unix

package doctor

// writable cannot be asked here; the bounce reader will say so when it
// fails to move a message.
func writable(string) error { return nil }
