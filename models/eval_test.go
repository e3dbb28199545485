package models

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// evalForward returns m's output for x in evaluation mode, without
// recording, on a tape of its own.
func evalForward(m nn.Module, x *tensor.Tensor) *tensor.Tensor {
	tp := autograd.NewTape()
	tp.SetTraining(false)
	tp.SetGrad(false)
	return m.Forward(tp, tp.Const(x)).Value
}

// trainForward runs one training-mode forward of m on x and returns its
// output.
func trainForward(m nn.Module, x *tensor.Tensor) *tensor.Tensor {
	return m.Forward(autograd.NewTape(), autograd.Const(x)).Value
}

// snapshot returns a copy of m's state dict.
func snapshot(m nn.Module) map[string]*tensor.Tensor {
	sd := make(map[string]*tensor.Tensor)
	for name, v := range nn.StateDict(m) {
		sd[name] = v.Clone()
	}
	return sd
}

// firstBitDifference returns the first index where a and b differ in any
// bit, or −1 when they are identical.
func firstBitDifference(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// checkState fails t unless m's state dict equals want bit for bit.
func checkState(t *testing.T, what string, m nn.Module, want map[string]*tensor.Tensor) {
	t.Helper()
	for name, v := range nn.StateDict(m) {
		if i := firstBitDifference(v.Data(), want[name].Data()); i >= 0 {
			t.Fatalf("%s changed %s at %d", what, name, i)
		}
	}
}

// evaluationCases are networks with state that a training-mode forward
// writes (BatchNorm's running statistics, spectral normalisation's u and
// v) and Dropout, each with the shape of its input.
func evaluationCases() []struct {
	name  string
	m     nn.Module
	input []int
} {
	rng := tensor.NewRNG(1, "evaluation")
	return []struct {
		name  string
		m     nn.Module
		input []int
	}{
		{"DCGANGenerator", DCGANGenerator(16, 1, true, rng), []int{4, 16}},
		{"spectral discriminator with BatchNorm and Dropout", nn.NewSequential(
			nn.SpectralNorm(nn.NewConv2d(1, 8, 4, 2, 1, false, rng), rng), nn.NewBatchNorm2d(8), nn.LeakyReLU{Slope: 0.2},
			nn.Flatten{}, nn.NewDropout(0.3, tensor.NewRNG(1, "dropout")),
			nn.SpectralNorm(nn.NewLinear(8*14*14, 1, true, rng), rng)), []int{4, 1, 28, 28}},
	}
}

// TestConcurrentEvaluationForwards runs evaluation-mode forwards of
// different inputs on one shared network from 8 goroutines at once, after
// a few training-mode forwards have moved its state: every output equals
// the serial one bit for bit and the network's state is unchanged. Run it
// with -race.
func TestConcurrentEvaluationForwards(t *testing.T) {
	const goroutines, perGoroutine, warm = 8, 3, 3
	for _, c := range evaluationCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(2, c.name)
			for range warm {
				x := tensor.New(c.input...)
				rng.Uniform(x, -1, 1)
				trainForward(c.m, x)
			}
			inputs := make([]*tensor.Tensor, goroutines*perGoroutine)
			want := make([]*tensor.Tensor, len(inputs))
			for i := range inputs {
				inputs[i] = tensor.New(c.input...)
				rng.Uniform(inputs[i], -1, 1)
			}
			before := snapshot(c.m)
			for i, x := range inputs {
				want[i] = evalForward(c.m, x).Clone()
			}
			checkState(t, "a serial evaluation-mode forward", c.m, before)

			got := make([]*tensor.Tensor, len(inputs))
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range perGoroutine {
						i := g*perGoroutine + k
						got[i] = evalForward(c.m, inputs[i])
					}
				}()
			}
			wg.Wait()
			for i := range inputs {
				if j := firstBitDifference(got[i].Data(), want[i].Data()); j >= 0 {
					t.Fatalf("input %d: concurrent output differs from the serial one at %d: %g, want %g",
						i, j, got[i].Data()[j], want[i].Data()[j])
				}
			}
			checkState(t, "concurrent evaluation-mode forwards", c.m, before)
		})
	}
}

// TestTrainingAfterEvaluation checks that evaluation-mode forwards leave a
// network's next training-mode forward as it would have been without them:
// two copies warmed up alike, one of them also run in evaluation mode, give
// the same training-mode output and the same state afterwards, and that
// forward moves the running statistics, counts the batch and runs the power
// iteration.
func TestTrainingAfterEvaluation(t *testing.T) {
	plains, evaluated := evaluationCases(), evaluationCases()
	for i, plain := range plains {
		t.Run(plain.name, func(t *testing.T) {
			m := evaluated[i].m
			rng := tensor.NewRNG(3, plain.name)
			x := tensor.New(plain.input...)
			rng.Uniform(x, -1, 1)
			trainForward(plain.m, x)
			trainForward(m, x)
			evalForward(m, x)
			before := snapshot(m)
			rng.Uniform(x, -1, 1)
			want := trainForward(plain.m, x)
			got := trainForward(m, x)
			if j := firstBitDifference(got.Data(), want.Data()); j >= 0 {
				t.Fatalf("training-mode output after an evaluation-mode forward differs at %d: %g, want %g", j, got.Data()[j], want.Data()[j])
			}
			checkState(t, "an evaluation-mode forward", m, snapshot(plain.m))
			spectral, iterated := 0, 0
			for name, v := range nn.StateDict(m) {
				changed := firstBitDifference(v.Data(), before[name].Data()) >= 0
				switch {
				case strings.HasSuffix(name, "num_batches_tracked"):
					if got, want := v.Item(), before[name].Item()+1; got != want {
						t.Errorf("%s = %g after a training-mode forward, want %g", name, got, want)
					}
				case strings.HasSuffix(name, "running_mean"), strings.HasSuffix(name, "running_var"):
					if !changed {
						t.Errorf("a training-mode forward left %s unchanged", name)
					}
				case strings.HasSuffix(name, "weight_u"), strings.HasSuffix(name, "weight_v"):
					spectral++
					if changed {
						iterated++
					}
				}
			}
			// A layer's u and v may have converged already, but not
			// every layer's.
			if spectral > 0 && iterated == 0 {
				t.Error("a training-mode forward ran no power iteration")
			}
		})
	}
}
