//go:build !unix

package dashboard

import "time"

// cpuTime reports that this platform does not give the process's
// processor time.
func cpuTime() (time.Duration, bool) { return 0, false }
