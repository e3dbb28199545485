package data

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/tensor"
)

// Mixture is an equally weighted mixture of isotropic 2-D Gaussians, the toy
// distributions on which mode collapse and mode dropping are measured
// (VEEGAN, PacGAN).
type Mixture struct {
	// Name is the mixture's name as given to Toy.
	Name string
	// Means holds the components' means.
	Means [][2]float64
	// Sigma is every component's standard deviation along each axis.
	Sigma float64
	// Extent is the half-width of the square [−Extent, Extent]² that shows
	// the whole mixture with a margin: the fixed axis limits of its
	// pictures.
	Extent float64
}

// ToyNames lists the mixtures Toy knows, in a fixed order.
var ToyNames = []string{"ring8", "grid25"}

// Toy returns the mixture called name:
//
//   - "ring8": 8 components with means (cos 2πk/8, sin 2πk/8), k = 0..7,
//     on the unit circle, and σ = 0.01;
//   - "grid25": 25 components with means on {−4, −2, 0, 2, 4}² and σ = 0.05.
func Toy(name string) (*Mixture, error) {
	switch name {
	case "ring8":
		m := &Mixture{Name: name, Means: make([][2]float64, 8), Sigma: 0.01, Extent: 1.5}
		for k := range m.Means {
			// 2πk/8 for k = 0..7, not linspace(0, 2π, 8), whose first and
			// last points coincide.
			s, c := math.Sincos(2 * math.Pi * float64(k) / 8)
			m.Means[k] = [2]float64{c, s}
		}
		return m, nil
	case "grid25":
		m := &Mixture{Name: name, Means: make([][2]float64, 0, 25), Sigma: 0.05, Extent: 5}
		for i := -2; i <= 2; i++ {
			for j := -2; j <= 2; j++ {
				m.Means = append(m.Means, [2]float64{2 * float64(i), 2 * float64(j)})
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("data: unknown toy dataset %q (want one of %v)", name, ToyNames)
}

// Sample fills dst, shaped [n, 2], with n independent samples of the
// mixture: each picks a component uniformly at random and then draws from
// N(mean, σ²I). It allocates nothing and panics if dst is not [n, 2].
func (m *Mixture) Sample(dst *tensor.Tensor, rng *tensor.RNG) {
	if dst.Dims() != 2 || dst.Dim(1) != 2 {
		panic(fmt.Sprintf("data: Mixture.Sample: destination shape %v, want [n, 2]", dst.Shape()))
	}
	d := dst.Data()
	for i := 0; i < len(d); i += 2 {
		mean := m.Means[rng.IntN(len(m.Means))]
		d[i] = float32(mean[0] + m.Sigma*rng.Norm())
		d[i+1] = float32(mean[1] + m.Sigma*rng.Norm())
	}
}
