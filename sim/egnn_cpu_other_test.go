//go:build !linux

package sim

import "time"

// egnnCPUTime reports that process CPU time is not available here.
func egnnCPUTime() (time.Duration, bool) { return 0, false }
