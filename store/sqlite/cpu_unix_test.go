//go:build unix

package sqlite

import "syscall"

// processCPU returns the process's CPU time (user + system) in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
