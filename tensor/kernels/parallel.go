package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// minParallelWork is the number of multiply-adds (m·n·k) below which a
// product runs on the calling goroutine. Handing a part to a spinning pool
// goroutine costs well under a microsecond, but every part packs its own
// panels of A and B, so a product is only split once each part has about
// 10 µs of work with the AVX-512 kernel.
const minParallelWork = 1 << 20

// minPartWork is the least work (m·n·k) of a part when a product is cut
// into more parts than threads on a contended machine: about 5 µs with the
// AVX-512 kernel, so that claiming a part and packing its panels stay
// small beside it.
const minPartWork = 1 << 18

// partsPerThread is how many parts per thread a product or pass is cut
// into on a contended machine: when the operating system deschedules a
// thread, the others take all but the part it holds.
const partsPerThread = 4

// run computes p with kernel ker on up to runtime.GOMAXPROCS(0)
// goroutines. On a contended machine it runs p's shape on the calling
// goroutine alone or shared out, whichever has been faster (see choose).
// It splits C along one dimension into parts aligned to ker's micro-tiles;
// each part is an independent product with its own pack buffers, so the
// arithmetic for every element of C is the same for any number of parts.
func (p *gemmProblem) run(ker *microKernel) {
	workers := runtime.GOMAXPROCS(0)
	work := p.m * p.n * p.k
	if workers == 1 || work < minParallelWork {
		p.alone(ker)
		return
	}
	if machine() == quiet {
		p.share(ker, workers, quiet)
		return
	}
	key := p.key()
	way := choose(key)
	start := now()
	if way == alone {
		p.alone(ker)
	} else {
		p.share(ker, min(workers*partsPerThread, max(workers, work/minPartWork)), contended)
	}
	record(key, way, now()-start)
}

// alone computes p on the calling goroutine.
func (p *gemmProblem) alone(ker *microKernel) {
	ws := workspaces.Get().(*workspace)
	p.compute(ker, ws)
	workspaces.Put(ws)
}

// share computes p in up to parts parts shared with the pool goroutines;
// state is the machine's.
func (p *gemmProblem) share(ker *microKernel, parts int, state int32) {
	j := jobs.Get().(*gemmJob)
	j.p, j.ker = *p, ker
	j.split(parts)
	parallel(j, j.parts, state)
	*j = gemmJob{}
	jobs.Put(j)
}

// key names p's kind of work for choose: its shape and transpositions.
func (p *gemmProblem) key() uint64 {
	k := uint64(p.m)<<42 ^ uint64(p.n)<<21 ^ uint64(p.k)
	if p.transA {
		k ^= 1 << 63
	}
	if p.transB {
		k ^= 1 << 62
	}
	return k
}

// gemmJob is one product shared among goroutines.
type gemmJob struct {
	p   gemmProblem
	ker *microKernel
	// byCols says whether parts are ranges of C's columns (else rows);
	// tiles is the number of micro-tiles along that dimension and parts the
	// number of ranges they are dealt into.
	byCols       bool
	tiles, parts int
}

// split chooses the dimension to cut and the number of parts, up to
// target, minimising the largest part's work.
func (j *gemmJob) split(target int) {
	mt := (j.p.m + j.ker.mr - 1) / j.ker.mr
	nt := (j.p.n + j.ker.nr - 1) / j.ker.nr
	wm, wn := min(target, mt), min(target, nt)
	costM := (mt + wm - 1) / wm * j.ker.mr * j.p.n
	costN := (nt + wn - 1) / wn * j.ker.nr * j.p.m
	if costN <= costM {
		j.byCols, j.tiles, j.parts = true, nt, wn
	} else {
		j.byCols, j.tiles, j.parts = false, mt, wm
	}
}

// do computes part number part of the job.
func (j *gemmJob) do(part int) {
	lo, hi := part*j.tiles/j.parts, (part+1)*j.tiles/j.parts
	var q gemmProblem
	if j.byCols {
		q = j.p.sub(0, j.p.m, lo*j.ker.nr, min(hi*j.ker.nr, j.p.n))
	} else {
		q = j.p.sub(lo*j.ker.mr, min(hi*j.ker.mr, j.p.m), 0, j.p.n)
	}
	ws := workspaces.Get().(*workspace)
	q.compute(j.ker, ws)
	workspaces.Put(ws)
}

var (
	jobs       = sync.Pool{New: func() any { return new(gemmJob) }}
	workspaces = sync.Pool{New: func() any { return new(workspace) }}
)

// task is work split into independent parts that may run on any goroutine
// in any order.
type task interface {
	do(part int)
}

// The pool runs one task at a time on long-lived goroutines. Between tasks
// they spin, watching the task generation, so that the many short products
// of a training step start in well under a microsecond; after spinFor
// (contendedSpinFor on a contended machine) they park until the next task
// wakes them.
//
// The state word holds the generation of the current task in its high 32
// bits, its number of parts in the next 16 and the next unclaimed part in
// the low 16; a goroutine claims a part with a compare-and-swap of the whole
// word, so one still holding an old task can never take a part of a new
// one.
var pool struct {
	mu     sync.Mutex // held by the goroutine whose task the pool runs
	state  atomic.Uint64
	done   atomic.Int64
	t      task // written under mu before the generation is published, read after claiming a part
	alive  atomic.Int64
	parked atomic.Int64
	wake   chan struct{}
	// sleeping says that the task's caller has parked until its last part
	// is done; the goroutine that finishes that part clears it and sends
	// on finished.
	sleeping atomic.Bool
	finished chan struct{}
}

// spinFor is how long an idle pool goroutine, or a caller waiting for its
// task's last parts, watches before parking on a quiet machine: longer
// than the element-wise work between the products of a training step.
const spinFor = 200 * time.Microsecond

// contendedSpinFor is the same on a contended machine, where a spinning
// thread may be keeping the thread it waits for off the processor: long
// enough to bridge two products that follow each other at once, short
// beside a time slice of the operating system.
const contendedSpinFor = 20 * time.Microsecond

// yieldAfter is how long a goroutine spins, for a task or for the last part
// of its own, before it lets other goroutines run between checks: the Go
// scheduler may have preempted the pool goroutine holding that part, or
// other goroutines may be waiting for the processor.
const yieldAfter = 20 * time.Microsecond

func init() {
	pool.wake = make(chan struct{}, 256)
	pool.finished = make(chan struct{}, 1)
}

// parallel runs t's parts 0 … parts-1 on the calling goroutine and up to
// parts-1 pool goroutines and returns when all are done; state is the
// machine's (see machine). Parts are claimed one at a time by whichever
// goroutine comes free first, so a part that no pool goroutine has claimed
// yet (one the operating system has not scheduled, on a busy machine) is
// run by the caller. If another goroutine's task holds the pool, the
// caller runs every part itself.
func parallel(t task, parts int, state int32) {
	if parts <= 1 || parts > maxParts || !pool.mu.TryLock() {
		for part := range parts {
			t.do(part)
		}
		return
	}
	defer pool.mu.Unlock()
	startWorkers(min(parts, runtime.GOMAXPROCS(0)) - 1)
	pool.t = t
	pool.done.Store(0)
	gen := pool.state.Load()>>32 + 1
	pool.state.Store(gen<<32 | uint64(parts)<<16)
	for range pool.parked.Swap(0) {
		select {
		case pool.wake <- struct{}{}:
		default:
		}
	}
	claimParts(gen)
	waitDone(int64(parts), state == contended)
	pool.t = nil
}

// waitDone returns once parts parts of the current task are done: it
// spins, yielding to other goroutines after yieldAfter, and parks after
// spinFor, or contendedSpinFor when busy, until the goroutine finishing the
// last part wakes it.
func waitDone(parts int64, busy bool) {
	limit := spinFor
	if busy {
		limit = contendedSpinFor
	}
	start := time.Now()
	for spins := 0; pool.done.Load() < parts; spins++ {
		if spins%64 != 63 {
			continue
		}
		waited := time.Since(start)
		if waited < limit {
			if waited > yieldAfter {
				runtime.Gosched()
			}
			continue
		}
		// A goroutine that clears sleeping sends once on finished; one
		// finishing an earlier task may do so after this task began, so
		// the count is checked again after every wake.
		pool.sleeping.Store(true)
		if pool.done.Load() < parts || !pool.sleeping.Swap(false) {
			<-pool.finished
		}
	}
}

// Parallel runs do(0) … do(parts−1) on the calling goroutine and the
// pool goroutines that share the products, and returns when all are done.
// The parts must be independent of each other and of the order they run
// in. Work between products (a network's element-wise passes, say) runs
// here on goroutines that are already spinning, rather than on new ones
// that a spinning pool goroutine keeps off the other processors. On a
// contended machine the calling goroutine runs all of them itself when
// that has been faster for do (see choose). A part must not itself call
// Parallel or Sgemm expecting them to share out work: they run on its
// goroutine. Parts gives the number of parts to cut work into.
func Parallel(parts int, do func(part int)) {
	runTask(funcTask(do), parts, funcKey(do, parts))
}

// runTask runs t's parts 0 … parts−1 shared out on a quiet machine. On a
// contended one it runs them on the calling goroutine alone or shared out,
// whichever has been faster for the kind of work key names (see choose).
func runTask(t task, parts int, key uint64) {
	state := quiet
	if parts > 1 && runtime.GOMAXPROCS(0) > 1 {
		state = machine()
	}
	if state == quiet {
		parallel(t, parts, quiet)
		return
	}
	way := choose(key)
	start := now()
	if way == alone {
		for part := range parts {
			t.do(part)
		}
	} else {
		parallel(t, parts, contended)
	}
	record(key, way, now()-start)
}

// funcKey names a pass for choose: the code of do (the same for every
// call from one place in a program) and its number of parts.
func funcKey(do func(part int), parts int) uint64 {
	code := **(**uintptr)(unsafe.Pointer(&do))
	return uint64(code) ^ uint64(parts)<<48
}

// Parts returns how many parts to cut units independent units of work into
// for Parallel: one per thread (runtime.GOMAXPROCS(0)) on a quiet machine;
// more on a contended one, so that the others take the parts of a thread
// the operating system has descheduled. It is never more than units.
func Parts(units int) int {
	parts := runtime.GOMAXPROCS(0)
	if parts > 1 && machine() == contended {
		parts *= partsPerThread
	}
	return max(1, min(parts, units))
}

// funcTask is a function as a task.
type funcTask func(part int)

func (f funcTask) do(part int) { f(part) }

// claimParts runs parts of task generation gen until none is left. The
// task is read only after a part is claimed: until that part is done, the
// generation's caller waits and leaves pool.t alone. The goroutine that
// finishes the last part wakes the caller if it has parked.
func claimParts(gen uint64) {
	for {
		s := pool.state.Load()
		next, parts := s&maxParts, s>>16&maxParts
		if s>>32 != gen || next >= parts {
			return
		}
		if !pool.state.CompareAndSwap(s, s+1) {
			continue
		}
		pool.t.do(int(next))
		if pool.done.Add(1) == int64(parts) && pool.sleeping.Swap(false) {
			pool.finished <- struct{}{}
		}
	}
}

// maxParts is the most parts a task may have: the state word gives the
// count and the next part 16 bits each.
const maxParts = 1<<16 - 1

// startWorkers makes sure at least n pool goroutines are running.
func startWorkers(n int) {
	for {
		alive := pool.alive.Load()
		if alive >= int64(n) {
			return
		}
		if pool.alive.CompareAndSwap(alive, alive+1) {
			go work(pool.state.Load() >> 32)
		}
	}
}

// work is the body of a pool goroutine; seen is the last task generation
// it has taken part in.
func work(seen uint64) {
	for {
		seen = waitTask(seen)
		claimParts(seen)
	}
}

// waitTask returns the generation of a task newer than seen, spinning for
// spinFor (contendedSpinFor while the machine is contended) and then
// parking until parallel wakes the pool.
func waitTask(seen uint64) uint64 {
	start := time.Now()
	for spins := 0; ; spins++ {
		if gen := pool.state.Load() >> 32; gen != seen {
			return gen
		}
		if spins%64 != 63 {
			continue
		}
		limit := spinFor
		if contention.state.Load() != quiet {
			limit = contendedSpinFor
		}
		if idle := time.Since(start); idle < limit {
			if idle > yieldAfter {
				runtime.Gosched()
			}
			continue
		}
		pool.parked.Add(1)
		if gen := pool.state.Load() >> 32; gen != seen {
			return gen
		}
		<-pool.wake
		start = time.Now()
	}
}
