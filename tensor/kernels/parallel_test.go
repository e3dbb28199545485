package kernels

import (
	"io"
	"os"
	"os/exec"
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
	for _, state := range []int32{quiet, contended} {
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

// forceContention sets the detector's verdict to state, with no choice
// between sharing work and not made yet, until the function it returns is
// called.
func forceContention(state int32) (restore func()) {
	contention.forced.Store(true)
	saved := contention.state.Swap(state)
	forgetChoices()
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
	}{{quiet, 100, 2}, {contended, 100, 2 * partsPerThread}, {contended, 3, 3}, {quiet, 0, 1}} {
		withContention(tc.state, func() {
			if got := Parts(tc.units); got != tc.parts {
				t.Errorf("state %d: Parts(%d) = %d, want %d", tc.state, tc.units, got, tc.parts)
			}
		})
	}
}

// forgetChoices clears every choice between sharing work and not.
func forgetChoices() {
	choices.mu.Lock()
	choices.slots = [len(choices.slots)]choice{}
	choices.mu.Unlock()
}

// TestNextState walks the detector's states through the processors the
// rest of the machine leaves free, with their hysteresis.
func TestNextState(t *testing.T) {
	for _, tc := range []struct {
		state   int32
		free    float64
		threads int
		want    int32
	}{
		{quiet, 2, 2, quiet}, {quiet, 1.7, 2, quiet}, {quiet, 4.0 / 3, 2, contended}, {quiet, 1, 2, contended},
		{contended, 1, 2, contended}, {contended, 1.6, 2, contended}, {contended, 1.9, 2, quiet},
		{quiet, 10, 2, quiet}, {quiet, 3, 4, contended}, {contended, 3.9, 4, quiet}, {quiet, 0.9, 1, quiet},
	} {
		if got := nextState(tc.state, tc.free, tc.threads); got != tc.want {
			t.Errorf("nextState(%d, %g free, %d threads) = %d, want %d", tc.state, tc.free, tc.threads, got, tc.want)
		}
	}
}

// TestChoose feeds choose running times: each way is tried minTries times,
// then the faster runs and the slower every retryEvery choices, or less
// often the more time it loses, and the choice turns when the times do.
func TestChoose(t *testing.T) {
	defer forgetChoices()
	forgetChoices()
	const key = 12345
	var times [2]int64
	run := func(calls int) (runs [2]int) {
		for range calls {
			way := choose(key)
			runs[way]++
			record(key, way, times[way])
		}
		return runs
	}
	times = [2]int64{alone: 100, shared: 105}
	if runs := run(2 * minTries); runs != [2]int{minTries, minTries} {
		t.Fatalf("first %d choices: %v alone and shared, want %d each", 2*minTries, runs, minTries)
	}
	if runs := run(10 * retryEvery); runs[shared] != 10 {
		t.Errorf("shared 5%% slower: ran %v times alone and shared in %d choices, want shared every %d", runs, 10*retryEvery, retryEvery)
	}
	forgetChoices()
	times = [2]int64{alone: 100, shared: 1000}
	run(2 * minTries)
	// Shared loses 9 times alone's time: retried every 9/retryCost choices.
	every := int(9 / retryCost)
	if runs := run(2 * every); runs[shared] != 2 {
		t.Errorf("shared 10× slower: ran %v times alone and shared in %d choices, want shared every %d", runs, 2*every, every)
	}
	times = [2]int64{alone: 1000, shared: 100}
	if runs := run(10 * retryEvery); runs[alone] > 2*retryEvery {
		t.Errorf("alone now 10× slower: ran %v times alone and shared in %d choices, want the choice turned within %d", runs, 10*retryEvery, 2*retryEvery)
	}
	if way := choose(key + 1); way != shared {
		t.Errorf("a new kind of work first runs way %d, want shared (%d)", way, shared)
	}
}

// TestContentionDetected starts as many busy processes (this test binary,
// running busyHelper) as the machine has processors and checks that the
// detector no longer calls the machine quiet.
func TestContentionDetected(t *testing.T) {
	if _, _, _, ok := cpuTimes(); !ok {
		t.Skip("no processor times on this system")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	defer contention.state.Store(quiet)
	var procs []*exec.Cmd
	for range runtime.NumCPU() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBusyHelper$")
		cmd.Env = append(os.Environ(), "KERNELS_BUSY_HELPER=1")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		defer stdin.Close()
		procs = append(procs, cmd)
	}
	deadline := time.Now().Add(5 * time.Second)
	for machine() == quiet && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if contention.state.Load() == quiet {
		t.Errorf("%d busy processes on %d processors: counted as quiet", len(procs), runtime.NumCPU())
	}
}

// TestBusyHelper is the busy process of TestContentionDetected: it spins
// until its standard input closes. It does nothing in a normal test run.
func TestBusyHelper(t *testing.T) {
	if os.Getenv("KERNELS_BUSY_HELPER") != "1" {
		return
	}
	var done atomic.Bool
	go func() {
		io.Copy(io.Discard, os.Stdin)
		done.Store(true)
	}()
	x := 1.0
	for !done.Load() {
		for range 1 << 16 {
			x = x*1.0000001 + 1e-9
		}
	}
	sink = x
}

// TestParallelFunc checks that Parallel runs every part of a function
// exactly once, for part counts below, at and above the thread count, on
// a quiet machine and on a contended one, where it runs the parts shared
// out and alone in turn.
func TestParallelFunc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, state := range []int32{quiet, contended} {
		withContention(state, func() {
			for _, parts := range []int{0, 1, 2, 3, 17} {
				for range 2 * minTries {
					runs := make([]atomic.Int32, parts)
					Parallel(parts, func(part int) { runs[part].Add(1) })
					for p := range runs {
						if n := runs[p].Load(); n != 1 {
							t.Errorf("state %d, %d parts: part %d ran %d times", state, parts, p, n)
						}
					}
				}
			}
		})
	}
}
