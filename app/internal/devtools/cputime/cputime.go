// Package cputime reads the process's CPU time, for benchmarks on a shared machine: wall time
// per operation there measures the other processes as much as the code, CPU time much less.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Now returns the CPU time (user + system) the process has used so far, all threads.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report adds a "cpu-ns/op" metric: the process CPU time since start over n operations.
func Report(b *testing.B, start time.Duration, n int) {
	if n > 0 {
		b.ReportMetric(float64(Now()-start)/float64(n), "cpu-ns/op")
	}
}
