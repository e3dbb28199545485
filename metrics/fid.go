package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// covBlock is the number of centred rows FitGaussian holds at once.
const covBlock = 1024

// Gaussian is the mean and covariance of a set of features, the statistics
// the Fréchet distance compares.
type Gaussian struct {
	Mean []float64
	Cov  *mat.SymDense
}

// FitGaussian returns the mean of the rows of f and their covariance with
// divisor n − 1. It needs n ≥ d + 1 samples, without which the covariance
// is singular.
func FitGaussian(f *Features) (Gaussian, error) {
	g, err := fitGaussian(f)
	if err != nil {
		return Gaussian{}, fmt.Errorf("metrics: %w", err)
	}
	return g, nil
}

func fitGaussian(f *Features) (Gaussian, error) {
	if f.n < f.d+1 {
		return Gaussian{}, fmt.Errorf("covariance of %s: %d samples of dimension %d; need at least %d",
			f.name, f.n, f.d, f.d+1)
	}
	mean := make([]float64, f.d)
	for i := range f.n {
		for j, v := range f.Row(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(f.n)
	}
	// Accumulate the covariance over blocks of centred rows, so that the
	// centred copy never holds more than covBlock rows.
	cov := mat.NewSymDense(f.d, nil)
	rows := min(f.n, covBlock)
	centred := make([]float64, rows*f.d)
	for i0 := 0; i0 < f.n; i0 += rows {
		m := min(rows, f.n-i0)
		for i := range m {
			row, dst := f.Row(i0+i), centred[i*f.d:(i+1)*f.d]
			for j, v := range row {
				dst[j] = v - mean[j]
			}
		}
		beta := 1.0
		if i0 == 0 {
			beta = 0
		}
		blas64.Syrk(blas.Trans, 1/float64(f.n-1),
			blas64.General{Rows: m, Cols: f.d, Stride: f.d, Data: centred[:m*f.d]}, beta, cov.RawSymmetric())
	}
	return Gaussian{Mean: mean, Cov: cov}, nil
}

// FrechetDistance returns the squared Fréchet distance between two
// Gaussians,
//
//	‖μ_r − μ_g‖² + Tr Σ_r + Tr Σ_g − 2 Tr (Σ_r^½ Σ_g Σ_r^½)^½,
//
// with symmetric factorisations only, never the square root of the
// non-symmetric Σ_r Σ_g that scipy.linalg.sqrtm is usually given. For any W
// with W Wᵀ = Σ_r, the symmetric Wᵀ Σ_g W has the eigenvalues of
// Σ_r^½ Σ_g Σ_r^½, so the trace term is the sum of the square roots of the
// eigenvalues of Wᵀ Σ_g W (mat.EigenSym). W is the Cholesky factor of Σ_r
// when Σ_r is positive definite; otherwise it is V Λ^½ from the symmetric
// eigendecomposition Σ_r = V Λ Vᵀ, with eigenvalues that round-off makes
// slightly negative taken as 0. Negative eigenvalues of Wᵀ Σ_g W, also
// round-off, are taken as 0 too. The result can be negative by round-off,
// about 1e-12 relative to the traces.
func FrechetDistance(r, g Gaussian) (float64, error) {
	d := len(r.Mean)
	if len(g.Mean) != d || r.Cov.SymmetricDim() != d || g.Cov.SymmetricDim() != d {
		return 0, fmt.Errorf("metrics: Fréchet distance: dimensions %d (covariance %d) and %d (covariance %d)",
			d, r.Cov.SymmetricDim(), len(g.Mean), g.Cov.SymmetricDim())
	}
	var dist float64
	for j := range d {
		dist += (r.Mean[j] - g.Mean[j]) * (r.Mean[j] - g.Mean[j])
		dist += r.Cov.At(j, j) + g.Cov.At(j, j)
	}
	w, err := choleskyFactor(r.Cov)
	if err != nil {
		if w, err = eigenFactor(r.Cov); err != nil {
			return 0, err
		}
	}
	tr, err := traceSqrt(w, g.Cov)
	if err != nil {
		return 0, err
	}
	dist -= 2 * tr
	if math.IsNaN(dist) || math.IsInf(dist, 0) {
		return 0, fmt.Errorf("metrics: Fréchet distance is %v: the statistics hold NaN or infinite values", dist)
	}
	return dist, nil
}

// choleskyFactor returns the lower-triangular L with L Lᵀ = cov, or an
// error if cov is not positive definite.
func choleskyFactor(cov *mat.SymDense) (*mat.Dense, error) {
	var c mat.Cholesky
	if !c.Factorize(cov) {
		return nil, errors.New("metrics: Fréchet distance: the real covariance is not positive definite")
	}
	var l mat.TriDense
	c.LTo(&l)
	return mat.DenseCopyOf(&l), nil
}

// eigenFactor returns V Λ^½ for cov = V Λ Vᵀ, negative eigenvalues taken
// as 0.
func eigenFactor(cov *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, errors.New("metrics: Fréchet distance: eigendecomposition of the real covariance failed")
	}
	var w mat.Dense
	eig.VectorsTo(&w)
	roots := eig.Values(nil)
	for j, l := range roots {
		roots[j] = math.Sqrt(max(0, l))
	}
	raw := w.RawMatrix()
	for i := range raw.Rows {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		for j, s := range roots {
			row[j] *= s
		}
	}
	return &w, nil
}

// traceSqrt returns Tr (Wᵀ Σ W)^½, the sum of the square roots of the
// eigenvalues of the symmetric Wᵀ Σ W, negative ones taken as 0.
func traceSqrt(w *mat.Dense, sigma *mat.SymDense) (float64, error) {
	var sw, wsw mat.Dense
	sw.Mul(sigma, w)
	wsw.Mul(w.T(), &sw)
	d := sigma.SymmetricDim()
	m := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			m.SetSym(i, j, (wsw.At(i, j)+wsw.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(m, false) {
		return 0, errors.New("metrics: Fréchet distance: eigendecomposition of Σ_r^½ Σ_g Σ_r^½ failed")
	}
	var tr float64
	for _, l := range eig.RawValues() {
		tr += math.Sqrt(max(0, l))
	}
	return tr, nil
}

// FID returns the Fréchet distance between the Gaussians fitted to real and
// fake (FitGaussian, FrechetDistance), the two fitted concurrently: the
// Fréchet Inception Distance when the rows are Inception features.
func FID(real, fake *Features) (float64, error) {
	if err := sameDim("FID", real, fake); err != nil {
		return 0, err
	}
	var r, g Gaussian
	var errR, errG error
	var wg sync.WaitGroup
	wg.Go(func() { r, errR = fitGaussian(real) })
	g, errG = fitGaussian(fake)
	wg.Wait()
	if err := cmp.Or(errR, errG); err != nil {
		return 0, fmt.Errorf("metrics: FID: %w", err)
	}
	return FrechetDistance(r, g)
}
