//go:build unix

package server

import "syscall"

// fdLimit is the process's limit of open files (the soft RLIMIT_NOFILE,
// which the Go runtime raises to the hard limit at start).
func fdLimit() (uint64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	return r.Cur, true
}
