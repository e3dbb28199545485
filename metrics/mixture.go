package metrics

import (
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/tensor"
)

// MixtureModes scores generated 2-D points [n, 2] against the modes of the
// mixture m: ModeCoverage with m's means and σ, as the papers measure their
// 2-D benchmarks.
func MixtureModes(points *tensor.Tensor, m *data.Mixture) (Modes, error) {
	x, err := FromTensor("generated points", points)
	if err != nil {
		return Modes{}, err
	}
	means := make([]float64, 0, 2*len(m.Means))
	for _, mu := range m.Means {
		means = append(means, mu[0], mu[1])
	}
	mu, err := NewFeatures(m.Name+" means", means, len(m.Means), 2)
	if err != nil {
		return Modes{}, err
	}
	return ModeCoverage(x, mu, m.Sigma)
}
