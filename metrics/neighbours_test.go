package metrics

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// kNearestLoop is kNearest by a loop over every pair, in float64.
func kNearestLoop(a, b *Features, k int, self bool) (dist []float64, idx []int) {
	for i := range a.n {
		type cand struct {
			d float64
			j int
		}
		var c []cand
		for j := range b.n {
			if !self || j != i {
				c = append(c, cand{sqDist(a.Row(i), b.Row(j)), j})
			}
		}
		slices.SortStableFunc(c, func(x, y cand) int {
			if x.d < y.d {
				return -1
			}
			if x.d > y.d {
				return 1
			}
			return 0
		})
		for _, x := range c[:k] {
			dist, idx = append(dist, x.d), append(idx, x.j)
		}
	}
	return dist, idx
}

// scaled returns f with every value multiplied by s and shifted by t.
func scaled(f *Features, s, t float64) *Features {
	data := make([]float64, len(f.data))
	for i, v := range f.data {
		data[i] = s*v + t
	}
	g, err := NewFeatures(f.name, data, f.n, f.d)
	if err != nil {
		panic(err)
	}
	return g
}

// withDuplicates returns f with rows 0 … n−1 repeated at its end.
func withDuplicates(f *Features, n int) *Features {
	g, err := NewFeatures(f.name, slices.Concat(f.data, f.data[:n*f.d]), f.n+n, f.d)
	if err != nil {
		panic(err)
	}
	return g
}

func neighbourCases() []struct {
	name string
	a, b *Features
} {
	rng := tensor.NewRNG(9, "neighbours")
	g := normal("g", 300, 16, 0, 1, rng)
	return []struct {
		name string
		a, b *Features
	}{
		{"gaussians", normal("a", 300, 16, 0, 1, rng), normal("b", 400, 16, 0.2, 1.1, rng)},
		// More than one block of rows and of columns.
		{"blocks", normal("a", 270, 2, 0, 1, rng), normal("b", 8500, 2, 0, 1, rng)},
		{"integer grid with ties", grid("a", 200, 3, 4, rng), grid("b", 250, 3, 5, rng)},
		{"duplicate rows", withDuplicates(g, 40), withDuplicates(normal("b", 200, 16, 0, 1, rng), 60)},
		// Norms far larger than the distances: the bound is wide and most
		// distances are computed exactly.
		{"offset", scaled(g, 0.01, 100), scaled(normal("b", 200, 16, 0, 1, rng), 0.01, 100)},
		{"tiny values", scaled(g, 1e-30, 0), scaled(normal("b", 200, 16, 0, 1, rng), 1e-30, 0)},
		// Each set has its own scale.
		{"different scales", scaled(g, 1e-3, 0), scaled(normal("b", 200, 16, 0, 1, rng), 1e5, 0)},
		// Too large to scale into float32: every distance is exact.
		{"huge values", scaled(g, 1e130, 0), scaled(normal("b", 200, 16, 0, 1, rng), 1e130, 0)},
		{"zeros", scaled(g, 0, 0), scaled(normal("b", 100, 16, 0, 1, rng), 0, 0)},
	}
}

func TestScreenBracketsDistances(t *testing.T) {
	for _, tt := range neighbourCases() {
		t.Run(tt.name, func(t *testing.T) {
			s := newScreen(prepare(tt.a), prepare(tt.b))
			bad := make([]int, workers())
			s.sweep(func(w, i, j0 int, lo, hi []float64) {
				for k := range lo {
					if d := sqDist(tt.a.Row(i), tt.b.Row(j0+k)); !(lo[k] <= d && d <= hi[k]) {
						bad[w]++
					}
				}
			})
			for _, n := range bad {
				if n > 0 {
					t.Fatalf("%d distances outside their interval", n)
				}
			}
		})
	}
}

func TestKNearestMatchesLoop(t *testing.T) {
	for _, tt := range neighbourCases() {
		for _, c := range []struct {
			b    *Features
			k    int
			self bool
		}{{tt.b, 1, false}, {tt.b, 5, false}, {tt.a, 1, true}, {tt.a, 4, true}} {
			t.Run(fmt.Sprintf("%s/k=%d/self=%v", tt.name, c.k, c.self), func(t *testing.T) {
				gotD, gotI := kNearest(prepare(tt.a), prepare(c.b), c.k, c.self)
				wantD, wantI := kNearestLoop(tt.a, c.b, c.k, c.self)
				if !slices.Equal(gotD, wantD) || !slices.Equal(gotI, wantI) {
					t.Errorf("k = %d, self %v: the k nearest differ from the loop over every pair", c.k, c.self)
				}
			})
		}
	}
}

func TestKNearestIndependentOfGoroutines(t *testing.T) {
	rng := tensor.NewRNG(10, "neighbours")
	a, b := normal("a", 600, 24, 0, 1, rng), normal("b", 700, 24, 0, 1, rng)
	var dists [][]float64
	var idxs [][]int
	for _, procs := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		d, i := kNearest(prepare(a), prepare(b), 3, false)
		runtime.GOMAXPROCS(prev)
		dists, idxs = append(dists, d), append(idxs, i)
	}
	for p := 1; p < 3; p++ {
		if !slices.Equal(dists[0], dists[p]) || !slices.Equal(idxs[0], idxs[p]) {
			t.Errorf("kNearest with %d goroutines differs from 1", p+1)
		}
	}
}

func TestNearestDistancesMatchesLoop(t *testing.T) {
	for _, tt := range neighbourCases() {
		t.Run(tt.name, func(t *testing.T) {
			idx := make([]int, tt.a.n)
			got := nearestDistances(prepare(tt.a), prepare(tt.b), idx)
			wantD, wantI := kNearestLoop(tt.a, tt.b, 1, false)
			for i := range got {
				if idx[i] != wantI[i] || got[i] != math.Sqrt(wantD[i]) {
					t.Fatalf("row %d: nearest %d at %g, loop %d at %g", i, idx[i], got[i], wantI[i], math.Sqrt(wantD[i]))
				}
			}
		})
	}
}
