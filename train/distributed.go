package train

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// Data-parallel training. A run launched on several ranks (the dist.Comm
// its context carries, dist.NewContext) trains one game on every rank:
// every rank builds the same game and reads the same global batches (the
// data stream is the seed's on every rank), trains on its shard of each
// (rows [r·n/N, (r+1)·n/N) of a batch of n on rank r of N), and draws its
// noise from streams of its own (the game's streams named "<name>@rank<r>"
// on rank r > 0; rank 0 keeps the single-process streams). Before every
// optimiser step of any game the gradients are summed over the ranks, each
// weighted by its share of the batch, by dist.Summer in rank order (the
// optimisers' GradHook); the step's statistics are averaged likewise. Rank
// 0 alone writes the run directory; the others only train. A checkpoint
// holds every rank's random streams, so a run resumes on the same number
// of ranks.

// metaRanks is the checkpoint metadata key of the number of ranks a run
// trains on (absent: one).
const metaRanks = "ranks"

// rankRNGKey is the metadata key of rank r's stream (r > 0).
func rankRNGKey(stream string, r int) string { return fmt.Sprintf("rank%d.%s", r, rngKey(stream)) }

// rankStream is the name of rank r's stream of the game's stream name.
func rankStream(name string, r int) string {
	if r == 0 {
		return name
	}
	return fmt.Sprintf("%s@rank%d", name, r)
}

// ranks is a session's part in a distributed run.
type ranks struct {
	comm   dist.Comm
	summer *dist.Summer
	// share is this rank's part of the current batch, n_r/n, by which its
	// gradients and statistics are weighted.
	share float64
	// grads holds the gradients of one optimiser step, flattened.
	grads []float32
	// err is the first error of a gradient sum.
	err error
	// mine and all are one rank's record of a step and every rank's (the
	// exchange); streams holds every rank's stream states from the last
	// exchange, and stop the rank that asked to stop at it, or -1.
	mine, all []byte
	streams   [][]byte
	stop      int
	// averaged are the step's statistics averaged over the ranks.
	averaged []float64
	// steps counts the steps of this session, busy their time, and sync
	// the part of it spent summing gradients and exchanging records.
	steps      int
	busy, sync time.Duration
}

// size and rank are the run's number of ranks and this one's: one rank, 0,
// until initRanks.
func (s *session) size() int {
	if s.dist.comm == nil {
		return 1
	}
	return s.dist.comm.Size()
}

func (s *session) rank() int {
	if s.dist.comm == nil {
		return 0
	}
	return s.dist.comm.Rank()
}

// lead reports whether this rank writes the run: rank 0.
func (s *session) lead() bool { return s.rank() == 0 }

// initRanks prepares the session for the group comm: one rank does
// nothing; several need a batch of at least one sample each, optimisers
// that take a GradHook, and their own noise.
func (s *session) initRanks(comm dist.Comm) error {
	s.dist = ranks{comm: comm, share: 1, stop: -1}
	n := comm.Size()
	if n == 1 {
		return nil
	}
	if s.cfg.Batch < n {
		return fmt.Errorf("batch: %d samples cannot be shared among %d ranks (each needs at least one: give --batch %d or more, or fewer ranks)", s.cfg.Batch, n, n)
	}
	if ds := s.src.dataset(); ds != nil && ds.N%s.cfg.Batch != 0 && ds.N%s.cfg.Batch < n {
		return fmt.Errorf("batch: the last batch of each epoch of %s has %d images, fewer than the %d ranks", s.cfg.Dataset, ds.N%s.cfg.Batch, n)
	}
	s.dist.summer = dist.NewSummer(comm)
	for _, o := range s.game.Optimizers() {
		h, ok := o.Optimizer.(optim.Hookable)
		if !ok {
			return fmt.Errorf("model: the optimiser %s of the %s model cannot average its gradients over ranks (it is not an optim.Hookable)", o.Name, s.cfg.Model)
		}
		h.SetGradHook(s.sumGrads)
	}
	r := comm.Rank()
	for _, st := range s.game.Streams() {
		b, err := tensor.NewRNG(s.cfg.Seed, rankStream(st.Name, r)).MarshalBinary()
		if err == nil {
			err = st.UnmarshalBinary(b)
		}
		if err != nil {
			return fmt.Errorf("rank %d: stream %s: %w", r, st.Name, err)
		}
	}
	return nil
}

// sumGrads is every optimiser's GradHook in a distributed run: it replaces
// the gradients of params with their sum over the ranks of each rank's
// gradient weighted by its share of the batch, which is the gradient of
// the global batch's mean loss.
func (s *session) sumGrads(params []*autograd.Var) {
	d := &s.dist
	defer d.timeSync(time.Now())
	d.grads = d.grads[:0]
	for _, p := range params {
		if p.Grad != nil {
			d.grads = append(d.grads, p.Grad.Data()...)
		}
	}
	w := float32(d.share)
	for i := range d.grads {
		d.grads[i] *= w
	}
	if err := d.summer.Sum(d.grads); err != nil && d.err == nil {
		d.err = err
	}
	off := 0
	for _, p := range params {
		if p.Grad != nil {
			off += copy(p.Grad.Data(), d.grads[off:])
		}
	}
}

// shard returns this rank's part of the global batch of the first n rows
// of x (and of the labels), as s.batch gives it, and sets its share.
func (s *session) shard(x *tensor.Tensor, n int) gan.Batch {
	size, r := s.size(), s.rank()
	if size == 1 {
		return s.batch(x, n)
	}
	lo, hi := r*n/size, (r+1)*n/size
	row := s.spec.Sample.Len()
	if s.cfg.labelled() {
		copy(s.labels, s.labels[lo:hi])
	}
	s.dist.share = float64(hi-lo) / float64(n)
	return s.batch(tensor.FromSlice(x.Data()[lo*row:hi*row], hi-lo, row), hi-lo)
}

// trainStep trains the game on this rank's shard of the global batch of
// the first n rows of x and returns the step's statistics: in a
// distributed run averaged over the ranks, after an exchange that also
// shares every rank's random streams and whether its ctx is done.
func (s *session) trainStep(ctx context.Context, x *tensor.Tensor, n int) ([]float64, error) {
	if s.size() == 1 {
		return s.game.Step(s.shard(x, n)), nil
	}
	t0 := time.Now()
	defer func() { s.dist.busy += time.Since(t0); s.dist.steps++ }()
	values := s.game.Step(s.shard(x, n))
	if err := s.dist.err; err != nil {
		return nil, fmt.Errorf("step %d: summing the gradients over the ranks: %w", s.step+1, err)
	}
	return s.exchange(ctx, values)
}

// exchange gathers every rank's record of the step (whether its ctx is
// done, its share of the batch, at every sample step and the last a digest
// of its weights, its statistics and its random streams' states) and
// returns the statistics averaged over the ranks, weighted by their shares.
// Weights that differ from rank 0's stop the run: a game stepped an
// optimiser its Optimizers do not list, whose gradients were not summed.
func (s *session) exchange(ctx context.Context, values []float64) ([]float64, error) {
	d := &s.dist
	defer d.timeSync(time.Now())
	var b bytes.Buffer
	stop := 0.0
	if ctx.Err() != nil {
		stop = 1
	}
	binary.Write(&b, binary.LittleEndian, [2]float64{stop, d.share})
	binary.Write(&b, binary.LittleEndian, s.weightDigest())
	binary.Write(&b, binary.LittleEndian, values)
	for _, st := range s.game.Streams() {
		state, err := st.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("rank %d: stream %s: %w", s.rank(), st.Name, err)
		}
		b.Write(state)
	}
	d.mine = b.Bytes()
	size := s.size()
	if len(d.all) != size*len(d.mine) {
		d.all = make([]byte, size*len(d.mine))
	}
	if err := d.comm.Allgather(d.mine, d.all); err != nil {
		return nil, fmt.Errorf("step %d: %w", s.step+1, err)
	}
	d.averaged = append(d.averaged[:0], make([]float64, len(values))...)
	d.streams, d.stop = d.streams[:0], -1
	head := 8 * (3 + len(values))
	for r := range size {
		rec := d.all[r*len(d.mine) : (r+1)*len(d.mine)]
		word := func(i int) uint64 { return binary.LittleEndian.Uint64(rec[8*i:]) }
		if math.Float64frombits(word(0)) != 0 && d.stop < 0 {
			d.stop = r
		}
		if word(2) != binary.LittleEndian.Uint64(d.all[16:]) {
			return nil, fmt.Errorf("step %d: rank %d's weights differ from rank 0's: the %s model's game updates networks with an optimiser that its Optimizers do not list, so its gradients were not summed", s.step+1, r, s.cfg.Model)
		}
		for i := range values {
			d.averaged[i] += math.Float64frombits(word(1)) * math.Float64frombits(word(3+i))
		}
		d.streams = append(d.streams, rec[head:])
	}
	return d.averaged, nil
}

// weightDigest returns, at the steps that sample (sample_every, or each
// epoch's last) and at the last, a hash of every parameter of the game's
// networks; 0 at the other steps.
func (s *session) weightDigest() uint64 {
	every := cmp.Or(s.cfg.SampleEvery, s.src.stepsPerEpoch())
	if next := s.step + 1; next%every != 0 && next != s.total {
		return 0
	}
	h := fnv.New64a()
	for _, n := range s.game.Networks() {
		for _, p := range n.Module.Parameters() {
			binary.Write(h, binary.LittleEndian, p.Value.Data())
		}
	}
	return h.Sum64()
}

// timeSync adds the time since t0 to the time spent synchronising.
func (d *ranks) timeSync(t0 time.Time) { d.sync += time.Since(t0) }

// reportSync writes to log, in a distributed run, the time a step spent
// synchronising the ranks: summing gradients (waiting for the slowest rank
// included) and exchanging the step's records.
func (s *session) reportSync(log io.Writer) {
	d := &s.dist
	if s.size() == 1 || d.steps == 0 {
		return
	}
	fmt.Fprintf(log, "nash: %d ranks: synchronising took %.2f ms of each step's %.2f ms (%.1f%%)\n", s.size(),
		d.sync.Seconds()*1e3/float64(d.steps), d.busy.Seconds()*1e3/float64(d.steps), 100*d.sync.Seconds()/d.busy.Seconds())
}

// stopped returns why training stops before the next step: ctx's error,
// and in a distributed run that of any rank, which the last exchange
// shared, so that every rank stops at the same step.
func (s *session) stopped(ctx context.Context) error {
	switch {
	case s.size() == 1:
		return ctx.Err()
	case s.dist.stop < 0:
		// A rank whose ctx is done since the last exchange tells the
		// others at the next one.
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("rank %d was interrupted: %w", s.dist.stop, context.Canceled)
}

// joinRanks is initRanks and join.
func (s *session) joinRanks(comm dist.Comm) error {
	if err := s.initRanks(comm); err != nil {
		return err
	}
	return s.join()
}

// join checks that every rank runs the same binary on the same
// configuration, by gathering each one's hashes, then gives every rank
// rank 0's weights.
func (s *session) join() error {
	if s.size() == 1 {
		return nil
	}
	exe, err := executableHash()
	if err != nil {
		return fmt.Errorf("rank %d: %w", s.rank(), err)
	}
	c := s.cfg
	c.Threads = 0
	conf := sha256.Sum256(c.YAML())
	mine := append(exe[:], conf[:]...)
	all := make([]byte, s.size()*len(mine))
	if err := s.dist.comm.Allgather(mine, all); err != nil {
		return err
	}
	for r := 1; r < s.size(); r++ {
		theirs := all[r*len(mine) : (r+1)*len(mine)]
		switch {
		case !bytes.Equal(theirs[:32], all[:32]):
			return fmt.Errorf("rank %d runs a different nash binary from rank 0's: every rank must run the same build", r)
		case !bytes.Equal(theirs[32:], all[32:64]):
			return fmt.Errorf("rank %d was given a different configuration from rank 0's: every rank must be given the same settings", r)
		}
	}
	return s.broadcastWeights()
}

// executableHash returns the SHA-256 of the running binary.
func executableHash() ([32]byte, error) {
	path, err := os.Executable()
	if err != nil {
		return [32]byte{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [32]byte{}, fmt.Errorf("%s: %w", path, err)
	}
	return [32]byte(h.Sum(nil)), nil
}

// broadcastWeights copies rank 0's networks, every parameter and buffer,
// to every rank.
func (s *session) broadcastWeights() error {
	var ts []*tensor.Tensor
	total := 0
	for _, n := range s.game.Networks() {
		sd := nn.StateDict(n.Module)
		for _, name := range slices.Sorted(maps.Keys(sd)) {
			ts = append(ts, sd[name])
			total += sd[name].Len()
		}
	}
	buf := make([]float32, 0, total)
	for _, t := range ts {
		buf = append(buf, t.Data()...)
	}
	if len(buf) == 0 {
		return nil
	}
	if err := s.dist.comm.Bcast(dist.Bytes(buf), 0); err != nil {
		return fmt.Errorf("broadcasting rank 0's weights: %w", err)
	}
	off := 0
	for _, t := range ts {
		off += copy(t.Data(), buf[off:])
	}
	return nil
}

// saveRanks adds to a checkpoint's metadata the number of ranks and the
// random streams of every rank but 0 (whose are the game's own), as the
// last exchange shared them.
func (s *session) saveRanks(meta map[string]string) {
	if s.size() == 1 {
		return
	}
	meta[metaRanks] = strconv.Itoa(s.size())
	for r := 1; r < s.size(); r++ {
		rest := s.dist.streams[r]
		for _, st := range s.game.Streams() {
			own, _ := st.MarshalBinary()
			meta[rankRNGKey(st.Name, r)] = base64.StdEncoding.EncodeToString(rest[:len(own)])
			rest = rest[len(own):]
		}
	}
}

// restoreRanks checks that the checkpoint f, read from path, was written
// by a run on as many ranks as this one and gives this rank its own random
// streams.
func (s *session) restoreRanks(f *checkpoint.File, path string) error {
	saved := 1
	if v, ok := f.Metadata[metaRanks]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			return fmt.Errorf("%s: metadata %s is %.80q, want a number of ranks", path, metaRanks, v)
		}
		saved = n
	}
	if saved != s.size() {
		return fmt.Errorf("%s: the run was trained on %d ranks, this one is %d: a run resumes on the number of ranks it was trained on (each rank's noise is its own): launch it with mpirun -np %d", path, saved, s.size(), saved)
	}
	r := s.rank()
	if r == 0 {
		return nil
	}
	for _, st := range s.game.Streams() {
		key := rankRNGKey(st.Name, r)
		b, err := base64.StdEncoding.DecodeString(f.Metadata[key])
		if err == nil {
			err = st.UnmarshalBinary(b)
		}
		if err != nil {
			return fmt.Errorf("%s: metadata %s: %w", path, key, err)
		}
	}
	return nil
}

// follow is the training of a rank other than 0: the steps alone, with the
// exchanges that keep it in step with rank 0, which writes the run.
func (s *session) follow(ctx context.Context) error {
	batch := tensor.New(s.cfg.Batch, s.spec.Sample.Len())
	for s.step < s.total {
		if err := s.stopped(ctx); err != nil {
			return err
		}
		b := s.src.next(batch, s.labels)
		s.schedule(s.total)
		values, err := s.trainStep(ctx, batch, b.N)
		if err != nil {
			return err
		}
		if !finite(values) {
			return fmt.Errorf("step %d: non-finite loss: training stopped", s.step+1)
		}
		s.step++
		s.epoch = b.Epoch
	}
	return nil
}
