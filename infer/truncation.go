package infer

import (
	"fmt"
	"math"
	"strings"

	"github.com/nash-gan/nash/tensor"
)

// Truncation is the truncation trick of sampling, which trades a
// generator's variety for the quality of its samples: noise pulled toward
// its mean, 0 (Psi), and noise components resampled until they lie within
// a threshold (BigGAN's form, Threshold). The zero value draws plain
// noise.
type Truncation struct {
	// Psi, in (0, 1], scales the noise: z ← ψ·z; 0 and 1 leave it.
	Psi float64 `json:"psi,omitempty"`
	// Threshold, when positive (at least MinThreshold), redraws every
	// noise component whose magnitude exceeds it.
	Threshold float64 `json:"threshold,omitempty"`
}

// MinThreshold is the smallest truncation threshold: 8% of N(0, 1)'s
// draws fall within ±0.1, so resampling ends in a dozen draws on average.
const MinThreshold = 0.1

// Validate reports a ψ outside (0, 1] or a threshold below MinThreshold,
// in one line naming the flag.
func (t Truncation) Validate() error {
	if t.Psi != 0 && !(t.Psi > 0 && t.Psi <= 1) {
		return fmt.Errorf("--truncation: ψ must be in (0, 1], got %g", t.Psi)
	}
	if t.Threshold != 0 && !(t.Threshold >= MinThreshold && !math.IsInf(t.Threshold, 1)) {
		return fmt.Errorf("--truncation-threshold: must be at least %g (0: off), got %g", MinThreshold, t.Threshold)
	}
	return nil
}

// String describes t for reports: "ψ 0.7", "threshold 2" or both; "" when
// t is off.
func (t Truncation) String() string {
	var parts []string
	if t.Psi != 0 && t.Psi != 1 {
		parts = append(parts, fmt.Sprintf("ψ %g", t.Psi))
	}
	if t.Threshold != 0 {
		parts = append(parts, fmt.Sprintf("threshold %g", t.Threshold))
	}
	return strings.Join(parts, ", ")
}

// Off reports whether t leaves the noise as drawn.
func (t Truncation) Off() bool { return (t.Psi == 0 || t.Psi == 1) && t.Threshold == 0 }

// Truncated returns a generator sharing g's network whose noise (Noise,
// and everything that draws it) is truncated by t; g is unchanged, so
// other callers keep sampling it as it was.
func (g *Generator) Truncated(t Truncation) (*Generator, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	out := *g
	out.Truncation = t
	return &out, nil
}

// apply truncates the noise z drawn from rng: components beyond the
// threshold are redrawn from rng, then every value is scaled by ψ.
func (t Truncation) apply(z *tensor.Tensor, rng *tensor.RNG) {
	d := z.Data()
	if th := float32(t.Threshold); th > 0 {
		for i := range d {
			for d[i] > th || d[i] < -th {
				d[i] = float32(rng.Norm())
			}
		}
	}
	if t.Psi != 0 && t.Psi != 1 {
		psi := float32(t.Psi)
		for i := range d {
			d[i] *= psi
		}
	}
}
