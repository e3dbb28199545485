package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The pool shares work differently when other processes compete for the
// processors. On a quiet machine each of the runtime.GOMAXPROCS(0)
// threads stays on its processor, so a product is cut into one part per
// thread and the threads spin between tasks. When the processors are
// oversubscribed the operating system deschedules threads for whole time
// slices (milliseconds), and a part held by a descheduled thread holds up
// everyone waiting for it: beside one busy process on two processors,
// sharing a product between two threads is slower than computing it on
// one.
//
// The detector below tells the two apart by the processor time the rest
// of the machine uses (/proc/stat's busy time less this process's own):
// unlike the time this process's threads wait to run, that does not fall
// when the pool stops sharing, so the verdict does not swing back and
// forth with the pool's own choice. While fewer processors are left than
// the pool has threads (contended), every kind of work (a product's shape,
// a pass's function) is timed both shared out, in finer parts with short
// spins, and on the calling goroutine alone, and runs the way that has
// been faster, trying the other again now and then (see choose).
//
// GOMAXPROCS already respects the process's CPU affinity and, since Go
// 1.25, a container's CPU quota (cgroup cpu.max); the pool never runs more
// threads than it.

const (
	// window is the time over which the detector sums processor times
	// before it decides: /proc/stat counts in ticks of 10 ms per
	// processor, so a window of ten ticks.
	window = 100 * time.Millisecond
	// contendedOn and contendedOff are how many processors fewer than the
	// pool's threads may be left by the rest of the machine before a quiet
	// machine counts as contended, and before a contended one counts as
	// quiet again. One busy process beside two threads on two processors
	// leaves 4/3 of a processor while the threads share work, 1 while one
	// thread does it all.
	contendedOn, contendedOff = 0.5, 0.25
)

// The states of the machine the detector tells apart.
const (
	quiet     int32 = iota // the threads have their processors to themselves
	contended              // other work competes: measure sharing against not
)

// contention is the detector's state.
var contention struct {
	mu     sync.Mutex   // held by the goroutine taking a sample
	next   atomic.Int64 // when the next sample is due, in ns since epoch
	state  atomic.Int32 // quiet or contended
	forced atomic.Bool  // state is set by a test, not measured
	// since is when the window began (ns since epoch, 0 before the first
	// sample), and total, idle and own cpuTimes then.
	since, total, idle, own int64
}

// epoch is the origin of the detector's monotonic clock.
var epoch = time.Now()

// now returns the nanoseconds since epoch.
func now() int64 { return int64(time.Since(epoch)) }

// machine returns the state of the machine (quiet or contended), closing
// the detector's window when it is due.
func machine() int32 {
	t := now()
	if t >= contention.next.Load() && !contention.forced.Load() && contention.mu.TryLock() {
		contention.next.Store(t + int64(window))
		sampleContention(t)
		contention.mu.Unlock()
	}
	return contention.state.Load()
}

// sampleContention ends the window at time t (ns since epoch) and starts
// the next.
func sampleContention(t int64) {
	total, idle, own, ok := cpuTimes()
	if !ok {
		return
	}
	c := &contention
	if c.since != 0 && t > c.since {
		elapsed := float64(t - c.since)
		cpus := float64(total-c.total) / elapsed
		others := float64((total-c.total)-(idle-c.idle)-(own-c.own)) / elapsed
		c.state.Store(nextState(c.state.Load(), cpus-others, runtime.GOMAXPROCS(0)))
	}
	c.since, c.total, c.idle, c.own = t, total, idle, own
}

// nextState returns the state that follows state when the rest of the
// machine left free processors to a pool of threads threads.
func nextState(state int32, free float64, threads int) int32 {
	switch short := float64(threads) - free; {
	case short > contendedOn:
		return contended
	case short < contendedOff:
		return quiet
	}
	return state
}

// The ways a piece of work can run on a contended machine.
const (
	alone  = 0 // on the calling goroutine
	shared = 1 // cut into parts that the pool's goroutines claim
)

// choices remembers, for each kind of work seen on a contended machine,
// its recent running times alone and shared.
var choices choiceTable

// choiceTable holds a choice for each of up to 256 kinds of work; a kind
// whose entry another takes over starts afresh.
type choiceTable struct {
	mu    sync.Mutex
	slots [256]choice
}

// choice is what choices keeps for one kind of work: mean[w] is the mean
// running time in ns of way w over its last n[w] ≤ remember runs (older
// ones count less and less), since the number of choices since the slower
// way last ran.
type choice struct {
	key   uint64
	n     [2]int64
	mean  [2]int64
	since int64
}

const (
	// minTries is how many times each way runs before the faster is
	// chosen.
	minTries = 3
	// retryEvery is how often the slower way runs again, in choices, so
	// that a change of load is noticed: at least every retryEvery choices,
	// less often as far as needed to keep the time lost to it under
	// retryCost of the faster way's (a product shared out beside a busy
	// process can take many times longer than alone, when a thread holding
	// a part is descheduled for a time slice).
	retryEvery, retryCost = 16, 0.02
	// remember is the number of recent running times a mean is over: each
	// new time counts 1/remember, the older ones the rest.
	remember = 8
)

// choose returns the way (alone or shared) to run the work named key: each
// way a few times first, then the one with the smaller mean time, the
// other now and then (see retryEvery).
func choose(key uint64) int {
	choices.mu.Lock()
	defer choices.mu.Unlock()
	c := choices.slot(key)
	if c.n[alone] < minTries || c.n[shared] < minTries {
		if c.n[alone] < c.n[shared] {
			return alone
		}
		return shared
	}
	best, other := shared, alone
	if c.mean[alone] < c.mean[shared] {
		best, other = alone, shared
	}
	c.since++
	lost := float64(c.mean[other]-c.mean[best]) / float64(max(1, c.mean[best]))
	if float64(c.since) >= max(retryEvery, lost/retryCost) {
		c.since = 0
		return other
	}
	return best
}

// record adds a running time of ns nanoseconds of the work named key run
// in way way.
func record(key uint64, way int, ns int64) {
	choices.mu.Lock()
	defer choices.mu.Unlock()
	c := choices.slot(key)
	c.n[way] = min(c.n[way]+1, remember)
	c.mean[way] += (ns - c.mean[way]) / c.n[way]
}

// slot returns key's entry, taking it over from another key whose entry
// it shares. t.mu must be held.
func (t *choiceTable) slot(key uint64) *choice {
	c := &t.slots[key*0x9e3779b97f4a7c15>>56]
	if c.key != key {
		*c = choice{key: key}
	}
	return c
}
