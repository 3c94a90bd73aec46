//go:build unix

package targets

import "syscall"

// cpuSeconds returns the process's user + system CPU time, so that the
// benchmarks can report speed per CPU second on a shared, loaded machine
// where wall-clock rates mostly measure the competition.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) * 1e-9
}
