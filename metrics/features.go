// Package metrics measures how close a set of generated samples is to a set
// of real ones: Fréchet distance (FID), kernel distance (KID), the Inception
// score, improved precision and recall, density and coverage, MMD and
// classifier two-sample tests, memorisation statistics, mode coverage of
// low-dimensional mixtures and class histograms. It also reads and writes
// .npy files of features.
//
// Inputs are Features, matrices of n samples of d values. All arithmetic is
// done in float64. Functions that draw random subsets take a *tensor.RNG, so
// that a result is a function of its inputs and the RNG's state alone; none
// depends on the number of goroutines used.
package metrics

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/tensor"
)

// Features is a matrix of n rows of d finite float64 values — feature
// vectors, class probabilities or points — stored row-major, with a name
// (a file name, "real", "fake") that error messages use.
type Features struct {
	name string
	n, d int
	data []float64
}

// NewFeatures returns the n×d matrix stored row-major in data, which it
// uses without copying. It returns an error naming name if len(data) is not
// n·d, if d < 1, or if a value is NaN or infinite.
func NewFeatures(name string, data []float64, n, d int) (*Features, error) {
	if n < 0 || d < 1 {
		return nil, fmt.Errorf("metrics: %s: shape [%d, %d]: want n ≥ 0 samples of d ≥ 1 values", name, n, d)
	}
	if len(data) != n*d {
		return nil, fmt.Errorf("metrics: %s: %d values for shape [%d, %d] (want %d)", name, len(data), n, d, n*d)
	}
	for k, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metrics: %s: value %v at row %d, column %d", name, v, k/d, k%d)
		}
	}
	return &Features{name: name, n: n, d: d, data: data}, nil
}

// FromTensor returns the rows of the 2-D tensor t, shape [n, d], converted
// to float64. Reshape images [n, c, h, w] to [n, c·h·w] first.
func FromTensor(name string, t *tensor.Tensor) (*Features, error) {
	if t.Dims() != 2 {
		return nil, fmt.Errorf("metrics: %s: tensor shape %v, want [n, d]", name, t.Shape())
	}
	src := t.Data()
	data := make([]float64, len(src))
	for i, v := range src {
		data[i] = float64(v)
	}
	return NewFeatures(name, data, t.Dim(0), t.Dim(1))
}

// Name returns the name given to NewFeatures.
func (f *Features) Name() string { return f.name }

// Len returns the number of samples (rows).
func (f *Features) Len() int { return f.n }

// Dim returns the number of values per sample (columns).
func (f *Features) Dim() int { return f.d }

// Row returns sample i, a view into the matrix.
func (f *Features) Row(i int) []float64 { return f.data[i*f.d : (i+1)*f.d] }

// Data returns the matrix's storage, row-major.
func (f *Features) Data() []float64 { return f.data }

// Subsample returns n rows of f drawn without replacement by rng, in the
// order drawn, or f itself if it has no more than n rows.
func Subsample(f *Features, n int, rng *tensor.RNG) *Features {
	if f.n <= n {
		return f
	}
	idx := make([]int, f.n)
	rng.Perm(idx)
	return f.rows(idx[:n])
}

// Head returns the first n rows of f (all of them if it has fewer),
// sharing f's storage.
func Head(f *Features, n int) *Features {
	n = min(max(n, 0), f.n)
	return &Features{name: f.name, n: n, d: f.d, data: f.data[:n*f.d]}
}

// rows returns the rows of f at idx, copied, under f's name.
func (f *Features) rows(idx []int) *Features {
	data := make([]float64, 0, len(idx)*f.d)
	for _, i := range idx {
		data = append(data, f.Row(i)...)
	}
	return &Features{name: f.name, n: len(idx), d: f.d, data: data}
}

// Estimate is the mean and the standard deviation (divisor n, as numpy's
// default) of a quantity over subsets or splits of the samples.
type Estimate struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// estimate returns the mean and standard deviation of v.
func estimate(v []float64) Estimate {
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return Estimate{Mean: mean, Std: math.Sqrt(ss / float64(len(v)))}
}

// sameDim returns an error unless a and b have the same number of columns.
func sameDim(metric string, a, b *Features) error {
	if a.d != b.d {
		return fmt.Errorf("metrics: %s: %s has %d values per sample, %s has %d", metric, a.name, a.d, b.name, b.d)
	}
	return nil
}
