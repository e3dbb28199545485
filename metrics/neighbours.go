package metrics

import (
	"math"
	"sync"

	"github.com/nash-gan/nash/tensor/kernels"
)

// screenRows and screenCols bound the block of float32 inner products that
// a screen holds at once (8 MiB).
const (
	screenRows = 256
	screenCols = 8192
)

// maxScreenExp bounds the binary exponent of the largest value that a
// screen scales into float32 (|v| < 2^maxScreenExp); beyond it, or for
// dimensions whose bound would exceed 1 %, every distance is exact.
const maxScreenExp = 400

// screen brackets the squared Euclidean distances between the rows of a
// and the rows of b cheaply: the inner products come from the engine's
// float32 GEMM (kernels.Sgemm, parallel, the same at any thread count) on
// the rows scaled by a power of two, the squared norms from float64 sums,
// and a rounding-error bound turns ‖a_i‖² + ‖b_j‖² − 2 a_i·b_j into an
// interval [lo, hi] that holds sqDist(a_i, b_j), the float64 distance
// computed term by term. Callers decide comparisons from the interval and
// compute sqDist only where it straddles a threshold, so their results are
// those of the float64 loop, ties included, at a fraction of its cost.
type screen struct {
	a, b     *Features
	a32, b32 []float32
	na, nb   []float64
	// inv is 2^(2e), undoing the scaling of the products by 2^(−2e); rel
	// and abs give the bound rel·(‖a_i‖² + ‖b_j‖²) + abs.
	inv, rel, abs float64
	// exact says that the bound is not usable: lo = hi = sqDist.
	exact bool
}

// newScreen prepares the float32 copies and the bound.
//
// The bound: with u = 2^-24, rounding the scaled values (|v| < 1) to
// float32 changes each by at most u|v| + 2^-150, and a float32 inner product
// of d terms in any order, fused or not, is within γ_{d+1} Σ|x̂_k ŷ_k|
// (γ_n = nu/(1 − nu)) plus d·2^-150 of underflow. So the computed product
// is within ((d+3)u + O(u²))·‖x‖‖y‖ + 4(d+1)·2^-150 of x·y after scaling
// back; 2‖x‖‖y‖ ≤ ‖x‖² + ‖y‖², and the float64 norms, the final additions
// and sqDist's own rounding add under 4(d+4)·2^-53 (‖x‖² + ‖y‖²). rel takes
// (d+8)u with 1 % to spare for the second-order terms.
func newScreen(a, b *Features) *screen {
	s := &screen{a: a, b: b, na: squaredNorms(a), nb: squaredNorms(b)}
	var big float64
	for _, f := range []*Features{a, b} {
		for _, v := range f.data {
			big = max(big, math.Abs(v))
		}
	}
	_, e := math.Frexp(big)
	d := float64(a.d)
	s.rel = 1.01 * (d + 8) * 0x1p-24
	if big == 0 || e > maxScreenExp || e < -maxScreenExp || s.rel > 0.01 {
		s.exact = true
		return s
	}
	scale := math.Ldexp(1, -e)
	s.inv = math.Ldexp(1, 2*e)
	s.abs = math.Ldexp(8*(d+1), 2*e-150)
	s.a32 = toFloat32(a.data, scale)
	if a == b {
		s.b32 = s.a32
	} else {
		s.b32 = toFloat32(b.data, scale)
	}
	return s
}

// toFloat32 returns scale·v of every v in x, rounded to float32.
func toFloat32(x []float64, scale float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v * scale)
	}
	return y
}

// exactDist returns sqDist of row i of a and row j of b.
func (s *screen) exactDist(i, j int) float64 { return sqDist(s.a.Row(i), s.b.Row(j)) }

// sweep calls visit(w, i, j0, lo, hi) for every row i of a and every block
// of columns j0 … j0+len(lo)−1 of b, in increasing j0 for each i, where
// lo[t] ≤ sqDist(a_i, b_{j0+t}) ≤ hi[t]. The rows of a block are visited in
// parallel by workers() goroutines, w naming the goroutine; a row is
// visited by one goroutine at a time, and lo and hi are valid only during
// the call. Nothing depends on the number of goroutines.
func (s *screen) sweep(visit func(w, i, j0 int, lo, hi []float64)) {
	a, b, d := s.a, s.b, s.a.d
	nw := workers()
	cols := min(screenCols, b.n)
	gram := make([]float32, screenRows*cols)
	lo, hi := make([][]float64, nw), make([][]float64, nw)
	for w := range nw {
		lo[w], hi[w] = make([]float64, cols), make([]float64, cols)
	}
	for i0 := 0; i0 < a.n; i0 += screenRows {
		m := min(screenRows, a.n-i0)
		for j0 := 0; j0 < b.n; j0 += cols {
			nc := min(cols, b.n-j0)
			if !s.exact {
				kernels.Sgemm(false, true, m, nc, d, 1, s.a32[i0*d:(i0+m)*d], d, s.b32[j0*d:(j0+nc)*d], d, 0, gram, nc)
			}
			var wg sync.WaitGroup
			for w := range nw {
				wg.Go(func() {
					l, h := lo[w][:nc], hi[w][:nc]
					for r := w; r < m; r += nw {
						i := i0 + r
						if s.exact {
							for t := range nc {
								l[t] = s.exactDist(i, j0+t)
								h[t] = l[t]
							}
						} else {
							g, na, nb := gram[r*nc:(r+1)*nc], s.na[i], s.nb[j0:j0+nc]
							for t, p := range g {
								v := na + nb[t] - 2*s.inv*float64(p)
								e := s.rel*(na+nb[t]) + s.abs
								l[t], h[t] = v-e, v+e
							}
						}
						visit(w, i, j0, l, h)
					}
				})
			}
			wg.Wait()
		}
	}
}

// kNearest returns, for every row i of a, the squared distances (sqDist,
// ascending) and the indices of its k nearest rows of b, row i itself left
// out when self is true (a and b are then the same set): dist[i·k+t] and
// idx[i·k+t] for t < k. Of equal distances the lower index comes first, as
// in a loop over every row of b. b must have at least k rows (k+1 with
// self).
func kNearest(a, b *Features, k int, self bool) (dist []float64, idx []int) {
	dist, idx = make([]float64, a.n*k), make([]int, a.n*k)
	sel := make([]nearest, a.n)
	for i := range sel {
		sel[i] = nearest{dist: dist[i*k : i*k : (i+1)*k], idx: idx[i*k : i*k : (i+1)*k], k: k}
	}
	s := newScreen(a, b)
	s.sweep(func(_, i, j0 int, lo, _ []float64) {
		n := &sel[i]
		for t, l := range lo {
			j := j0 + t
			if (self && j == i) || (len(n.dist) == k && l > n.dist[k-1]) {
				continue
			}
			n.offer(s.exactDist(i, j), j)
		}
	})
	return dist, idx
}
