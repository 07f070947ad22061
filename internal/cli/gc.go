package cli

import (
	"os"
	"runtime/debug"
)

// The garbage collector's settings for secrets serve, unless the
// environment's GOGC or GOMEMLIMIT sets them. A server's live heap is a
// few megabytes, so at Go's default (GOGC=100) it collects every few
// thousand requests and spends a quarter of its CPU there; at 400 it
// collects a fifth as often. The soft limit keeps the heap bounded when
// many connections are open at once: the collector then runs before the
// heap passes it, whatever GOGC says. See docs/BENCHMARKS-SERVE.md.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 256 << 20
)

// tuneGC applies serve's collector settings where the environment leaves
// them unset.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
