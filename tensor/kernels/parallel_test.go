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
// It does so on a quiet machine and on a contended one, where waiting
// goroutines park after a short spin and the last part's goroutine wakes
// the caller.
func TestParallelRunsEachPartOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, busy := range []bool{false, true} {
		withContention(busy, func() {
			var wg sync.WaitGroup
			var bad atomic.Int32
			for g := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 2000 {
						parts := 1 + (i*7+g)%9
						c := &countingTask{runs: make([]atomic.Int32, parts)}
						parallel(c, parts, busy)
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
				t.Errorf("contended %v: %d parts did not run exactly once", busy, n)
			}
		})
	}
}

// TestParallelWaitsForSlowPart checks that a caller that parks while a
// pool goroutine still runs a long part returns only after that part, on a
// quiet and a contended machine.
func TestParallelWaitsForSlowPart(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, busy := range []bool{false, true} {
		withContention(busy, func() {
			for range 20 {
				var done atomic.Int32
				Parallel(2, func(part int) {
					if part == 1 {
						time.Sleep(500 * time.Microsecond)
					}
					done.Add(1)
				})
				if n := done.Load(); n != 2 {
					t.Fatalf("contended %v: Parallel returned after %d of 2 parts", busy, n)
				}
			}
		})
	}
}

// withContention runs f with the detector's verdict set to busy.
func withContention(busy bool, f func()) {
	defer forceContention(busy)()
	f()
}

// forceContention sets the detector's verdict to busy until the function
// it returns is called.
func forceContention(busy bool) (restore func()) {
	contention.forced.Store(true)
	saved := contention.on.Swap(busy)
	return func() {
		contention.on.Store(saved)
		contention.forced.Store(false)
	}
}

// TestPartsFollowContention checks the part counts Parts gives on a quiet
// and a contended machine.
func TestPartsFollowContention(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, tc := range []struct {
		busy         bool
		units, parts int
	}{{false, 100, 2}, {true, 100, 2 * partsPerThread}, {true, 3, 3}, {false, 0, 1}} {
		withContention(tc.busy, func() {
			if got := Parts(tc.units); got != tc.parts {
				t.Errorf("contended %v: Parts(%d) = %d, want %d", tc.busy, tc.units, got, tc.parts)
			}
		})
	}
}

// TestContentionDetected oversubscribes the processors three times over
// with spinning goroutines and checks that the detector, sampling from one
// of them, calls the machine contended.
func TestContentionDetected(t *testing.T) {
	if _, _, _, ok := schedTimes(); !ok {
		t.Skip("no per-thread scheduler statistics on this system")
	}
	n := 3 * runtime.NumCPU()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	defer contention.on.Store(false)
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
	for !contended() && time.Now().Before(deadline) {
	}
	close(stop)
	wg.Wait()
	if !contention.on.Load() {
		t.Errorf("%d spinning threads on %d processors: not counted as contended", n, runtime.NumCPU())
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
