package gan

import (
	"math"
	"testing"

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
