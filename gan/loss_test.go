package gan

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/internal/gradcheck"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

func vec(v ...float32) *autograd.Var { return autograd.NewVar(tensor.FromSlice(v, len(v), 1), true) }

func close(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s[%d] = %.7g, want %.7g", what, i, got[i], want[i])
		}
	}
}

// The objectives on D outputs real = (1, −2), fake = (0.5, 3): values and
// gradients computed by hand (in float64, from the formulas in loss.go's
// documentation).
func TestObjectivesByHand(t *testing.T) {
	cases := []struct {
		loss         Loss
		smoothing    float32
		d            float64
		dReal, dFake []float64
		g            float64
		gFake        []float64
		gReal        []float64 // ∂L_G/∂D(x): zero but for the relativistic objective
	}{
		{NonSaturating, 0, 3.231427017, []float64{-0.134470711, -0.440398539}, []float64{0.311229666, 0.476287063},
			0.261332168, []float64{-0.188770334, -0.023712937}, nil},
		{NonSaturating, 0.1, 3.181427017, []float64{-0.084470711, -0.390398539}, []float64{0.311229666, 0.476287063},
			0.261332168, []float64{-0.188770334, -0.023712937}, nil},
		{Minimax, 0, 3.231427017, []float64{-0.134470711, -0.440398539}, []float64{0.311229666, 0.476287063},
			-2.011332168, []float64{-0.311229666, -0.476287063}, nil},
		{LeastSquares, 0, 4.5625, []float64{0, -1.5}, []float64{0.25, 1.5}, 1.0625, []float64{-0.25, 1}, nil},
		{WGAN, 0, 2.25, []float64{-0.5, -0.5}, []float64{0.5, 0.5}, -1.75, []float64{-0.5, -0.5}, nil},
		{WGANGP, 0, 2.25, []float64{-0.5, -0.5}, []float64{0.5, 0.5}, -1.75, []float64{-0.5, -0.5}, nil},
		{Hinge, 0, 4.25, []float64{0, -0.5}, []float64{0.5, 0.5}, -1.75, []float64{-0.5, -0.5}, nil},
		// L_D = ½Σ softplus(f − r), L_G = ½Σ softplus(r − f) over the pairs
		// r − f = (0.5, −5); ∂/∂r of L_D is −½σ(f − r), of L_G ½σ(r − f).
		{RSGAN, 0, 2.740396166, []float64{-0.188770334, -0.496653575}, []float64{0.188770334, 0.496653575},
			0.490396166, []float64{-0.311229666, -0.003346425}, []float64{0.311229666, 0.003346425}},
	}
	for _, c := range cases {
		tp := autograd.NewTape()
		real, fake := vec(1, -2), vec(0.5, 3)
		ld := DiscriminatorLoss(tp, c.loss, real, fake, c.smoothing)
		close(t, string(c.loss)+" L_D", ld.Value.Data(), []float64{c.d})
		g := tp.Grad([]*autograd.Var{ld}, nil, []*autograd.Var{real, fake}, false)
		close(t, string(c.loss)+" ∂L_D/∂D(x)", g[0].Value.Data(), c.dReal)
		close(t, string(c.loss)+" ∂L_D/∂D(G(z))", g[1].Value.Data(), c.dFake)
		lg := GeneratorLoss(tp, c.loss, real, fake)
		close(t, string(c.loss)+" L_G", lg.Value.Data(), []float64{c.g})
		gg := tp.Grad([]*autograd.Var{lg}, nil, []*autograd.Var{fake, real}, false)
		close(t, string(c.loss)+" ∂L_G/∂D(G(z))", gg[0].Value.Data(), c.gFake)
		if c.gReal == nil {
			c.gReal = []float64{0, 0}
		}
		close(t, string(c.loss)+" ∂L_G/∂D(x)", gg[1].Value.Data(), c.gReal)
	}
}

// Only rsgan is relativistic: its generator loss refuses to run without
// real outputs, and both its losses refuse batches that cannot be paired.
func TestRelativisticNeedsPairs(t *testing.T) {
	for _, l := range Losses {
		if l.Relativistic() != (l == RSGAN) {
			t.Errorf("%s.Relativistic() = %v", l, l.Relativistic())
		}
	}
	for name, f := range map[string]func(){
		"no real outputs": func() { GeneratorLoss(autograd.NewTape(), RSGAN, nil, vec(1, 2)) },
		"unpaired D loss": func() { DiscriminatorLoss(autograd.NewTape(), RSGAN, vec(1, 2, 3), vec(1, 2), 0) },
		"unpaired G loss": func() { GeneratorLoss(autograd.NewTape(), RSGAN, vec(1, 2, 3), vec(1, 2)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rsgan with %s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// linearD returns D(x) = x·wᵀ + b with w = (1, 2, 2), so ∇ₓD = w everywhere
// and ‖∇ₓD‖ = 3.
func linearD() *nn.Linear {
	d := nn.NewLinear(3, 1, true, tensor.NewRNG(1, "init"))
	copy(d.Weight.Value.Data(), []float32{1, 2, 2})
	return d
}

func TestGradientPenaltyByHand(t *testing.T) {
	d := linearD()
	real, fake := tensor.New(4, 3), tensor.New(4, 3)
	tensor.NewRNG(1, "x").Uniform(real, -1, 1)
	tp := autograd.NewTape()
	// λ(‖w‖ − 1)² = 10·(3 − 1)² = 40; ∂/∂w = 2λ(‖w‖ − 1)·w/‖w‖ = (40/3)·w.
	p := GradientPenalty(tp, d, real, fake, 10, tensor.NewRNG(1, "alpha"))
	close(t, "gradient penalty", p.Value.Data(), []float64{40})
	tp.Backward(p, d.Weight, d.Bias)
	close(t, "∂GP/∂w", d.Weight.Grad.Data(), []float64{40.0 / 3, 80.0 / 3, 80.0 / 3})
	if d.Bias.Grad != nil {
		t.Errorf("the penalty does not depend on the bias, yet it got gradient %v", d.Bias.Grad.Data())
	}
}

func TestR1PenaltyByHand(t *testing.T) {
	d := linearD()
	real := tensor.New(4, 3)
	tensor.NewRNG(1, "x").Uniform(real, -1, 1)
	tp := autograd.NewTape()
	// (γ/2)‖w‖² = 9 with γ = 2; ∂/∂w = γ·w.
	p, out := R1Penalty(tp, d, real, 2)
	close(t, "R1", p.Value.Data(), []float64{9})
	if !tensor.EqualShapes(out.Shape(), []int{4, 1}) {
		t.Fatalf("R1Penalty's D output has shape %v", out.Shape())
	}
	tp.Backward(p, d.Weight)
	close(t, "∂R1/∂w", d.Weight.Grad.Data(), []float64{2, 4, 4})
}

// The gradient penalty's gradient with respect to an MLP critic's weights
// (a second derivative of D) against finite differences of the penalty.
func TestGradientPenaltySecondOrder(t *testing.T) {
	rng := tensor.NewRNG(2, "init")
	d := nn.NewSequential(nn.NewLinear(5, 7, true, rng), nn.Tanh{}, nn.NewLinear(7, 1, true, rng))
	real, fake := tensor.New(6, 5), tensor.New(6, 5)
	rng.Uniform(real, -1, 1)
	rng.Uniform(fake, -1, 1)
	penalty := func(tp *autograd.Tape) *autograd.Var {
		return GradientPenalty(tp, d, real, fake, 10, tensor.NewRNG(3, "alpha"))
	}
	tp := autograd.NewTape()
	params := nn.Vars(d.Parameters())
	tp.Backward(penalty(tp), params...)
	checked := 0
	for _, p := range params {
		want := gradcheck.Numeric(p.Value.Data(), func() float64 {
			return float64(penalty(autograd.NewTape()).Value.Item())
		}, 1e-2)
		got := make([]float32, len(want))
		if p.Grad != nil {
			got = p.Grad.Data()
		}
		if j := gradcheck.Mismatch(got, want, 5e-3, 5e-3); j >= 0 {
			t.Fatalf("∂GP/∂w: analytic %.6g, numeric %.6g", got[j], want[j])
		}
		checked += len(want)
	}
	if checked != 5*7+7+7+1 {
		t.Fatalf("checked %d weights", checked)
	}
}

// The mode-seeking term by hand, and its gradient with respect to a
// generator's weights against finite differences.
func TestModeSeeking(t *testing.T) {
	rng := tensor.NewRNG(4, "init")
	g := nn.NewSequential(nn.NewLinear(3, 5, true, rng), nn.Tanh{}, nn.NewLinear(5, 2, true, rng))
	z := tensor.New(5, 3) // an odd batch: the last row is left out
	rng.Normal(z, 0, 1)
	lambda := tensor.New()
	lambda.Data()[0] = 0.7
	term := func(tp *autograd.Tape) *autograd.Var {
		return ModeSeeking(tp, g.Forward(tp, tp.Const(z)), z, lambda)
	}
	tp := autograd.NewTape()
	out := term(tp)
	f := g.Forward(autograd.NewTape(), autograd.Const(z)).Value.Data()
	zs := z.Data()
	var df, dz float64
	for i := range 4 {
		df += math.Abs(float64(f[4+i]-f[i])) / 4
	}
	for i := range 6 {
		dz += math.Abs(float64(zs[6+i]-zs[i])) / 6
	}
	close(t, "mode-seeking term", out.Value.Data(), []float64{0.7 / (df/dz + 1e-5)})
	params := nn.Vars(g.Parameters())
	tp.Backward(out, params...)
	for _, p := range params {
		want := gradcheck.Numeric(p.Value.Data(), func() float64 {
			return float64(term(autograd.NewTape()).Value.Item())
		}, 1e-2)
		if j := gradcheck.Mismatch(p.Grad.Data(), want, 5e-3, 5e-3); j >= 0 {
			t.Fatalf("∂/∂w: analytic %.6g, numeric %.6g", p.Grad.Data()[j], want[j])
		}
	}
}
