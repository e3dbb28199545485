package models

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// recipe returns the GAN of the reference recipe (README.md, "What nash train
// does") for tests and benchmarks.
func recipe(seed uint64) *gan.GAN {
	rng := tensor.NewRNG(seed, "init")
	g := MLPGenerator(100, []int{256, 512}, 784, rng)
	d := MLPDiscriminator(784, []int{512, 256}, rng)
	return gan.New(g, d, optim.NewAdam(nn.Vars(g.Parameters()), 2e-4, 0.5, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), 2e-4, 0.5, 0.999), gan.NonSaturating, 100, tensor.NewRNG(1, "noise"))
}

func TestRecipeShapesAndNames(t *testing.T) {
	r := recipe(1)
	want := map[string][]int{"0.weight": {256, 100}, "0.bias": {256}, "2.weight": {512, 256}, "4.weight": {784, 512}, "4.bias": {784}}
	sd := nn.StateDict(r.G)
	if len(sd) != 6 {
		t.Fatalf("generator has %d tensors, want 6", len(sd))
	}
	for name, shape := range want {
		if !tensor.EqualShapes(sd[name].Shape(), shape) {
			t.Errorf("generator %s shape %v, want %v", name, sd[name].Shape(), shape)
		}
	}
	out := r.Sample(r.Noise(3, tensor.NewRNG(1, "z")))
	if !tensor.EqualShapes(out.Shape(), []int{3, 784}) {
		t.Fatalf("sample shape %v", out.Shape())
	}
	for _, v := range out.Data() {
		if v < -1 || v > 1 {
			t.Fatalf("tanh output %g outside [-1, 1]", v)
		}
	}
}

// benchmarkStep times r's training step on a fixed batch of the given
// shape after three warm-up steps, reporting ms/step, GFLOP/s and
// allocations.
func benchmarkStep(b *testing.B, r *gan.GAN, shape ...int) {
	real := tensor.New(shape...)
	tensor.NewRNG(1, "data").Uniform(real, -1, 1)
	noise := tensor.NewRNG(1, "noise")
	for range 3 {
		r.Update(real, nil, noise)
	}
	f0 := tensor.MatMulFLOPs()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Update(real, nil, noise)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/step")
	b.ReportMetric(float64(tensor.MatMulFLOPs()-f0)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkRecipeStep(b *testing.B) { benchmarkStep(b, recipe(1), 64, 784) }

// A warm recipe step allocates nothing, as the training loop takes it
// (Game.Step) or directly (Update): the tape recycles its variables, nodes
// and tensors, and the noise buffer and the statistics are reused.
func TestRecipeStepAllocatesNothing(t *testing.T) {
	if raceEnabled() {
		t.Skip("the race detector makes sync.Pool drop items, so the GEMM workspaces are reallocated")
	}
	r := recipe(3)
	real := tensor.New(64, 784)
	tensor.NewRNG(3, "data").Uniform(real, -1, 1)
	noise := tensor.NewRNG(3, "noise")
	for range 2 {
		r.Update(real, nil, noise)
	}
	if n := testing.AllocsPerRun(5, func() { r.Update(real, nil, noise) }); n != 0 {
		t.Errorf("a warm step allocates %v times, want 0", n)
	}
	var game gan.Game = r
	batch := gan.Batch{X: real}
	game.Step(batch)
	if n := testing.AllocsPerRun(5, func() { game.Step(batch) }); n != 0 {
		t.Errorf("a warm Game.Step allocates %v times, want 0", n)
	}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// checkDeterministic trains the GAN that build returns for steps steps on a
// fixed batch shaped like real, with 1, 2 and 3 goroutines, and fails unless
// the weights are bit-identical: same seed, same result at any thread count.
func checkDeterministic(t *testing.T, build func() *gan.GAN, shape []int, steps int) {
	t.Helper()
	var ref []float32
	for _, threads := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(threads)
		r := build()
		real := tensor.New(shape...)
		tensor.NewRNG(5, "data").Uniform(real, -1, 1)
		noise := tensor.NewRNG(5, "noise")
		for range steps {
			r.Update(real, nil, noise)
		}
		runtime.GOMAXPROCS(prev)
		var w []float32
		for _, m := range []nn.Module{r.G, r.D} {
			for _, p := range m.Parameters() {
				w = append(w, p.Value.Data()...)
			}
		}
		if ref == nil {
			ref = w
			continue
		}
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("%d threads: weight %d = %g, with 1 thread %g", threads, i, w[i], ref[i])
			}
		}
	}
}

func TestRecipeDeterministicAcrossThreads(t *testing.T) {
	checkDeterministic(t, func() *gan.GAN { return recipe(5) }, []int{64, 784}, 3)
}
