package metrics

import (
	"math"

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

// side is one set of a screen: its rows scaled by 2^−exp (every value
// then below 1 in magnitude) and rounded to float32, and its float64
// squared norms. A side is prepared once and screened against any number
// of others.
type side struct {
	f     *Features
	f32   []float32
	norms []float64
	exp   int
	// ok says that the values could be scaled into float32's range.
	ok bool
}

// prepare returns the side of f.
func prepare(f *Features) *side {
	var big float64
	for _, v := range f.data {
		big = max(big, math.Abs(v))
	}
	_, e := math.Frexp(big)
	s := &side{f: f, norms: squaredNorms(f), exp: e, ok: e <= maxScreenExp && e >= -maxScreenExp}
	if s.ok {
		s.f32 = toFloat32(f.data, math.Ldexp(1, -e))
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

// screen brackets the squared Euclidean distances between the rows of a
// and the rows of b cheaply: the inner products come from the engine's
// float32 GEMM (kernels.Sgemm, parallel, the same at any thread count) on
// the sides' scaled rows, the squared norms from float64 sums, and a
// rounding-error bound turns ‖a_i‖² + ‖b_j‖² − 2 a_i·b_j into an interval
// [lo, hi] that holds sqDist(a_i, b_j), the float64 distance computed term
// by term. Callers decide comparisons from the interval and compute sqDist
// only where it straddles a threshold, so their results are those of the
// float64 loop, ties included, at a fraction of its cost.
type screen struct {
	a, b *side
	// inv is 2^(exp_a + exp_b), undoing the scaling of the products; rel
	// and abs give the bound rel·(‖a_i‖² + ‖b_j‖²) + abs.
	inv, rel, abs float64
	// exact says that the bound is not usable: lo = hi = sqDist.
	exact bool
}

// newScreen returns the screen of a against b.
//
// The bound: with u = 2^-24, rounding the scaled values (|v| < 1) to
// float32 changes each by at most u|v| + 2^-150, and a float32 inner product
// of d terms in any order, fused or not, is within γ_{d+1} Σ|x̂_k ŷ_k|
// (γ_n = nu/(1 − nu)) plus d·2^-150 of underflow. So the computed product
// is within ((d+3)u + O(u²))·‖x‖‖y‖ + 4(d+1)·2^-150 of x·y after scaling
// back; 2‖x‖‖y‖ ≤ ‖x‖² + ‖y‖², and the float64 norms, the final additions
// and sqDist's own rounding add under 4(d+4)·2^-53 (‖x‖² + ‖y‖²). rel takes
// (d+8)u with 1 % to spare for the second-order terms.
func newScreen(a, b *side) *screen {
	d := float64(a.f.d)
	e := a.exp + b.exp
	s := &screen{a: a, b: b, rel: 1.01 * (d + 8) * 0x1p-24, inv: math.Ldexp(1, e), abs: math.Ldexp(8*(d+1), e-150)}
	s.exact = !a.ok || !b.ok || s.rel > 0.01
	return s
}

// exactDist returns sqDist of row i of a and row j of b.
func (s *screen) exactDist(i, j int) float64 { return sqDist(s.a.f.Row(i), s.b.f.Row(j)) }

// sweep calls visit(w, i, j0, lo, hi) for every row i of a and every block
// of columns j0 … j0+len(lo)−1 of b, in increasing j0 for each i, where
// lo[t] ≤ sqDist(a_i, b_{j0+t}) ≤ hi[t]. The rows of a block are visited in
// parallel by workers() goroutines, w naming the goroutine; a row is
// visited by one goroutine at a time, and lo and hi are valid only during
// the call. Nothing depends on the number of goroutines.
func (s *screen) sweep(visit func(w, i, j0 int, lo, hi []float64)) {
	a, b, d := s.a.f, s.b.f, s.a.f.d
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
				kernels.Sgemm(false, true, m, nc, d, 1, s.a.f32[i0*d:(i0+m)*d], d, s.b.f32[j0*d:(j0+nc)*d], d, 0, gram, nc)
			}
			parallel(m, func(w, r int) {
				l, h := lo[w][:nc], hi[w][:nc]
				i := i0 + r
				if s.exact {
					for t := range nc {
						l[t] = s.exactDist(i, j0+t)
						h[t] = l[t]
					}
				} else {
					g, na, nb := gram[r*nc:(r+1)*nc], s.a.norms[i], s.b.norms[j0:j0+nc]
					for t, p := range g {
						v := na + nb[t] - 2*s.inv*float64(p)
						e := s.rel*(na+nb[t]) + s.abs
						l[t], h[t] = v-e, v+e
					}
				}
				visit(w, i, j0, l, h)
			})
		}
	}
}

// kNearest returns, for every row i of a, the squared distances (sqDist,
// ascending) and the indices of its k nearest rows of b, row i itself left
// out when self is true (a and b are then the same set): dist[i·k+t] and
// idx[i·k+t] for t < k. Of equal distances the lower index comes first, as
// in a loop over every row of b. b must have at least k rows (k+1 with
// self).
//
// In each block of columns, the k-th smallest upper bound (or the k-th
// nearest so far, if nearer) bounds the k-th nearest distance, so only the
// rows of b whose lower bound does not exceed it can be among the k
// nearest; only theirs is computed.
func kNearest(a, b *side, k int, self bool) (dist []float64, idx []int) {
	n := a.f.n
	dist, idx = make([]float64, n*k), make([]int, n*k)
	sel := make([]nearest, n)
	for i := range sel {
		sel[i] = nearest{dist: dist[i*k : i*k : (i+1)*k], idx: idx[i*k : i*k : (i+1)*k], k: k}
	}
	upper := make([]nearest, workers())
	for w := range upper {
		upper[w] = nearest{dist: make([]float64, 0, k), idx: make([]int, 0, k), k: k}
	}
	s := newScreen(a, b)
	s.sweep(func(w, i, j0 int, lo, hi []float64) {
		u := &upper[w]
		u.dist, u.idx = u.dist[:0], u.idx[:0]
		for t, h := range hi {
			if !self || j0+t != i {
				u.offer(h, t)
			}
		}
		n := &sel[i]
		bound := math.Inf(1)
		if len(u.dist) == k {
			bound = u.dist[k-1]
		}
		if len(n.dist) == k {
			bound = min(bound, n.dist[k-1])
		}
		for t, l := range lo {
			j := j0 + t
			if l > bound || (self && j == i) || (len(n.dist) == k && l > n.dist[k-1]) {
				continue
			}
			n.offer(s.exactDist(i, j), j)
		}
	})
	return dist, idx
}
