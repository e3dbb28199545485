package metrics

import (
	"math"
	"slices"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

func TestSortFloat32MatchesSlicesSort(t *testing.T) {
	rng := tensor.NewRNG(1, "radix")
	for _, n := range []int{0, 1, 2, 7, 1000, 70000} {
		v := make([]float32, n)
		for i := range v {
			switch i % 7 {
			case 0:
				v[i] = float32(rng.Norm() * 1e-30)
			case 1:
				v[i] = float32(rng.Norm() * 1e30)
			case 2:
				v[i] = float32(math.Copysign(0, rng.Norm()))
			case 3:
				v[i] = float32(math.Inf(int(rng.IntN(2))*2 - 1))
			default:
				v[i] = float32(rng.Norm())
			}
		}
		want := slices.Clone(v)
		slices.Sort(want)
		sortFloat32(v, make([]uint32, n), make([]uint32, n))
		for i := range v {
			if v[i] != want[i] || math.Signbit(float64(v[i])) != math.Signbit(float64(want[i])) && v[i] != 0 {
				t.Fatalf("n = %d: element %d is %g, want %g", n, i, v[i], want[i])
			}
		}
		if !slices.IsSorted(v) {
			t.Fatalf("n = %d: not sorted", n)
		}
	}
}
