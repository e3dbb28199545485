package metrics

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/tensor"
)

// RandomProjection returns features of the images (or any samples) x [N, …]
// that need no trained network: the N rows of x's values, when they have
// at most dim of them, or else their products with a fixed dim-column
// matrix of independent N(0, 1/dim) entries drawn from seed's "projection"
// stream, which by the Johnson–Lindenstrauss lemma keeps distances between
// rows within a small factor. Sets projected with the same seed and dim
// are comparable.
func RandomProjection(name string, x *tensor.Tensor, dim int, seed uint64) (*Features, error) {
	if x.Dims() < 2 || x.Dim(0) < 1 || dim < 1 {
		return nil, fmt.Errorf("metrics: %s: random projection of shape %v to %d values, want [N ≥ 1, …] and dim ≥ 1", name, x.Shape(), dim)
	}
	n := x.Dim(0)
	d := x.Len() / n
	rows := tensor.FromSlice(x.Data(), n, d)
	if d <= dim {
		return FromTensor(name, rows)
	}
	m := tensor.New(d, dim)
	tensor.NewRNG(seed, "projection").Normal(m, 0, float32(1/math.Sqrt(float64(dim))))
	out := tensor.New(n, dim)
	tensor.MatMul(out, rows, m, false, false, 0)
	return FromTensor(name, out)
}
