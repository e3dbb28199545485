package kernels

import (
	"sync"
	"sync/atomic"
	"time"
)

// The pool shares work differently when other processes compete for the
// processors. On a quiet machine each of the runtime.GOMAXPROCS(0)
// threads stays on its processor, so a product is cut into one part per
// thread and the threads spin between tasks. When the processors are
// oversubscribed the operating system deschedules threads for whole time
// slices (milliseconds): a spinning thread then only keeps a runnable one
// (often its own process's) off the processor, and the parts of a
// descheduled thread hold up everyone waiting for them. The detector below
// watches how long the process's threads wait on the run queues of the
// operating system (Linux's /proc schedstat). While that share of their
// time is high (contended), products and long passes are cut into more
// parts than threads, claimed as threads come free, and waiting threads
// park after a short spin so that the processors go to whoever has work.
// While it is so high that a thread waits for a processor most of its time
// (crowded), sharing work costs more in waiting for descheduled threads than
// a second thread gains, and the calling goroutine does all of it.
//
// GOMAXPROCS already respects the process's CPU affinity and, since Go
// 1.25, a container's CPU quota (cgroup cpu.max); the pool never runs more
// threads than it.

const (
	// sampleEvery is the least time between two readings of a thread's
	// scheduler statistics (a few microseconds each).
	sampleEvery = 5 * time.Millisecond
	// window is the thread time (running plus waiting to run) summed
	// before the detector decides.
	window = 20 * time.Millisecond
	// contendedOn and contendedOff are the shares of that time spent
	// waiting to run above which a quiet machine counts as contended, and
	// below which it counts as quiet again. A quiet machine shows 0–3 %;
	// one busy process beside two threads on two processors at most a
	// third (each of three runnable threads waits a third of the time).
	contendedOn, contendedOff = 0.10, 0.05
	// crowdedOn and crowdedOff are the shares above which the machine
	// counts as crowded, and below which a crowded machine counts as
	// contended again.
	crowdedOn, crowdedOff = 0.60, 0.40
)

// The states of the machine the detector tells apart.
const (
	quiet     int32 = iota // the threads have their processors to themselves
	contended              // other work competes: finer parts, short spins
	crowded                // threads mostly wait to run: no sharing
)

// contention is the detector's state.
var contention struct {
	mu      sync.Mutex   // held by the goroutine taking a sample
	next    atomic.Int64 // when the next sample is due, in ns since epoch
	state   atomic.Int32 // quiet, contended or crowded
	forced  atomic.Bool  // state is set by a test, not measured
	threads [8]threadTimes
	slot    int // the entry of threads a new thread replaces
	// run and wait are the window's sums over the sampled threads.
	run, wait int64
}

// threadTimes is a thread's cumulative time on a processor and waiting on
// a run queue, in nanoseconds, when it was last sampled.
type threadTimes struct {
	tid       int
	run, wait int64
}

// epoch is the origin of the detector's monotonic clock.
var epoch = time.Now()

// machine returns the state of the machine (quiet, contended or crowded),
// taking a sample of the calling thread's scheduler statistics when one is
// due.
func machine() int32 {
	now := int64(time.Since(epoch))
	if now >= contention.next.Load() && !contention.forced.Load() && contention.mu.TryLock() {
		contention.next.Store(now + int64(sampleEvery))
		sampleContention()
		contention.mu.Unlock()
	}
	return contention.state.Load()
}

// sampleContention adds the calling thread's time since its last sample to
// the window and decides once the window is full. A thread seen for the
// first time (or again after others took its entry) only gives a baseline.
func sampleContention() {
	tid, run, wait, ok := schedTimes()
	if !ok {
		return
	}
	c := &contention
	i := 0
	for i < len(c.threads) && c.threads[i].tid != tid {
		i++
	}
	if i == len(c.threads) {
		c.threads[c.slot] = threadTimes{tid, run, wait}
		c.slot = (c.slot + 1) % len(c.threads)
		return
	}
	t := &c.threads[i]
	c.run += run - t.run
	c.wait += wait - t.wait
	t.run, t.wait = run, wait
	total := c.run + c.wait
	if total < int64(window) {
		return
	}
	c.state.Store(nextState(c.state.Load(), float64(c.wait)/float64(total)))
	c.run, c.wait = 0, 0
}

// nextState returns the state that follows state when the sampled threads
// spent share of their time waiting to run.
func nextState(state int32, share float64) int32 {
	switch {
	case share > crowdedOn:
		return crowded
	case share < contendedOff:
		return quiet
	case state == crowded && share < crowdedOff, state == quiet && share > contendedOn:
		return contended
	}
	return state
}
