package train

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// onRanks runs f on every rank of a group of n goroutines (dist.Local) and
// returns each rank's error.
func onRanks(n int, f func(c dist.Comm) error) []error {
	comms := dist.Local(n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Go(func() { errs[r] = f(c) })
	}
	wg.Wait()
	return errs
}

// firstStep returns the game of cfg on rank c (nil: one process) after
// one training step on its shard of the first global batch, prepare (when
// not nil) applied to the game before the step.
func firstStep(t *testing.T, cfg Config, c dist.Comm, prepare func(gan.Game)) (gan.Game, error) {
	src, err := openSource(cfg, io.Discard)
	if err != nil {
		return nil, err
	}
	s, err := newSession(cfg.resolved(src), nil, src)
	if err != nil {
		return nil, err
	}
	if c != nil {
		if err := s.joinRanks(c); err != nil {
			return nil, err
		}
	}
	if prepare != nil {
		prepare(s.game)
	}
	x := tensor.New(cfg.Batch, s.spec.Sample.Len())
	b := s.src.next(x, s.labels)
	if _, err := s.trainStep(context.Background(), x, b.N); err != nil {
		return nil, err
	}
	return s.game, nil
}

// The gradients of a step on N ranks are those of the global batch: each
// rank's shard with its own noise, summed over the ranks, equals the
// classic step computed in one process on the whole batch with the ranks'
// noise stacked, to 1e-5 relative, for D's update and for G's through the
// updated D; and every rank holds the same gradients and weights after it.
func TestRanksFirstStepGradientsAreTheGlobalBatchs(t *testing.T) {
	cfg := quickConfig()
	const ranks = 2
	games := make([]*gan.GAN, ranks)
	for r, err := range onRanks(ranks, func(c dist.Comm) (err error) {
		g, err := firstStep(t, cfg, c, nil)
		if err == nil {
			games[c.Rank()] = g.(*gan.GAN)
		}
		return err
	}) {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}

	src, err := openSource(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSession(cfg.resolved(src), nil, src)
	if err != nil {
		t.Fatal(err)
	}
	ref := s.game.(*gan.GAN)
	x := tensor.New(cfg.Batch, s.spec.Sample.Len())
	s.src.next(x, nil)
	z := tensor.New(cfg.Batch, ref.ZDim)
	per := cfg.Batch / ranks * ref.ZDim
	for r := range ranks {
		part := tensor.New(cfg.Batch/ranks, ref.ZDim)
		tensor.NewRNG(cfg.Seed, rankStream(gan.NoiseStream, r)).Normal(part, 0, 1)
		copy(z.Data()[r*per:], part.Data())
	}
	tp := autograd.NewTape()
	dParams, gParams := nn.Vars(ref.D.Parameters()), nn.Vars(ref.G.Parameters())
	fake := ref.G.Forward(tp, tp.Const(z))
	ref.OptD.ZeroGrad()
	lossD := gan.DiscriminatorLoss(tp, ref.Loss, ref.D.Forward(tp, tp.Const(x)), ref.D.Forward(tp, tp.Const(fake.Value)), 0)
	tp.Backward(lossD, dParams...)
	wantD := grads(dParams)
	ref.OptD.Step()
	ref.OptG.ZeroGrad()
	tp.Backward(gan.GeneratorLoss(tp, ref.Loss, nil, ref.D.Forward(tp, fake)), gParams...)
	wantG := grads(gParams)

	for r, g := range games {
		gotD, gotG := grads(nn.Vars(g.D.Parameters())), grads(nn.Vars(g.G.Parameters()))
		for i := range wantD {
			if e := relErr(gotD[i], wantD[i]); e > 1e-5 {
				t.Errorf("rank %d: D's parameter %d: gradient off the global batch's by %.2g relative", r, i, e)
			}
		}
		for i := range wantG {
			if e := relErr(gotG[i], wantG[i]); e > 1e-5 {
				t.Errorf("rank %d: G's parameter %d: gradient off the global batch's by %.2g relative", r, i, e)
			}
		}
		for i, p := range g.G.Parameters() {
			if relErr(p.Value.Data(), games[0].G.Parameters()[i].Value.Data()) != 0 {
				t.Errorf("rank %d: G's parameter %d differs from rank 0's after the step", r, i)
			}
		}
	}
}

// grads returns copies of the parameters' gradients.
func grads(ps []*autograd.Var) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Grad.Data()...)
	}
	return out
}

// relErr returns max |a−b| over max |b|.
func relErr(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// runOnRanks trains cfg on n ranks into dir.
func runOnRanks(t *testing.T, n int, cfg Config, dir string) {
	t.Helper()
	for r, err := range onRanks(n, func(c dist.Comm) error {
		return Run(dist.NewContext(context.Background(), c), cfg, dir, false, io.Discard)
	}) {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
}

// A run on two ranks is the same, byte for byte, from one launch to the
// next, and stopped and resumed on two ranks it ends as an uninterrupted
// one; resumed on another number of ranks it is refused.
func TestRanksRunIsReproducibleAndResumes(t *testing.T) {
	cfg := quickConfig()
	cfg.Steps, cfg.Dataset, cfg.Batch = 6, "ring8", 64
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	runOnRanks(t, 2, cfg, a)
	runOnRanks(t, 2, cfg, b)
	sameFiles(t, a, b, "checkpoints/last.safetensors", "samples/step-0000006.png")

	short := cfg
	short.Steps = 4
	runOnRanks(t, 2, short, c)
	resume := func(comm dist.Comm) error {
		return Resume(dist.NewContext(context.Background(), comm), c, func(stored Config) (Config, error) {
			req := stored
			req.Steps = cfg.Steps
			return MergeResume(stored, req, []string{"steps"})
		}, io.Discard)
	}
	for r, err := range onRanks(3, resume) {
		if err == nil || !strings.Contains(err.Error(), "trained on 2 ranks") || !strings.Contains(err.Error(), "mpirun -np 2") {
			t.Fatalf("rank %d resumed a 2-rank run on 3: %v", r, err)
		}
	}
	for r, err := range onRanks(2, resume) {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	sameFiles(t, a, c, "checkpoints/last.safetensors")
}

// A batch smaller than the number of ranks is refused before anything is
// written, on every rank.
func TestRanksRefuseABatchTooSmall(t *testing.T) {
	cfg := quickConfig()
	cfg.Batch = 2
	dir := filepath.Join(t.TempDir(), "run")
	for r, err := range onRanks(3, func(c dist.Comm) error {
		return Run(dist.NewContext(context.Background(), c), cfg, dir, false, io.Discard)
	}) {
		if err == nil || !strings.Contains(err.Error(), "batch: 2 samples cannot be shared among 3 ranks") {
			t.Errorf("rank %d: %v", r, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the refused run left %s behind: %v", dir, err)
	}
}

// A rank interrupted stops every rank at the same step, rank 0 saving the
// checkpoint, from which the run resumes on the same ranks.
func TestRanksStopTogether(t *testing.T) {
	cfg := quickConfig()
	cfg.Steps = 6
	dir := filepath.Join(t.TempDir(), "run")
	errs := onRanks(2, func(c dist.Comm) error {
		ctx, cancel := context.WithCancel(context.Background())
		if c.Rank() == 1 {
			cancel()
		}
		defer cancel()
		return Run(dist.NewContext(ctx, c), cfg, dir, false, io.Discard)
	})
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "interrupted at step 1, checkpoint saved") || !strings.Contains(errs[0].Error(), "rank 1 was interrupted") {
		t.Fatalf("rank 0: %v", errs[0])
	}
	if !errors.Is(errs[1], context.Canceled) {
		t.Fatalf("rank 1: %v", errs[1])
	}
	tr, err := LoadCheckpoint(dir, "last")
	if err != nil || tr.Step != 1 {
		t.Fatalf("the checkpoint of the interrupted run: %+v, %v", tr, err)
	}
}

// The ranks compare their weights at sample steps: a game whose optimiser
// does not sum its gradients over the ranks (here one whose hook is
// removed on every rank) is stopped, naming the step.
func TestRanksNoticeWeightsThatDiverge(t *testing.T) {
	cfg := quickConfig()
	errs := onRanks(2, func(c dist.Comm) error {
		src, err := openSource(cfg, io.Discard)
		if err != nil {
			return err
		}
		s, err := newSession(cfg.resolved(src), nil, src)
		if err != nil {
			return err
		}
		if err := s.joinRanks(c); err != nil {
			return err
		}
		s.game.Optimizers()[1].Optimizer.(optim.Hookable).SetGradHook(nil)
		s.total = cfg.Steps
		x := tensor.New(cfg.Batch, s.spec.Sample.Len())
		for ; s.step < s.total; s.step++ {
			b := s.src.next(x, s.labels)
			if _, err := s.trainStep(context.Background(), x, b.N); err != nil {
				return err
			}
		}
		return nil
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "step 2: rank 1's weights differ from rank 0's") {
			t.Errorf("rank %d: %v", r, err)
		}
	}
}

// A conditional GAN trains on two ranks, each on its share of the batch's
// labels, the same from one launch to the next.
func TestRanksConditional(t *testing.T) {
	cfg := quickConfig()
	cfg.Conditional = true
	dir := t.TempDir()
	runOnRanks(t, 2, cfg, filepath.Join(dir, "a"))
	runOnRanks(t, 2, cfg, filepath.Join(dir, "b"))
	sameFiles(t, filepath.Join(dir, "a"), filepath.Join(dir, "b"), "checkpoints/last.safetensors")
}
