package metrics

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mathext"

	"github.com/nash-gan/nash/tensor"
)

// maxPooled bounds the pooled samples of MMDTest, whose kernel matrix it
// holds whole (8192² float64 are 512 MiB).
const maxPooled = 8192

// permutationBatch is the number of labellings MMDTest evaluates with one
// matrix product.
const permutationBatch = 64

// MMDTestResult is the outcome of a kernel two-sample test.
type MMDTestResult struct {
	// MMD2 is the unbiased estimate of the squared MMD between the sets.
	MMD2 float64 `json:"mmd2"`
	// Bandwidth is σ of the Gaussian kernel exp(−‖x − y‖²/(2σ²)).
	Bandwidth float64 `json:"bandwidth"`
	// PValue is the fraction of labellings, of the permutations and the
	// observed one, whose MMD2 is at least the observed one.
	PValue float64 `json:"p_value"`
	// Permutations is the number of random relabellings.
	Permutations int `json:"permutations"`
}

// MMDTest tests whether x and y come from the same distribution with the
// unbiased squared maximum mean discrepancy (Gretton et al., 2012) of the
// Gaussian kernel whose σ is the median distance between distinct pooled
// samples (the median heuristic), and a permutation test: the pooled
// samples are relabelled permutations times by rng, and the p-value is
// (1 + #{relabellings with MMD² ≥ observed}) / (1 + permutations). The
// pooled sets may hold at most 8192 samples; Subsample larger ones.
func MMDTest(x, y *Features, permutations int, rng *tensor.RNG) (MMDTestResult, error) {
	if err := sameDim("MMD test", x, y); err != nil {
		return MMDTestResult{}, err
	}
	for _, f := range []*Features{x, y} {
		if f.n < 2 {
			return MMDTestResult{}, fmt.Errorf("metrics: MMD test: %s has %d samples, need at least 2", f.name, f.n)
		}
	}
	if permutations < 1 {
		return MMDTestResult{}, fmt.Errorf("metrics: MMD test: %d permutations, want at least 1", permutations)
	}
	n := x.n + y.n
	if n > maxPooled {
		return MMDTestResult{}, fmt.Errorf("metrics: MMD test: %d + %d samples of %s and %s, at most %d together",
			x.n, y.n, x.name, y.name, maxPooled)
	}
	pooled := &Features{name: x.name + "+" + y.name, n: n, d: x.d, data: slices.Concat(x.data, y.data)}
	kernel := make([]float64, n*n)
	pairwise(pooled, pooled, func(_, i int, dist []float64) {
		dist[i] = 0
		copy(kernel[i*n:], dist)
	})
	pairs := make([]float64, 0, n*(n-1)/2)
	for i := range n {
		pairs = append(pairs, kernel[i*n+i+1:(i+1)*n]...)
	}
	slices.Sort(pairs)
	mid := len(pairs) / 2
	sigma := math.Sqrt(pairs[mid])
	if len(pairs)%2 == 0 {
		sigma = (math.Sqrt(pairs[mid-1]) + sigma) / 2
	}
	if sigma == 0 {
		return MMDTestResult{}, fmt.Errorf("metrics: MMD test: the median distance between samples of %s is 0", pooled.name)
	}
	var total float64
	for i, d := range kernel {
		kernel[i] = math.Exp(-d / (2 * sigma * sigma))
		total += kernel[i]
	}
	stats := mmdPermutations(kernel, total, x.n, y.n, permutations, rng)
	above := 0
	for _, s := range stats[1:] {
		if s >= stats[0] {
			above++
		}
	}
	return MMDTestResult{
		MMD2:         stats[0],
		Bandwidth:    sigma,
		PValue:       float64(1+above) / float64(1+permutations),
		Permutations: permutations,
	}, nil
}

// mmdPermutations returns the unbiased MMD² of the observed labelling (the
// first nx of the pooled samples are x) followed by that of permutations
// labellings drawn by rng, for the pooled kernel matrix with the given sum
// of all entries. For a labelling z (1 for x), R = K z gives the sums within
// x and across; the sum within y is the rest.
func mmdPermutations(kernel []float64, total float64, nx, ny, permutations int, rng *tensor.RNG) []float64 {
	n := nx + ny
	stats := make([]float64, 0, 1+permutations)
	z := make([]float64, n*permutationBatch)
	r := make([]float64, n*permutationBatch)
	perm := make([]int, n)
	K := blas64.General{Rows: n, Cols: n, Stride: n, Data: kernel}
	fx, fy := float64(nx), float64(ny)
	for len(stats) < cap(stats) {
		b := min(permutationBatch, cap(stats)-len(stats))
		clear(z)
		for c := range b {
			if len(stats) == 0 && c == 0 {
				for i := range perm {
					perm[i] = i
				}
			} else {
				rng.Perm(perm)
			}
			for _, i := range perm[:nx] {
				z[i*permutationBatch+c] = 1
			}
		}
		Z := blas64.General{Rows: n, Cols: b, Stride: permutationBatch, Data: z}
		R := blas64.General{Rows: n, Cols: b, Stride: permutationBatch, Data: r}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, K, Z, 0, R)
		for c := range b {
			var within, across float64
			for i := range n {
				if z[i*permutationBatch+c] == 1 {
					within += r[i*permutationBatch+c]
				} else {
					across += r[i*permutationBatch+c]
				}
			}
			within -= fx
			rest := total - within - 2*across - float64(n)
			stats = append(stats, within/(fx*(fx-1))+rest/(fy*(fy-1))-2*across/(fx*fy))
		}
	}
	return stats
}

// C2STResult is the outcome of a classifier two-sample test.
type C2STResult struct {
	// Accuracy is the fraction of held-out samples classified correctly.
	Accuracy float64 `json:"accuracy"`
	// Correct and Tested count the held-out samples.
	Correct int `json:"correct"`
	Tested  int `json:"tested"`
	// PValue is P(at least Correct right out of Tested by coin flips),
	// the binomial tail against accuracy 0.5.
	PValue float64 `json:"p_value"`
}

// C2ST tests whether x and y come from the same distribution with a
// classifier two-sample test (Lopez-Paz and Oquab, 2017): rng draws
// m = min(x.Len(), y.Len()) samples of each set, shuffles the 2m and splits
// them in halves; a k-nearest-neighbour classifier (Euclidean distance on
// the features as given, majority vote, a tie going to the nearest
// neighbour's label) fitted on one half labels the other. Under the null
// hypothesis the number right is Binomial(m, ½), and the p-value is its
// upper tail. Accuracy near 0.5 means the classifier cannot tell the sets
// apart.
func C2ST(x, y *Features, k int, rng *tensor.RNG) (C2STResult, error) {
	if err := sameDim("C2ST", x, y); err != nil {
		return C2STResult{}, err
	}
	m := min(x.n, y.n)
	if k < 1 || k > m {
		return C2STResult{}, fmt.Errorf("metrics: C2ST: k = %d with %d samples of %s and %d of %s: want 1 ≤ k ≤ %d",
			k, x.n, x.name, y.n, y.name, m)
	}
	xs, ys := Subsample(x, m, rng), Subsample(y, m, rng)
	pooled := &Features{name: x.name + "+" + y.name, n: 2 * m, d: x.d, data: slices.Concat(xs.data, ys.data)}
	perm := make([]int, 2*m)
	rng.Perm(perm)
	train, test := pooled.rows(perm[:m]), pooled.rows(perm[m:])
	// A pooled index below m came from x.
	trainFromX := make([]bool, m)
	for i, p := range perm[:m] {
		trainFromX[i] = p < m
	}
	right := make([]bool, m)
	_, idx := kNearest(prepare(test), prepare(train), k, false)
	for i := range m {
		votes := 0
		for _, j := range idx[i*k : (i+1)*k] {
			if trainFromX[j] {
				votes++
			}
		}
		predictX := 2*votes > k || (2*votes == k && trainFromX[idx[i*k]])
		right[i] = predictX == (perm[m+i] < m)
	}
	correct := 0
	for _, ok := range right {
		if ok {
			correct++
		}
	}
	p := 1.0
	if correct > 0 {
		p = mathext.RegIncBeta(float64(correct), float64(m-correct+1), 0.5)
	}
	return C2STResult{Accuracy: float64(correct) / float64(m), Correct: correct, Tested: m, PValue: p}, nil
}
