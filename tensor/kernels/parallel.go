package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// minParallelWork is the number of multiply-adds (m·n·k) below which a
// product runs on the calling goroutine. Waking a pool goroutine costs about
// 5 µs, so sharing pays once each half takes longer than that: about 12 µs
// of work on one core with the AVX2 kernel. A 64³ product (6 µs) measured
// slower on two goroutines than on one.
const minParallelWork = 1 << 19

// run computes p with kernel ker on up to runtime.GOMAXPROCS(0) goroutines.
// It splits C along one dimension into parts aligned to ker's micro-tiles;
// each part is an independent product with its own pack buffers, so the
// arithmetic for every element of C is the same for any number of parts.
func (p *gemmProblem) run(ker *microKernel) {
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || p.m*p.n*p.k < minParallelWork {
		ws := workspaces.Get().(*workspace)
		p.compute(ker, ws)
		workspaces.Put(ws)
		return
	}
	j := jobs.Get().(*gemmJob)
	j.p, j.ker = *p, ker
	j.split(workers)
	startWorkers(j.parts - 1)
	j.wg.Add(j.parts - 1)
	for part := 1; part < j.parts; part++ {
		tasks <- gemmTask{job: j, part: part}
	}
	j.do(0)
	j.wg.Wait()
	*j = gemmJob{}
	jobs.Put(j)
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
	wg           sync.WaitGroup
}

// split chooses the dimension to cut and the number of parts for up to
// workers goroutines, minimising the largest part's work.
func (j *gemmJob) split(workers int) {
	mt := (j.p.m + j.ker.mr - 1) / j.ker.mr
	nt := (j.p.n + j.ker.nr - 1) / j.ker.nr
	wm, wn := min(workers, mt), min(workers, nt)
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

// gemmTask asks a pool goroutine to compute one part of a job.
type gemmTask struct {
	job  *gemmJob
	part int
}

var (
	jobs       = sync.Pool{New: func() any { return new(gemmJob) }}
	workspaces = sync.Pool{New: func() any { return new(workspace) }}

	// tasks feeds the pool of goroutines started by startWorkers. They live
	// for the life of the process, blocked on tasks when idle.
	tasks        = make(chan gemmTask, 64)
	workersMu    sync.Mutex
	workersAlive atomic.Int64
)

// startWorkers makes sure at least n pool goroutines are running.
func startWorkers(n int) {
	if int(workersAlive.Load()) >= n {
		return
	}
	workersMu.Lock()
	defer workersMu.Unlock()
	for int(workersAlive.Load()) < n {
		go work()
		workersAlive.Add(1)
	}
}

// work is the body of a pool goroutine.
func work() {
	for t := range tasks {
		t.job.do(t.part)
		t.job.wg.Done()
	}
}
