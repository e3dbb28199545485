package metrics

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/nash-gan/nash/tensor"
)

// KID returns the kernel distance of Bińkowski et al. (2018): the unbiased
// estimate of the squared maximum mean discrepancy with the polynomial
// kernel k(x, y) = (xᵀy/d + 1)³, averaged over the given number of subsets,
// each of m = min(maxSubset, real.Len(), fake.Len()) rows of either set
// drawn without replacement by rng, with the standard deviation over the
// subsets. Bińkowski et al. use 100 subsets of 1000. An unbiased estimate
// can be negative when the sets are alike.
func KID(real, fake *Features, subsets, maxSubset int, rng *tensor.RNG) (Estimate, error) {
	if err := sameDim("KID", real, fake); err != nil {
		return Estimate{}, err
	}
	if subsets < 1 {
		return Estimate{}, fmt.Errorf("metrics: KID: %d subsets, want at least 1", subsets)
	}
	m := min(maxSubset, real.n, fake.n)
	if m < 2 {
		return Estimate{}, fmt.Errorf("metrics: KID: subsets of %d samples (%s has %d, %s has %d, at most %d asked); need at least 2",
			m, real.name, real.n, fake.name, fake.n, maxSubset)
	}
	if m == real.n && m == fake.n {
		// Every subset is the whole of both sets: one is enough.
		subsets = 1
	}
	d := real.d
	permR, permF := make([]int, real.n), make([]int, fake.n)
	x := &Features{name: real.name, n: m, d: d, data: make([]float64, m*d)}
	y := &Features{name: fake.name, n: m, d: d, data: make([]float64, m*d)}
	gram := make([]float64, m*m)
	values := make([]float64, subsets)
	for s := range values {
		rng.Perm(permR)
		rng.Perm(permF)
		for i := range m {
			copy(x.Row(i), real.Row(permR[i]))
			copy(y.Row(i), fake.Row(permF[i]))
		}
		kxx := polyKernelSum(x, nil, gram)
		kyy := polyKernelSum(y, nil, gram)
		kxy := polyKernelSum(x, y, gram)
		fm := float64(m)
		values[s] = (kxx+kyy)/(fm*(fm-1)) - 2*kxy/(fm*fm)
	}
	return estimate(values), nil
}

// polyKernelSum returns the sum of (aᵢᵀbⱼ/d + 1)³ over all i, j, or, with
// b nil, of (aᵢᵀaⱼ/d + 1)³ over all i ≠ j. gram is scratch of at least
// a.Len()·b.Len() values.
func polyKernelSum(a, b *Features, gram []float64) float64 {
	n := a.n
	A := blas64.General{Rows: a.n, Cols: a.d, Stride: a.d, Data: a.data}
	scale := 1 / float64(a.d)
	var sum float64
	if b == nil {
		C := blas64.Symmetric{N: n, Stride: n, Uplo: blas.Upper, Data: gram[:n*n]}
		blas64.Syrk(blas.NoTrans, scale, A, 0, C)
		for i := range n {
			for _, g := range C.Data[i*n+i+1 : (i+1)*n] {
				k := g + 1
				sum += k * k * k
			}
		}
		return 2 * sum
	}
	C := blas64.General{Rows: n, Cols: b.n, Stride: b.n, Data: gram[:n*b.n]}
	blas64.Gemm(blas.NoTrans, blas.Trans, scale, A, blas64.General{Rows: b.n, Cols: b.d, Stride: b.d, Data: b.data}, 0, C)
	for _, g := range C.Data {
		k := g + 1
		sum += k * k * k
	}
	return sum
}
