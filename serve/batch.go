package serve

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/tensor"
)

// job is one request's samples waiting for a forward pass: its latent
// vectors and classes, validated against g, the generator it is for.
type job struct {
	ctx    context.Context
	g      *infer.Generator
	z      *tensor.Tensor // [n, ZDim]
	labels *tensor.Tensor // [n] or nil
	done   chan result    // buffered: the batcher never blocks on it
}

// result is a job's samples [n, C, H, W] or the error that stopped them.
type result struct {
	x   *tensor.Tensor
	err error
}

// errQueueFull and errStopped are the batcher's refusals; both answer 503.
var (
	errQueueFull = errors.New("the queue is full")
	errStopped   = errors.New("the server is shutting down")
)

// batcher merges concurrent jobs into forward passes of at most maxBatch
// samples, waiting at most maxWait after a pass's first job for others to
// join it. Jobs wait in a bounded queue; a job that finds it full is
// refused at once.
type batcher struct {
	queue    chan *job
	maxBatch int
	maxWait  time.Duration
	metrics  *counters
	stop     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
}

func newBatcher(queue, maxBatch, workers int, maxWait time.Duration, m *counters) *batcher {
	b := &batcher{queue: make(chan *job, queue), maxBatch: maxBatch, maxWait: maxWait, metrics: m,
		stop: make(chan struct{}), stopped: make(chan struct{})}
	done := make(chan struct{}, workers)
	for range workers {
		go func() {
			b.run()
			done <- struct{}{}
		}()
	}
	go func() {
		for range workers {
			<-done
		}
		close(b.stopped)
	}()
	return b
}

// submit queues the samples of z and labels for g and waits for them, for
// ctx's end, or for the server's.
func (b *batcher) submit(ctx context.Context, g *infer.Generator, z, labels *tensor.Tensor) (*tensor.Tensor, error) {
	j := &job{ctx: ctx, g: g, z: z, labels: labels, done: make(chan result, 1)}
	select {
	case <-b.stop:
		return nil, errStopped
	default:
	}
	select {
	case b.queue <- j:
		b.metrics.queueDepth.Set(float64(len(b.queue)))
	default:
		return nil, errQueueFull
	}
	select {
	case r := <-j.done:
		return r.x, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close stops the workers once the queued jobs are done, and waits.
func (b *batcher) close() {
	b.stopOnce.Do(func() { close(b.stop) })
	<-b.stopped
}

// run is a worker: it gathers a batch and samples it, until close.
func (b *batcher) run() {
	var carry *job // a job for another generator, first of the next batch
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-b.queue:
			case <-b.stop:
				// Finish what is queued, then stop.
				select {
				case first = <-b.queue:
				default:
					return
				}
			}
		}
		jobs, rows := []*job{first}, first.z.Dim(0)
		timer := time.NewTimer(b.maxWait)
	gather:
		for rows < b.maxBatch {
			select {
			case j := <-b.queue:
				if j.g != first.g || rows+j.z.Dim(0) > b.maxBatch {
					carry = j
					break gather
				}
				jobs = append(jobs, j)
				rows += j.z.Dim(0)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		b.metrics.queueDepth.Set(float64(len(b.queue)))
		b.sample(jobs, rows)
	}
}

// sample runs one forward pass over the jobs still wanted and hands each
// its rows.
func (b *batcher) sample(jobs []*job, rows int) {
	live := jobs[:0]
	for _, j := range jobs {
		if j.ctx.Err() != nil {
			j.done <- result{err: j.ctx.Err()}
			rows -= j.z.Dim(0)
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	g := live[0].g
	// One job's noise is the pass's as it is; several are merged.
	z, labels := live[0].z, live[0].labels
	if len(live) > 1 {
		d := g.Spec.ZDim
		z = tensor.New(rows, d)
		labels = nil
		if g.Spec.Classes > 0 {
			labels = tensor.New(rows)
		}
		at := 0
		for _, j := range live {
			copy(z.Data()[at*d:], j.z.Data())
			if labels != nil {
				copy(labels.Data()[at:], j.labels.Data())
			}
			at += j.z.Dim(0)
		}
	}
	b.metrics.batchSize.Observe(float64(rows))
	s := g.Spec.Sample
	out, err := g.SampleAll(z, labels)
	at := 0
	for _, j := range live {
		n := j.z.Dim(0)
		if err != nil {
			j.done <- result{err: err}
			continue
		}
		j.done <- result{x: tensor.FromSlice(out.Data()[at*s.Len():(at+n)*s.Len()], n, s.C, s.H, s.W)}
		at += n
	}
}
