package metrics

import (
	"fmt"
	"math"
)

// probabilityTolerance is how far from 1 a row of class probabilities may sum.
const probabilityTolerance = 1e-3

// InceptionScore returns exp(E_x KL(p(y|x) ‖ p(y))) for the class
// probabilities p, one row per sample, computed on each of splits
// consecutive parts of the rows (part k holds rows k·n/splits up to
// (k+1)·n/splits) with p(y) the mean of the part, and the mean and standard
// deviation over the parts. 0·log 0 is taken as 0. The score lies between 1
// (every sample gets the same prediction) and the number of classes
// (confident predictions spread evenly over the classes). Rows must be
// non-negative and sum to 1 within 1e-3.
func InceptionScore(p *Features, splits int) (Estimate, error) {
	if splits < 1 || p.n < splits {
		return Estimate{}, fmt.Errorf("metrics: Inception score: %d splits of %d samples of %s", splits, p.n, p.name)
	}
	for i := range p.n {
		var sum float64
		for j, v := range p.Row(i) {
			if v < 0 {
				return Estimate{}, fmt.Errorf("metrics: Inception score: %s: probability %v at row %d, class %d", p.name, v, i, j)
			}
			sum += v
		}
		if math.Abs(sum-1) > probabilityTolerance {
			return Estimate{}, fmt.Errorf("metrics: Inception score: %s: row %d sums to %v, not 1", p.name, i, sum)
		}
	}
	marginal := make([]float64, p.d)
	scores := make([]float64, splits)
	for k := range scores {
		lo, hi := k*p.n/splits, (k+1)*p.n/splits
		clear(marginal)
		for i := lo; i < hi; i++ {
			for j, v := range p.Row(i) {
				marginal[j] += v
			}
		}
		for j := range marginal {
			marginal[j] /= float64(hi - lo)
		}
		var kl float64
		for i := lo; i < hi; i++ {
			for j, v := range p.Row(i) {
				if v > 0 {
					kl += v * (math.Log(v) - math.Log(marginal[j]))
				}
			}
		}
		scores[k] = math.Exp(kl / float64(hi-lo))
	}
	return estimate(scores), nil
}
