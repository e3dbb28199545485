package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingTask records how often each of its parts runs.
type countingTask struct {
	runs []atomic.Int32
}

func (c *countingTask) do(part int) { c.runs[part].Add(1) }

// TestParallelRunsEachPartOnce runs tasks of varying part counts from
// several goroutines at once, back to back so that pool goroutines still
// holding an old task meet new ones, and checks that every part of every
// task ran exactly once.
// It does so on a quiet machine, on a contended one, where waiting
// goroutines park after a short spin and the last part's goroutine wakes
// the caller, and on a crowded one, where the caller runs every part.
func TestParallelRunsEachPartOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, state := range []int32{quiet, contended, crowded} {
		withContention(state, func() {
			var wg sync.WaitGroup
			var bad atomic.Int32
			for g := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 2000 {
						parts := 1 + (i*7+g)%9
						c := &countingTask{runs: make([]atomic.Int32, parts)}
						parallel(c, parts, state)
						for p := range c.runs {
							if c.runs[p].Load() != 1 {
								bad.Add(1)
							}
						}
					}
				}()
			}
			wg.Wait()
			if n := bad.Load(); n != 0 {
				t.Errorf("state %d: %d parts did not run exactly once", state, n)
			}
		})
	}
}

// TestParallelWaitsForSlowPart checks that a caller that parks while a
// pool goroutine still runs a long part returns only after that part, on a
// quiet and a contended machine.
func TestParallelWaitsForSlowPart(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, state := range []int32{quiet, contended} {
		withContention(state, func() {
			for range 20 {
				var done atomic.Int32
				Parallel(2, func(part int) {
					if part == 1 {
						time.Sleep(500 * time.Microsecond)
					}
					done.Add(1)
				})
				if n := done.Load(); n != 2 {
					t.Fatalf("state %d: Parallel returned after %d of 2 parts", state, n)
				}
			}
		})
	}
}

// withContention runs f with the detector's verdict set to state.
func withContention(state int32, f func()) {
	defer forceContention(state)()
	f()
}

// forceContention sets the detector's verdict to state until the function
// it returns is called.
func forceContention(state int32) (restore func()) {
	contention.forced.Store(true)
	saved := contention.state.Swap(state)
	return func() {
		contention.state.Store(saved)
		contention.forced.Store(false)
	}
}

// TestPartsFollowContention checks the part counts Parts gives on a quiet
// and a contended machine.
func TestPartsFollowContention(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, tc := range []struct {
		state        int32
		units, parts int
	}{{quiet, 100, 2}, {contended, 100, 2 * partsPerThread}, {contended, 3, 3}, {crowded, 100, 1}, {quiet, 0, 1}} {
		withContention(tc.state, func() {
			if got := Parts(tc.units); got != tc.parts {
				t.Errorf("state %d: Parts(%d) = %d, want %d", tc.state, tc.units, got, tc.parts)
			}
		})
	}
}

// TestNextState walks the detector's states through the shares of time
// spent waiting to run, with their hysteresis.
func TestNextState(t *testing.T) {
	for _, tc := range []struct {
		state int32
		share float64
		want  int32
	}{
		{quiet, 0.01, quiet}, {quiet, 0.07, quiet}, {quiet, 0.3, contended}, {quiet, 0.7, crowded},
		{contended, 0.07, contended}, {contended, 0.02, quiet}, {contended, 0.5, contended}, {contended, 0.7, crowded},
		{crowded, 0.5, crowded}, {crowded, 0.3, contended}, {crowded, 0.07, contended}, {crowded, 0.01, quiet},
	} {
		if got := nextState(tc.state, tc.share); got != tc.want {
			t.Errorf("nextState(%d, %g) = %d, want %d", tc.state, tc.share, got, tc.want)
		}
	}
}

// TestContentionDetected oversubscribes the processors three times over
// with spinning goroutines and checks that the detector, sampling from one
// of them, no longer calls the machine quiet.
func TestContentionDetected(t *testing.T) {
	if _, _, _, ok := schedTimes(); !ok {
		t.Skip("no per-thread scheduler statistics on this system")
	}
	n := 3 * runtime.NumCPU()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	defer contention.state.Store(quiet)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range n - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := 1.0; ; x = x*1.0000001 + 1e-9 {
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for machine() == quiet && time.Now().Before(deadline) {
	}
	close(stop)
	wg.Wait()
	if contention.state.Load() == quiet {
		t.Errorf("%d spinning threads on %d processors: counted as quiet", n, runtime.NumCPU())
	}
}

// TestParallelFunc checks that Parallel runs every part of a function
// exactly once, for part counts below, at and above the thread count.
func TestParallelFunc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, parts := range []int{0, 1, 2, 3, 17} {
		runs := make([]atomic.Int32, parts)
		Parallel(parts, func(part int) { runs[part].Add(1) })
		for p := range runs {
			if n := runs[p].Load(); n != 1 {
				t.Errorf("%d parts: part %d ran %d times", parts, p, n)
			}
		}
	}
}
