//go:build unix

package dashboard

import (
	"syscall"
	"time"
)

// cpuTime returns the processor time this process has used, user and
// system, and whether the platform reports it.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
