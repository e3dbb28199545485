package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
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
func TestParallelRunsEachPartOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var wg sync.WaitGroup
	var bad atomic.Int32
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				parts := 1 + (i*7+g)%5
				c := &countingTask{runs: make([]atomic.Int32, parts)}
				parallel(c, parts)
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
		t.Errorf("%d parts did not run exactly once", n)
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
