package metrics

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// blockValues bounds the squared distances held at once by pairwise (32 MiB).
const blockValues = 4 << 20

// pairwise calls visit(w, i, dist) for every row i of a, where dist[j] is the
// squared Euclidean distance between row i of a and row j of b. Distances
// are computed exactly (no approximate neighbour search) in float64 through
// Gram matrices, ‖a_i‖² + ‖b_j‖² − 2 a_iᵀb_j clamped at 0, for blocks of rows
// of a at a time. The rows of a block are visited in parallel by
// runtime.GOMAXPROCS(0) goroutines; w, in [0, workers()), names the goroutine
// so that callers can keep accumulators per goroutine. dist is valid only
// during the call. The distances do not depend on the number of goroutines.
func pairwise(a, b *Features, visit func(w, i int, dist []float64)) {
	na, nb := squaredNorms(a), squaredNorms(b)
	rows := min(max(1, blockValues/max(1, b.n)), 512, a.n)
	gram := make([]float64, rows*b.n)
	B := blas64.General{Rows: b.n, Cols: b.d, Stride: b.d, Data: b.data}
	for i0 := 0; i0 < a.n; i0 += rows {
		m := min(rows, a.n-i0)
		A := blas64.General{Rows: m, Cols: a.d, Stride: a.d, Data: a.data[i0*a.d : (i0+m)*a.d]}
		G := blas64.General{Rows: m, Cols: b.n, Stride: b.n, Data: gram[:m*b.n]}
		blas64.Gemm(blas.NoTrans, blas.Trans, -2, A, B, 0, G)
		parallel(m, func(w, r int) {
			dist := G.Data[r*b.n : (r+1)*b.n]
			for j, g := range dist {
				dist[j] = max(0, na[i0+r]+nb[j]+g)
			}
			visit(w, i0+r, dist)
		})
	}
}

// workers returns the number of goroutines parallel uses.
func workers() int { return runtime.GOMAXPROCS(0) }

// parallel calls f(w, i) for every i in [0, n) on min(workers(), n)
// goroutines, goroutine w taking i = w, w + workers(), …; f must write only
// i's results or goroutine w's accumulators.
func parallel(n int, f func(w, i int)) {
	nw := min(workers(), n)
	var wg sync.WaitGroup
	for w := range nw {
		wg.Go(func() {
			for i := w; i < n; i += nw {
				f(w, i)
			}
		})
	}
	wg.Wait()
}

// squaredNorms returns ‖row‖² of every row of f.
func squaredNorms(f *Features) []float64 {
	norms := make([]float64, f.n)
	for i := range norms {
		var s float64
		for _, v := range f.Row(i) {
			s += v * v
		}
		norms[i] = s
	}
	return norms
}

// nearest keeps the k smallest distances offered to it, in ascending order,
// with their indices; of equal distances, the one offered first comes first.
type nearest struct {
	dist []float64
	idx  []int
	k    int
}

// offer considers distance d of index j.
func (s *nearest) offer(d float64, j int) {
	n := len(s.dist)
	if n == s.k {
		if d >= s.dist[n-1] {
			return
		}
		n--
	} else {
		s.dist, s.idx = s.dist[:n+1], s.idx[:n+1]
	}
	for n > 0 && s.dist[n-1] > d {
		s.dist[n], s.idx[n] = s.dist[n-1], s.idx[n-1]
		n--
	}
	s.dist[n], s.idx[n] = d, j
}

// kthRadii returns, for every row of f, the squared distance (sqDist) to
// its k-th nearest other row.
func kthRadii(f *side, k int) []float64 {
	dist, _ := kNearest(f, f, k, true)
	radii := make([]float64, f.f.n)
	for i := range radii {
		radii[i] = dist[i*k+k-1]
	}
	return radii
}
