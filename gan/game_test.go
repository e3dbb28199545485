package gan

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// The classic game names its networks, optimisers, streams and statistics
// as checkpoints and metrics.jsonl know them, with generator_ema only when
// the moving average is kept, and samples from it then.
func TestClassicGameNames(t *testing.T) {
	for _, ema := range []bool{false, true} {
		g := toyGAN(NonSaturating, 1e-3, 1e-3)
		want := []string{GeneratorName, DiscriminatorName}
		modules := []any{g.G, g.D}
		if ema {
			g.GEMA = toyGAN(NonSaturating, 0, 0).G
			want = append(want, GeneratorEMAName)
			modules = append(modules, g.GEMA)
		}
		var names []string
		for i, n := range g.Networks() {
			names = append(names, n.Name)
			if i < len(modules) && n.Module != modules[i] {
				t.Errorf("ema %v: network %q is not the GAN's", ema, n.Name)
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("ema %v: networks %q, want %q", ema, names, want)
		}
		gen, genName := nn.Module(g.G), GeneratorName
		if ema {
			gen, genName = g.GEMA, GeneratorEMAName
		}
		if g.Generator() != gen {
			t.Errorf("ema %v: Generator is not the %s", ema, genName)
		}
		names = nil
		for _, o := range g.Optimizers() {
			names = append(names, o.Name)
		}
		if want := []string{"optim_g", "optim_d"}; !slices.Equal(names, want) {
			t.Errorf("optimisers %q, want %q", names, want)
		}
		if o := g.Optimizers(); o[0].Optimizer != g.OptG || o[1].Optimizer != g.OptD {
			t.Error("the optimisers are not the GAN's OptG and OptD")
		}
		if s := g.Streams(); len(s) != 1 || s[0].Name != NoiseStream || s[0].RNG != g.RNG || NoiseStream != "noise" {
			t.Errorf("streams %+v, want the noise stream RNG", s)
		}
		names = nil
		for _, s := range g.Statistics() {
			names = append(names, s.Key)
		}
		if want := []string{"loss_d", "loss_g", "d_real", "d_fake"}; !slices.Equal(names, want) {
			t.Errorf("statistics %q, want %q", names, want)
		}
	}
}

// Step is Update with the game's noise stream: a GAN stepped through Game
// reports, in Statistics' order, what a twin built identically reports
// through Update with the same stream, and ends with the same weights; an
// unconditional game ignores the batch's labels.
func TestStepIsUpdate(t *testing.T) {
	real := tensor.New(8, 1)
	tensor.NewRNG(3, "data").Normal(real, 2, 0.25)
	labels := tensor.New(8)
	g, twin := toyGAN(NonSaturating, 1e-2, 1e-2), toyGAN(NonSaturating, 1e-2, 1e-2)
	g.Options.NCritic, twin.Options.NCritic = 2, 2
	rng := tensor.NewRNG(1, "noise")
	for step := 1; step <= 4; step++ {
		got := slices.Clone(g.Step(Batch{X: real, Labels: labels}))
		s := twin.Update(real, nil, rng)
		byKey := map[string]float64{"loss_d": s.LossD, "loss_g": s.LossG, "d_real": s.DReal, "d_fake": s.DFake}
		stats := g.Statistics()
		if len(got) != len(stats) {
			t.Fatalf("step %d: %d values for %d statistics", step, len(got), len(stats))
		}
		for i, st := range stats {
			if got[i] != byKey[st.Key] {
				t.Errorf("step %d: %s = %v through Step, %v through Update", step, st.Key, got[i], byKey[st.Key])
			}
		}
	}
	if !equal(snapshot(g.G), snapshot(twin.G)) || !equal(snapshot(g.D), snapshot(twin.D)) {
		t.Error("the networks differ after the same steps through Step and Update")
	}
	if g.Progress() != twin.Progress() {
		t.Errorf("progress %+v through Step, %+v through Update", g.Progress(), twin.Progress())
	}
}

// State and SetState carry the game's progress (the step count that
// n_critic counts by, the last G loss); a negative step count and malformed
// JSON are refused.
func TestGameState(t *testing.T) {
	real := tensor.New(8, 1)
	real.Fill(2)
	g := toyGAN(NonSaturating, 1e-2, 1e-2)
	g.Options.NCritic = 2
	for range 3 {
		g.Step(Batch{X: real})
	}
	b, err := g.State()
	if err != nil {
		t.Fatal(err)
	}
	if g.Progress().Steps != 3 || g.Progress().LastLossG == 0 {
		t.Fatalf("progress after 3 steps: %+v", g.Progress())
	}
	other := toyGAN(NonSaturating, 1e-2, 1e-2)
	if err := other.SetState(b); err != nil {
		t.Fatal(err)
	}
	if other.Progress() != g.Progress() {
		t.Fatalf("progress %+v after SetState of %s, want %+v", other.Progress(), b, g.Progress())
	}
	// The restored step count decides the next step: the 4th updates G.
	other.Options.NCritic = 2
	g0 := snapshot(other.G)
	other.Step(Batch{X: real})
	if equal(g0, snapshot(other.G)) {
		t.Error("the 4th step after restoring 3 did not update G under n_critic 2")
	}
	neg, err := json.Marshal(Progress{Steps: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		state []byte
		want  string
	}{{neg, "negative step count"}, {[]byte("{"), ""}} {
		before := other.Progress()
		err := other.SetState(c.state)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetState(%s): %v, want an error containing %q", c.state, err, c.want)
		}
		if other.Progress() != before {
			t.Errorf("SetState(%s) changed the progress to %+v", c.state, other.Progress())
		}
	}
}
