package metrics

import (
	"fmt"
	"math"
)

// Diversity returns the mean Euclidean distance between two distinct rows
// of f, over all n(n−1)/2 pairs: the within-set spread of features that
// falls towards 0 when a generator collapses onto a few outputs. Compare
// it with the same quantity of real samples. It needs at least 2 rows; the
// result does not depend on the number of goroutines.
func Diversity(f *Features) (float64, error) {
	if f.n < 2 {
		return 0, fmt.Errorf("metrics: diversity: %d samples of %s; need at least 2", f.n, f.name)
	}
	rowSum := make([]float64, f.n)
	pairwise(f, f, func(_, i int, dist []float64) {
		var s float64
		for j, d := range dist {
			if j != i {
				s += math.Sqrt(d)
			}
		}
		rowSum[i] = s
	})
	var total float64
	for _, s := range rowSum {
		total += s
	}
	return total / float64(f.n*(f.n-1)), nil
}
