package train

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/seq"
)

// mleFirstStep returns the maximum-likelihood game of cfg after one step
// on the first global batch, on rank c (nil: one process), with G's
// gradient clipped at maxNorm.
func mleFirstStep(t *testing.T, cfg Config, c dist.Comm, maxNorm float64) (*seq.MLE, error) {
	g, err := firstStep(t, cfg, c, func(g gan.Game) { g.(*seq.MLE).OptG.(optim.Clippable).SetGradClip(maxNorm) })
	if err != nil {
		return nil, err
	}
	return g.(*seq.MLE), nil
}

// Clipping G's gradient under data parallelism clips the global batch's
// gradient: on two ranks, with a bound far below the gradient's norm, the
// clipped gradients and the updated weights of every rank are those of one
// process on the whole batch, to 1e-5 relative. (Each rank clipping its
// own shard's gradient before the sum would give another direction.)
func TestRanksClipTheGlobalGradient(t *testing.T) {
	cfg := tokenConfig("mle", writeCorpus(t))
	const ranks, bound = 2, 1e-3
	games := make([]*seq.MLE, ranks)
	for r, err := range onRanks(ranks, func(c dist.Comm) (err error) {
		games[c.Rank()], err = mleFirstStep(t, cfg, c, bound)
		return err
	}) {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	ref, err := mleFirstStep(t, cfg, nil, bound)
	if err != nil {
		t.Fatal(err)
	}
	want := nn.Vars(ref.G.Parameters())
	var sq float64
	for _, g := range grads(want) {
		for _, v := range g {
			sq += float64(v) * float64(v)
		}
	}
	if norm := math.Sqrt(sq); math.Abs(norm-bound) > 1e-6 {
		t.Fatalf("one process's clipped gradient has norm %g, want the bound %g", norm, bound)
	}
	for r, g := range games {
		got := nn.Vars(g.G.Parameters())
		gotG, wantG := grads(got), grads(want)
		for i := range want {
			if e := relErr(gotG[i], wantG[i]); e > 1e-5 {
				t.Errorf("rank %d: G's parameter %d: clipped gradient off the global batch's by %.2g relative", r, i, e)
			}
			if e := relErr(got[i].Value.Data(), want[i].Value.Data()); e > 1e-5 {
				t.Errorf("rank %d: G's parameter %d: weights off one process's by %.2g relative", r, i, e)
			}
		}
	}
}
