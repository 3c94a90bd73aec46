package sim

import (
	"syscall"
	"time"
)

// egnnCPUTime returns the CPU time (user + system) used by the process so
// far, which a benchmark can divide by to measure throughput per busy core
// independently of other processes competing for the cores.
func egnnCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
