package seq

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// RelGAN is a Gumbel-softmax game in the spirit of RelGAN (Nie et al.
// 2019): at each step G's logits o_t plus Gumbel noise g_t give the soft
// one-hot softmax(β·(o_t + g_t)) that D reads through its embedding, and
// the next input is the token argmax(o_t + g_t) (an exact sample, with no
// gradient through it). The inverse temperature β rises from 1 to MaxBeta
// over AnnealSteps steps exponentially, β_n = MaxBeta^(n/AnnealSteps), as
// RelGAN's "exp" schedule. D learns real tokens against the detached soft
// samples, then G through the updated D, with any of nash's objectives:
// RelGAN's own is the relativistic rsgan, whose G loss pairs the generated
// batch with the real one, also run through the updated D.
type RelGAN struct {
	G                *Generator
	D                *Discriminator
	OptG, OptD       optim.Optimizer
	Loss             gan.Loss
	RNG              *tensor.RNG
	MaxBeta          float64
	AnnealSteps      int
	tape             *autograd.Tape
	gParams, dParams []*autograd.Var
	steps            int
	stats            []float64
}

// NewRelGAN returns the Gumbel-softmax game of g against d under the
// objective loss, with noise from rng and d's dropout from dropout; it
// makes optG clip G's gradient at GradClip.
func NewRelGAN(g *Generator, d *Discriminator, optG, optD optim.Optimizer, loss gan.Loss, rng, dropout *tensor.RNG, maxBeta float64, annealSteps int) *RelGAN {
	d.Dropout.RNG = dropout
	return &RelGAN{G: g, D: d, OptG: clipped(optG), OptD: optD, Loss: loss, RNG: rng, MaxBeta: maxBeta, AnnealSteps: annealSteps,
		tape: autograd.NewTape(), gParams: nn.Vars(g.Parameters()), dParams: nn.Vars(d.Parameters())}
}

// Networks implements gan.Game: generator and discriminator.
func (r *RelGAN) Networks() []gan.Network {
	return []gan.Network{{Name: gan.GeneratorName, Module: r.G}, {Name: gan.DiscriminatorName, Module: r.D}}
}

// Optimizers implements gan.Game: optim_g and optim_d.
func (r *RelGAN) Optimizers() []gan.Optimizer {
	return []gan.Optimizer{{Name: "optim_g", Optimizer: r.OptG}, {Name: "optim_d", Optimizer: r.OptD}}
}

// Streams implements gan.Game: the Gumbel noise and D's dropout.
func (r *RelGAN) Streams() []gan.Stream {
	return []gan.Stream{{Name: gan.NoiseStream, RNG: r.RNG}, {Name: "dropout", RNG: r.D.Dropout.RNG}}
}

// Statistics implements gan.Game: the classic game's four and beta, the
// inverse temperature of the step.
func (r *RelGAN) Statistics() []gan.Statistic {
	return append(gan.ClassicStatistics(r.Loss)[:4:4], gan.Statistic{Key: "beta", Label: "β"})
}

// Beta returns the inverse temperature of step n (from 0).
func (r *RelGAN) Beta(n int) float64 {
	if r.AnnealSteps <= 0 {
		return r.MaxBeta
	}
	return math.Pow(r.MaxBeta, min(float64(n)/float64(r.AnnealSteps), 1))
}

// Step implements gan.Game.
func (r *RelGAN) Step(b gan.Batch) []float64 {
	tp := r.tape
	defer tp.Reset()
	beta := r.Beta(r.steps)
	soft := r.softSample(tp, b.X.Dim(0), beta)

	r.OptD.ZeroGrad()
	realOut := r.D.Forward(tp, tp.Const(b.X))
	fakeOut := r.D.ForwardSoft(tp, tp.Const(soft.Value))
	lossD := gan.DiscriminatorLoss(tp, r.Loss, realOut, fakeOut, 0)
	tp.Backward(lossD, r.dParams...)
	r.OptD.Step()

	r.OptG.ZeroGrad()
	var realG *autograd.Var
	if r.Loss.Relativistic() {
		// The real batch through the updated D, a constant for G.
		tp.NoGrad(func() { realG = r.D.Forward(tp, tp.Const(b.X)) })
	}
	lossG := gan.GeneratorLoss(tp, r.Loss, realG, r.D.ForwardSoft(tp, soft))
	tp.Backward(lossG, r.gParams...)
	r.OptG.Step()
	r.steps++
	mean := nn.MeanSigmoid
	if !r.Loss.Probabilistic() {
		mean = meanValue
	}
	r.stats = append(r.stats[:0], float64(lossD.Value.Item()), float64(lossG.Value.Item()),
		mean(realOut.Value), mean(fakeOut.Value), beta)
	return r.stats
}

func meanValue(t *tensor.Tensor) float64 { return t.Sum() / float64(t.Len()) }

// softSample returns G's soft one-hot tokens of n sequences, time-major
// [Len·n, Vocab], recorded on tp.
func (r *RelGAN) softSample(tp *autograd.Tape, n int, beta float64) *autograd.Var {
	g := r.G
	ids := tensor.New(n)
	for i := range ids.Data() {
		ids.Data()[i] = Start
	}
	noise := tensor.New(n, g.Vocab)
	soft := make([]*autograd.Var, g.Len)
	var h, c *autograd.Var
	for t := range g.Len {
		x := g.Embedding.Forward(tp, tp.Const(ids.Clone()))
		h, c = g.LSTM.Cell(tp, g.LSTM.Project(tp, x), h, c)
		logits := g.Output.Forward(tp, h)
		for i := range noise.Data() {
			noise.Data()[i] = nn.Gumbel(r.RNG.Float64())
		}
		soft[t] = nn.GumbelSoftmax(tp, logits, noise.Clone(), float32(1/beta), false)
		// The next input: the exact sample argmax(o + g).
		lv, nv := logits.Value.Data(), noise.Data()
		for i := range n {
			best := i * g.Vocab
			for j := best + 1; j < (i+1)*g.Vocab; j++ {
				if lv[j]+nv[j] > lv[best]+nv[best] {
					best = j
				}
			}
			ids.Data()[i] = float32(best - i*g.Vocab)
		}
	}
	return tp.Concat(0, soft...)
}

type relganState struct {
	Steps int `json:"steps"`
}

// State implements gan.Game: the steps taken, which set the temperature.
func (r *RelGAN) State() ([]byte, error) { return json.Marshal(relganState{r.steps}) }

// SetState implements gan.Game.
func (r *RelGAN) SetState(b []byte) error {
	var st relganState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	if st.Steps < 0 {
		return fmt.Errorf("seq: RelGAN state of %d steps", st.Steps)
	}
	r.steps = st.Steps
	return nil
}

// Generator implements gan.Game.
func (r *RelGAN) Generator() nn.Module { return r.G }
