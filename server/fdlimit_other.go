//go:build !unix

package server

// fdLimit is unknown on this system.
func fdLimit() (uint64, bool) { return 0, false }
