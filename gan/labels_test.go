package gan

import (
	"math"
	"slices"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// PriorLabels gives each class its share of any number of labels to
// within one, and none to a class of size 0; so does every tenth of them
// to within a few, as the Inception score's splits need.
func TestPriorLabels(t *testing.T) {
	sizes := []int{5, 0, 12, 3, 80}
	total := 100
	for _, n := range []int{1, 7, 64, 1000, 9999} {
		labels := PriorLabels(n, sizes).Data()
		counts := make([]int, len(sizes))
		for _, v := range labels {
			counts[int(v)]++
		}
		if n >= 1000 {
			split := labels[n/10 : 2*n/10]
			part := make([]int, len(sizes))
			for _, v := range split {
				part[int(v)]++
			}
			for j, c := range part {
				if share := float64(sizes[j]*len(split)) / float64(total); math.Abs(float64(c)-share) > 3 {
					t.Errorf("n = %d: class %d got %d of the second tenth's %d labels, its share is %.2f", n, j, c, len(split), share)
				}
			}
		}
		for j, c := range counts {
			if share := float64(sizes[j]*n) / float64(total); math.Abs(float64(c)-share) > 1 {
				t.Errorf("n = %d: class %d got %d labels, its share is %.2f", n, j, c, share)
			}
		}
	}
}

// A GAN draws its fake labels uniformly, or in proportion to its class
// sizes when it has them.
func TestFakeLabelsFollowTheClassSizes(t *testing.T) {
	for _, c := range []struct {
		sizes []int
		want  []float64
	}{
		{nil, []float64{1. / 3, 1. / 3, 1. / 3}},
		{[]int{10, 0, 30}, []float64{0.25, 0, 0.75}},
	} {
		g := &GAN{Classes: 3, Options: Options{ClassSizes: c.sizes}}
		const n = 30000
		y := tensor.New(n)
		g.sampleLabels(y, tensor.NewRNG(1, "labels"))
		counts := make([]float64, 3)
		for _, v := range y.Data() {
			counts[int(v)]++
		}
		for j, want := range c.want {
			// Five standard deviations of a binomial count.
			if got := counts[j] / n; math.Abs(got-want) > 5*math.Sqrt(want*(1-want)/n) {
				t.Errorf("sizes %v: class %d drawn %.4f of the time, want %.4f", c.sizes, j, got, want)
			}
		}
	}
}

// ignoresClasses is a Conditional network that ignores its classes.
type ignoresClasses struct{ *nn.Linear }

func (m ignoresClasses) ForwardClasses(tp *autograd.Tape, x, _ *autograd.Var) *autograd.Var {
	return m.Forward(tp, x)
}

func (ignoresClasses) Classes() int { return 5 }

// Under the mode-seeking term the second half of the fake classes repeats
// the first, so that the term compares outputs of the same classes.
func TestModeSeekingPairsTheClasses(t *testing.T) {
	for _, lambda := range []float32{0, 1} {
		rng := tensor.NewRNG(1, "init")
		gen, d := ignoresClasses{nn.NewLinear(2, 3, true, rng)}, ignoresClasses{nn.NewLinear(3, 1, true, rng)}
		g := New(gen, d, optim.NewAdam(nn.Vars(gen.Parameters()), 1e-3, 0.5, 0.999),
			optim.NewAdam(nn.Vars(d.Parameters()), 1e-3, 0.5, 0.999), NonSaturating, 2, tensor.NewRNG(1, "noise"))
		g.Options.ModeSeeking = lambda
		real, labels := tensor.New(9, 3), tensor.New(9)
		g.Update(real, labels, g.RNG)
		y := g.fakeY.Data()
		paired := slices.Equal(y[:4], y[4:8])
		if paired != (lambda > 0) {
			t.Errorf("λ %g: fake classes %v, halves equal %v", lambda, y, paired)
		}
	}
}
