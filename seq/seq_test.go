package seq

import (
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/internal/gradcheck"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

func tokens(rng *tensor.RNG, n, t, vocab int) *tensor.Tensor {
	x := tensor.New(n, t)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.IntN(vocab))
	}
	return x
}

func uniforms(rng *tensor.RNG, n int) []float64 {
	u := make([]float64, n)
	for i := range u {
		u[i] = rng.Float64()
	}
	return u
}

// The log-probabilities of teacher forcing have the finite-difference
// gradient with respect to every weight of the generator.
func TestLogProbsGradients(t *testing.T) {
	rng := tensor.NewRNG(1, "logprobs")
	g := NewGenerator(6, 4, 3, 5, rng)
	x := tokens(rng, 3, 4, 6)
	w := tensor.New(12)
	rng.Uniform(w, -1, 1)
	loss := func(tp *autograd.Tape) *autograd.Var { return tp.Sum(tp.Mul(g.LogProbs(tp, x), tp.Const(w))) }
	params := nn.Vars(g.Parameters())
	tp := autograd.NewTape()
	grads := tp.Grad([]*autograd.Var{loss(tp)}, nil, params, false)
	for i, p := range params {
		want := gradcheck.Numeric(p.Value.Data(), func() float64 {
			tp := autograd.NewTape()
			tp.SetGrad(false)
			return loss(tp).Value.Sum()
		}, 1e-2)
		if j := gradcheck.Mismatch(grads[i].Value.Data(), want, 3e-3, 3e-3); j >= 0 {
			t.Fatalf("%s element %d: analytic %v, numeric %v", g.Parameters()[i].Name, j, grads[i].Value.Data()[j], want[j])
		}
	}
}

// Sampling keeps a prefix, gives the same tokens for the same noise, and
// at a temperature near 0 draws each step's most likely token.
func TestSample(t *testing.T) {
	rng := tensor.NewRNG(1, "sample")
	g := NewGenerator(7, 5, 3, 4, rng)
	u := uniforms(rng, 4*5)
	a, b := make([]float32, 20), make([]float32, 20)
	g.Sample(u, 1, nil, 0, a)
	g.Sample(u, 1, nil, 0, b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("the same noise drew %v and %v", a, b)
		}
	}
	prefix := tokens(rng, 4, 5, 7).Data()
	g.Sample(u, 1, prefix, 3, b)
	for i := range 4 {
		for s := range 3 {
			if b[i*5+s] != prefix[i*5+s] {
				t.Fatalf("roll-out %v does not keep the prefix %v", b, prefix)
			}
		}
	}
	// Greedy decoding by hand: each token is the argmax of its logits.
	g.Sample(u, 1e-4, nil, 0, a)
	tp := autograd.NewTape()
	lp := g.LogProbs(tp, tensor.FromSlice(a, 4, 5)).Value.Data()
	for i, v := range lp {
		if v < float32(math.Log(1.0/7)) {
			t.Fatalf("token %d at temperature 1e-4 has probability %v, below uniform: not the most likely", i, math.Exp(float64(v)))
		}
	}
}

// SeqGAN's rewards are D's probabilities, in (0, 1), and the last is D's
// probability of the sequence itself.
func TestSeqGANRewards(t *testing.T) {
	rng := tensor.NewRNG(1, "seqgan")
	g, r := NewGenerator(9, 6, 4, 4, rng), NewGenerator(9, 6, 4, 4, rng)
	d := NewDiscriminator(9, 6, rng)
	s := NewSeqGAN(g, r, d, optim.NewAdam(nn.Vars(g.Parameters()), 0.01, 0.9, 0.999), optim.NewAdam(nn.Vars(d.Parameters()), 1e-4, 0.5, 0.999),
		tensor.NewRNG(1, "noise"), tensor.NewRNG(1, "dropout"), SeqGANOptions{DSteps: 1, Rollouts: 3, RolloutDelay: 0.8})
	x := tokens(rng, 5, 6, 9)
	q := s.Rewards(x)
	tp := autograd.NewTape()
	tp.SetTraining(false)
	dx := d.Forward(tp, tp.Const(x)).Value.Data()
	for i := range 5 {
		for j := range 6 {
			if v := q.Data()[i*6+j]; !(v > 0 && v < 1) {
				t.Fatalf("reward %v outside (0, 1)", v)
			}
		}
		if want := sigmoid(float64(dx[i])); math.Abs(float64(q.Data()[i*6+5])-want) > 1e-6 {
			t.Fatalf("last reward %v, want D(x) = %v", q.Data()[i*6+5], want)
		}
	}
	// An adversarial iteration: a G step, then a D step; the roll-out
	// network moves towards G.
	before := r.Output.Weight.Value.Clone()
	real := tokens(rng, 4, 6, 9)
	for range 2 {
		s.Step(gan.Batch{X: real})
	}
	if same(before, r.Output.Weight.Value) {
		t.Fatal("the roll-out network did not move after a generator step")
	}
	// It is a delayed copy: after a G step it lags G, so a mix that
	// copied G (or the first step's copy alone) fails here.
	if same(g.Output.Weight.Value, r.Output.Weight.Value) {
		t.Fatal("the roll-out network equals G after a generator step: it should lag behind it")
	}
	// Without a delay (SeqGAN's release), it is G after every G step.
	s.Options.RolloutDelay = 0
	for range 2 {
		s.Step(gan.Batch{X: real})
	}
	for i, p := range g.Parameters() {
		if !same(p.Value, r.Parameters()[i].Value) {
			t.Fatalf("with no delay, roll-out parameter %s differs from G's after a generator step", p.Name)
		}
	}
}

func same(a, b *tensor.Tensor) bool {
	for i, v := range a.Data() {
		if b.Data()[i] != v {
			return false
		}
	}
	return true
}

// RelGAN's inverse temperature rises from 1 to MaxBeta exponentially and
// stays there; its step moves both networks.
func TestRelGAN(t *testing.T) {
	rng := tensor.NewRNG(1, "relgan")
	g, d := NewGenerator(8, 5, 4, 4, rng), NewDiscriminator(8, 5, rng)
	r := NewRelGAN(g, d, optim.NewAdam(nn.Vars(g.Parameters()), 1e-3, 0.9, 0.999), optim.NewAdam(nn.Vars(d.Parameters()), 1e-3, 0.9, 0.999),
		gan.NonSaturating, tensor.NewRNG(1, "noise"), tensor.NewRNG(1, "dropout"), 100, 10)
	for n, want := range map[int]float64{0: 1, 5: 10, 10: 100, 20: 100} {
		if b := r.Beta(n); math.Abs(b-want) > 1e-9 {
			t.Fatalf("β at step %d is %v, want %v", n, b, want)
		}
	}
	gw, dw := g.Output.Weight.Value.Clone(), d.Output.Weight.Value.Clone()
	st := r.Step(gan.Batch{X: tokens(rng, 4, 5, 8)})
	if same(gw, g.Output.Weight.Value) || same(dw, d.Output.Weight.Value) || st[4] != 1 {
		t.Fatalf("a RelGAN step moved G %v, D %v; β %v", !same(gw, g.Output.Weight.Value), !same(dw, d.Output.Weight.Value), st[4])
	}
}

// The discriminator reads one-hot rows through ForwardSoft as it reads the
// tokens themselves.
func TestDiscriminatorSoftMatchesHard(t *testing.T) {
	rng := tensor.NewRNG(1, "soft")
	d := NewDiscriminator(7, 4, rng)
	x := tokens(rng, 3, 4, 7)
	oneHot := tensor.New(4*3, 7)
	for i := range 3 {
		for s := range 4 {
			oneHot.Data()[(s*3+i)*7+int(x.Data()[i*4+s])] = 1
		}
	}
	tp := autograd.NewTape()
	tp.SetTraining(false)
	hard, soft := d.Forward(tp, tp.Const(x)).Value.Data(), d.ForwardSoft(tp, tp.Const(oneHot)).Value.Data()
	for i := range hard {
		if math.Abs(float64(hard[i]-soft[i])) > 1e-5 {
			t.Fatalf("logits of tokens %v, of their one-hot rows %v", hard, soft)
		}
	}
}

// NLLAt at temperature 1 is NLL, and a high temperature brings any
// sequence's NLL towards log V (uniform).
func TestNLLAt(t *testing.T) {
	rng := tensor.NewRNG(1, "nll")
	g := NewGenerator(9, 5, 4, 4, rng)
	x := tokens(rng, 6, 5, 9)
	tp := autograd.NewTape()
	var want float64
	for _, v := range g.LogProbs(tp, x).Value.Data() {
		want -= float64(v) / 30
	}
	if got := g.NLLAt(x, 1); math.Abs(got-want) > 1e-5 || g.NLL(x) != got {
		t.Fatalf("NLL %v, NLLAt 1 %v, want %v", g.NLL(x), got, want)
	}
	if got := g.NLLAt(x, 1e4); math.Abs(got-math.Log(9)) > 1e-3 {
		t.Fatalf("NLL at temperature 10⁴ %v, want log 9 = %v", got, math.Log(9))
	}
}

// SeqGAN's L2 regularisation of D's output layer is (λ/2)·(‖w‖² + b²), with
// gradient λ·w and λ·b, and a D step's loss includes it.
func TestOutputPenalty(t *testing.T) {
	rng := tensor.NewRNG(1, "l2")
	d := NewDiscriminator(9, 6, rng)
	var sq float64
	for _, v := range append(append([]float32(nil), d.Output.Weight.Value.Data()...), d.Output.Bias.Value.Data()...) {
		sq += float64(v) * float64(v)
	}
	tp := autograd.NewTape()
	p := OutputPenalty(tp, d, OutputL2Lambda)
	if got, want := float64(p.Value.Item()), OutputL2Lambda/2*sq; math.Abs(got-want) > 1e-6*want {
		t.Fatalf("penalty %v, want %v", got, want)
	}
	tp.Backward(p, d.Output.Weight, d.Output.Bias)
	for i, w := range d.Output.Weight.Value.Data() {
		if g := d.Output.Weight.Grad.Data()[i]; math.Abs(float64(g-OutputL2Lambda*w)) > 1e-7 {
			t.Fatalf("∂/∂w[%d] = %v, want λw = %v", i, g, OutputL2Lambda*w)
		}
	}
	// The same D step with and without the penalty (a learning rate of 0
	// and the same dropout masks): the losses differ by the penalty.
	real, fake := tokens(rng, 4, 6, 9), tokens(rng, 4, 6, 9)
	ps := nn.Vars(d.Parameters())
	loss := func(l2 float32) float64 {
		d.Dropout.RNG = tensor.NewRNG(1, "dropout")
		l, _, _ := dStep(autograd.NewTape(), d, optim.NewSGD(ps, 0, 0), ps, real, fake, l2)
		return l
	}
	if diff := loss(OutputL2Lambda) - loss(0); math.Abs(diff-float64(p.Value.Item())) > 1e-5 {
		t.Fatalf("a D step's loss grows by %v with the penalty, want %v", diff, p.Value.Item())
	}
}

// Maximum-likelihood steps and SeqGAN's rewards are bit-identical at any
// thread count, with sizes large enough that the log-softmax, the bias
// gradients and the element-wise passes are shared among goroutines.
func TestSameAtAnyThreadCount(t *testing.T) {
	var ref [][]float32
	for _, threads := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(threads)
		rng := tensor.NewRNG(1, "threads")
		g, r := NewGenerator(2000, 10, 16, 16, rng), NewGenerator(2000, 10, 16, 16, rng)
		m := NewMLE(g, optim.NewAdam(nn.Vars(g.Parameters()), 0.01, 0.9, 0.999))
		x := tokens(rng, 16, 10, 2000)
		for range 3 {
			m.Step(gan.Batch{X: x})
		}
		s := NewSeqGAN(g, r, NewDiscriminator(2000, 10, rng), m.OptG, optim.NewAdam(nn.Vars(r.Parameters()), 1e-4, 0.5, 0.999),
			tensor.NewRNG(1, "noise"), tensor.NewRNG(1, "dropout"), SeqGANOptions{DSteps: 1, Rollouts: 2, RolloutDelay: 0.8})
		got := [][]float32{s.Rewards(x).Data()}
		for _, p := range g.Parameters() {
			got = append(got, p.Var.Value.Data())
		}
		runtime.GOMAXPROCS(prev)
		if ref == nil {
			ref = got
			continue
		}
		for i := range got {
			if !slices.Equal(got[i], ref[i]) {
				t.Fatalf("%d threads: result %d differs from one thread's", threads, i)
			}
		}
	}
}
