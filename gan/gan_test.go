package gan

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

func toyGAN(loss Loss, lrG, lrD float32) *GAN {
	rng := tensor.NewRNG(1, "init")
	g := nn.NewSequential(nn.NewLinear(4, 16, true, rng), nn.LeakyReLU{Slope: 0.2}, nn.NewLinear(16, 1, true, rng))
	d := nn.NewSequential(nn.NewLinear(1, 16, true, rng), nn.LeakyReLU{Slope: 0.2}, nn.NewLinear(16, 1, true, rng))
	return New(g, d, optim.NewAdam(nn.Vars(g.Parameters()), lrG, 0.5, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), lrD, 0.5, 0.999), loss, 4, tensor.NewRNG(1, "noise"))
}

func snapshot(m nn.Module) []float32 {
	var s []float32
	for _, p := range m.Parameters() {
		s = append(s, p.Value.Data()...)
	}
	return s
}

func equal(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Each half of the step moves only its own network, with both learning
// rates non-zero. Under NCritic 2, steps 1 and 3 update D alone and must
// leave G bit-identical (at step 3 G's optimiser has moments and G has
// gradients from step 2, so a stray G update would move it); every step
// moves D. Step 2 also updates G, which must leave D exactly as its D update
// made it: as a twin GAN's D after the same two steps without a G update
// (NCritic 3). The twin's D updates match only while both have the same G,
// so it is compared up to step 2.
//
// With the relativistic rsgan, whose G update also runs D on the real batch,
// the same holds.
func TestStepUpdatesOnlyItsOwnNetwork(t *testing.T) {
	for _, loss := range []Loss{NonSaturating, RSGAN} {
		stepUpdatesOnlyItsOwnNetwork(t, loss)
	}
}

func stepUpdatesOnlyItsOwnNetwork(t *testing.T, loss Loss) {
	real := tensor.New(8, 1)
	real.Fill(2)
	g, twin := toyGAN(loss, 1e-2, 1e-2), toyGAN(loss, 1e-2, 1e-2)
	g.Options.NCritic, twin.Options.NCritic = 2, 3
	rng, twinRNG := tensor.NewRNG(1, "noise"), tensor.NewRNG(1, "noise")
	for i, updatesG := range []bool{false, true, false} {
		step := i + 1
		g0, d0 := snapshot(g.G), snapshot(g.D)
		if s := g.Update(real, nil, rng); s.GUpdated != updatesG {
			t.Fatalf("%s: step %d: GUpdated = %v, want %v", loss, step, s.GUpdated, updatesG)
		}
		if moved := !equal(g0, snapshot(g.G)); moved != updatesG {
			t.Errorf("%s: step %d: G moved = %v, want %v", loss, step, moved, updatesG)
		}
		if equal(d0, snapshot(g.D)) {
			t.Errorf("%s: step %d: D did not move", loss, step)
		}
		if step > 2 {
			continue
		}
		if s := twin.Update(real, nil, twinRNG); s.GUpdated {
			t.Fatalf("%s: step %d: the twin updated G", loss, step)
		}
		if !equal(snapshot(twin.D), snapshot(g.D)) {
			t.Errorf("%s: step %d: D differs from the twin's, updated without G: the G update moved D", loss, step)
		}
	}
}

// The discriminator loss in the first step is the BCE of the initial D on
// real and fake, recomputed here independently, and D's probabilities are
// the means of the sigmoids.
func TestStepStatistics(t *testing.T) {
	g := toyGAN(NonSaturating, 1e-3, 1e-3)
	real := tensor.New(8, 1)
	real.Fill(2)
	z := g.Noise(8, tensor.NewRNG(1, "noise"))
	tp := autograd.NewTape()
	tp.SetGrad(false)
	fake := g.G.Forward(tp, autograd.Const(z))
	lr := g.D.Forward(tp, autograd.Const(real)).Value.Data()
	lf := g.D.Forward(tp, fake).Value.Data()
	var wantLoss, wantReal, wantFake float64
	for i := range lr {
		pr := 1 / (1 + math.Exp(-float64(lr[i])))
		pf := 1 / (1 + math.Exp(-float64(lf[i])))
		wantLoss += (-math.Log(pr) - math.Log(1-pf)) / 8
		wantReal += pr / 8
		wantFake += pf / 8
	}
	s := g.Update(real, nil, tensor.NewRNG(1, "noise"))
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"loss_d", s.LossD, wantLoss}, {"d_real", s.DReal, wantReal}, {"d_fake", s.DFake, wantFake}} {
		if math.Abs(c.got-c.want) > 1e-5 {
			t.Errorf("%s = %.7f, want %.7f", c.name, c.got, c.want)
		}
	}
	if !s.Finite() {
		t.Fatal("stats not finite")
	}
}

// A toy GAN learns a 1-D Gaussian N(2, 0.25²): the mean of its samples ends
// near 2 with the cross-entropy objectives and the relativistic one.
func TestLearnsOneDimensionalGaussian(t *testing.T) {
	for _, loss := range []Loss{NonSaturating, Minimax, RSGAN} {
		g := toyGAN(loss, 2e-3, 2e-3)
		data := tensor.NewRNG(1, "data")
		noise := tensor.NewRNG(1, "noise")
		real := tensor.New(64, 1)
		for step := 0; step < 1500; step++ {
			data.Normal(real, 2, 0.25)
			if s := g.Update(real, nil, noise); !s.Finite() {
				t.Fatalf("%s: step %d: non-finite stats %+v", loss, step, s)
			}
		}
		out := g.Sample(g.Noise(2000, tensor.NewRNG(2, "eval")))
		mean := out.Sum() / float64(out.Len())
		if math.Abs(mean-2) > 0.25 {
			t.Errorf("%s: sample mean %.3f, want 2 ± 0.25", loss, mean)
		}
	}
}

func TestParseLoss(t *testing.T) {
	for _, s := range []string{"ns", "minimax"} {
		if l, err := ParseLoss(s); err != nil || string(l) != s {
			t.Errorf("ParseLoss(%q) = %q, %v", s, l, err)
		}
	}
	if _, err := ParseLoss("wasserstein"); err == nil {
		t.Error("ParseLoss accepted an unknown loss")
	}
}

func TestNCriticClipAndEMA(t *testing.T) {
	g := toyGAN(WGAN, 1e-2, 1e-2)
	g.Options = Options{NCritic: 3, Clip: 0.05, EMABeta: 0.5}
	g.GEMA = toyGAN(WGAN, 0, 0).G
	ema0 := snapshot(g.GEMA)
	real := tensor.New(8, 1)
	real.Fill(2)
	noise := tensor.NewRNG(1, "noise")
	for call := 1; call <= 6; call++ {
		g0 := snapshot(g.G)
		s := g.Update(real, nil, noise)
		moved := !equal(g0, snapshot(g.G))
		if want := call%3 == 0; moved != want || s.GUpdated != want {
			t.Fatalf("call %d: G moved %v, GUpdated %v; want %v", call, moved, s.GUpdated, want)
		}
		for _, p := range g.D.Parameters() {
			for _, v := range p.Value.Data() {
				if v < -0.05 || v > 0.05 {
					t.Fatalf("call %d: D weight %g outside the clip range", call, v)
				}
			}
		}
	}
	if equal(snapshot(g.GEMA), ema0) {
		t.Fatal("EMA generator never moved")
	}
	if b := EMABeta(64, 10); math.Abs(b-math.Pow(0.5, 64.0/10000)) > 1e-15 {
		t.Fatalf("EMABeta(64, 10) = %v", b)
	}
}

func TestEMAUpdateRule(t *testing.T) {
	a, b := toyGAN(NonSaturating, 0, 0).G, toyGAN(NonSaturating, 0, 0).G
	for _, p := range b.Parameters() {
		p.Value.Fill(1)
	}
	for _, p := range a.Parameters() {
		p.Value.Fill(3)
	}
	UpdateEMA(a, b, 0.75)
	for _, v := range snapshot(a) {
		if v != 2.5 {
			t.Fatalf("EMA weight %g, want 0.75·3 + 0.25·1 = 2.5", v)
		}
	}
}

// bnGAN is toyGAN with BatchNorm in the generator and a moving average of
// it.
func bnGAN() *GAN {
	gen := func() nn.Module {
		rng := tensor.NewRNG(1, "init")
		return nn.NewSequential(nn.NewLinear(4, 16, true, rng), nn.NewBatchNorm1d(16), nn.LeakyReLU{Slope: 0.2}, nn.NewLinear(16, 1, true, rng))
	}
	g := toyGAN(NonSaturating, 1e-2, 1e-2)
	g.G = gen()
	g.GEMA = gen()
	g.OptG = optim.NewAdam(nn.Vars(g.G.Parameters()), 1e-2, 0.5, 0.999)
	g.gParams = nn.Vars(g.G.Parameters())
	g.Options.EMABeta = 0.9
	return g
}

// Settle gives the moving average the statistics of its own activations,
// the same from the same stream, without changing training.
func TestSettle(t *testing.T) {
	g, twin := bnGAN(), bnGAN()
	real := tensor.New(8, 1)
	real.Fill(2)
	noise, twinNoise := tensor.NewRNG(1, "data"), tensor.NewRNG(1, "data")
	for range 3 {
		g.Update(real, nil, noise)
		twin.Update(real, nil, twinNoise)
	}
	// The average's first layer far from G's, as after a long run: the
	// statistics UpdateEMA copied from G no longer fit it.
	first := g.GEMA.(*nn.Sequential).Layers[0].(*nn.Linear)
	w := first.Weight.Value.Data()
	kept := append([]float32(nil), w...)
	for i := range w {
		w[i] *= 3
	}
	bn := g.GEMA.(*nn.Sequential).Layers[1].(*nn.BatchNorm)
	// The average's own pre-BatchNorm statistics over many noise vectors.
	z := tensor.New(20000, 4)
	tensor.NewRNG(2, "z").Normal(z, 0, 1)
	tp := autograd.NewTape()
	tp.SetGrad(false)
	h := first.Forward(tp, tp.Const(z)).Value
	var mean, meanSq float64
	d := h.Data()
	for i := range 20000 {
		v := float64(d[i*16])
		mean += v / 20000
		meanSq += v * v / 20000
	}
	variance := meanSq - mean*mean
	off := func() float64 { return math.Abs(float64(bn.RunningVar.Data()[0])/variance - 1) }
	if off() < 0.5 {
		t.Fatalf("before Settle the running variance %g is already within 50%% of the average's %g: the test sees nothing", bn.RunningVar.Data()[0], variance)
	}
	g.Settle(8, tensor.NewRNG(1, "settle"))
	if off() > 0.1 {
		t.Errorf("after Settle the running variance is %g, want the average's own %g within 10%%", bn.RunningVar.Data()[0], variance)
	}
	if m := float64(bn.RunningMean.Data()[0]); math.Abs(m-mean) > 0.1*math.Sqrt(variance) {
		t.Errorf("after Settle the running mean is %g, want the average's own %g", m, mean)
	}
	settled := append([]float32(nil), bn.RunningVar.Data()...)
	g.settled = 0 // as a resumed run's GAN, which has not settled yet
	g.Settle(8, tensor.NewRNG(1, "settle"))
	if !equal(settled, bn.RunningVar.Data()) {
		t.Error("Settle from the same stream gave different statistics")
	}
	copy(w, kept)
	for range 3 {
		g.Update(real, nil, noise)
		twin.Update(real, nil, twinNoise)
	}
	for _, m := range [][2]nn.Module{{g.G, twin.G}, {g.D, twin.D}, {g.GEMA, twin.GEMA}} {
		if !equal(snapshot(m[0]), snapshot(m[1])) {
			t.Fatal("Settle changed training")
		}
	}
}
