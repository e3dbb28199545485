package dashboard

import (
	"math"
	"slices"
	"testing"
)

// checkKept fails unless idx is strictly ascending, within n rows, and
// keeps the first and last row and every column's smallest and largest
// value.
func checkKept(t *testing.T, idx []int, n int, cols [][]float64) {
	t.Helper()
	if len(idx) == 0 || idx[0] != 0 || idx[len(idx)-1] != n-1 {
		t.Fatalf("first and last kept: %v…", idx[:min(len(idx), 5)])
	}
	for j := 1; j < len(idx); j++ {
		if idx[j] <= idx[j-1] {
			t.Fatalf("indices not strictly ascending at %d: %d, %d", j, idx[j-1], idx[j])
		}
	}
	for c, col := range cols {
		lo, hi := math.Inf(1), math.Inf(-1)
		keptLo, keptHi := math.Inf(1), math.Inf(-1)
		for i, v := range col[:n] {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
			if _, kept := slices.BinarySearch(idx, i); kept && !math.IsNaN(v) {
				keptLo, keptHi = min(keptLo, v), max(keptHi, v)
			}
		}
		if lo != keptLo || hi != keptHi {
			t.Errorf("column %d: range [%g, %g], kept [%g, %g]", c, lo, hi, keptLo, keptHi)
		}
	}
}

func TestDownsample(t *testing.T) {
	wave := func(n int, f func(i int) float64) []float64 {
		c := make([]float64, n)
		for i := range c {
			c[i] = f(i)
		}
		return c
	}
	sqrt := func(i int) float64 { return math.Sqrt(float64(i)) }
	spikes := func(n int) []float64 {
		return wave(n, func(i int) float64 {
			switch i {
			case 12345:
				return 1e6
			case 54321:
				return -1e6
			}
			return math.Sin(float64(i) / 100)
		})
	}
	tests := []struct {
		name  string
		n     int
		cols  [][]float64
		limit int
		want  int // rows kept, if known
	}{
		{"fewer rows than the limit", 10, [][]float64{wave(10, func(i int) float64 { return float64(i) })}, 2000, 10},
		{"exactly the limit", 2000, [][]float64{wave(2000, sqrt)}, 2000, 2000},
		{"spikes in a long series", 100_000, [][]float64{spikes(100_000)}, 2000, -1},
		{"four columns", 100_000, [][]float64{spikes(100_000), wave(100_000, func(i int) float64 { return -float64(i) }),
			wave(100_000, func(i int) float64 { return float64(i % 977) }), wave(100_000, sqrt)}, 2000, -1},
		{"NaN stretches", 5000, [][]float64{wave(5000, func(i int) float64 {
			if i%100 < 60 {
				return math.NaN()
			}
			return float64(i % 7)
		})}, 100, -1},
		{"only NaN", 5000, [][]float64{wave(5000, func(int) float64 { return math.NaN() })}, 100, -1},
		{"no columns", 5000, nil, 100, 100},
		{"a limit below two per column", 1000, [][]float64{spikes(1000), spikes(1000), spikes(1000)}, 3, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := downsample(nil, tt.n, tt.cols, tt.limit)
			checkKept(t, idx, tt.n, tt.cols)
			bound := max(tt.limit, 2+2*len(tt.cols))
			if len(idx) > bound {
				t.Errorf("%d rows kept, limit %d", len(idx), bound)
			}
			if tt.want >= 0 && len(idx) != tt.want {
				t.Errorf("%d rows kept, want %d", len(idx), tt.want)
			}
		})
	}
}

// downsample appends to dst, which keeps its contents.
func TestDownsampleAppends(t *testing.T) {
	dst := downsample([]int{-7}, 3, [][]float64{{1, 2, 3}}, 10)
	if !slices.Equal(dst, []int{-7, 0, 1, 2}) {
		t.Errorf("got %v", dst)
	}
}
