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
// operating system (Linux's /proc schedstat); while that share of their
// time is high, products and long passes are cut into more parts than
// threads, claimed as threads come free, and waiting threads park after a
// short spin so that the processors go to whoever has work.
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
	// waiting to run above which the machine counts as contended, and
	// below which it counts as quiet again. A quiet machine shows 0–3 %;
	// one busy process beside two threads on two processors about 30 %.
	contendedOn, contendedOff = 0.10, 0.05
)

// contention is the detector's state.
var contention struct {
	mu      sync.Mutex   // held by the goroutine taking a sample
	next    atomic.Int64 // when the next sample is due, in ns since epoch
	on      atomic.Bool  // the machine is contended
	forced  atomic.Bool  // on is set by a test, not measured
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

// contended reports whether other work competes with the process's threads
// for the processors, taking a sample of the calling thread's scheduler
// statistics when one is due.
func contended() bool {
	now := int64(time.Since(epoch))
	if now >= contention.next.Load() && !contention.forced.Load() && contention.mu.TryLock() {
		contention.next.Store(now + int64(sampleEvery))
		sampleContention()
		contention.mu.Unlock()
	}
	return contention.on.Load()
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
	share := float64(c.wait) / float64(total)
	switch {
	case share > contendedOn:
		c.on.Store(true)
	case share < contendedOff:
		c.on.Store(false)
	}
	c.run, c.wait = 0, 0
}
