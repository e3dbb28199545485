package metrics

import "fmt"

// DefaultK is the number of nearest neighbours that defines the balls of
// PRDC: Naeem et al. (2020) use 5 for all four metrics (their check: two
// independent N(0, I) sets of 10,000 points in d = 1000 give precision
// 0.477, recall 0.471, density 1.056, coverage 0.974); Kynkäänniemi et al.
// (2019) use 3 for precision and recall.
const DefaultK = 5

// PRDCScores holds improved precision and recall (Kynkäänniemi et al., 2019) and
// density and coverage (Naeem et al., 2020).
type PRDCScores struct {
	// Precision is the fraction of fake samples inside at least one
	// real k-NN ball.
	Precision float64 `json:"precision"`
	// Recall is the fraction of real samples inside at least one fake
	// k-NN ball.
	Recall float64 `json:"recall"`
	// Density is the mean number of real k-NN balls containing a fake
	// sample, divided by k; 1 on average when the sets are alike, and
	// unbounded.
	Density float64 `json:"density"`
	// Coverage is the fraction of real k-NN balls that contain at least
	// one fake sample.
	Coverage float64 `json:"coverage"`
}

// PRDC returns precision, recall, density and coverage of fake
// against real with k nearest neighbours. The k-NN ball of a sample is
// centred on it with radius the distance to its k-th nearest other sample
// of its own set; a point is inside when its distance is ≤ the radius, as
// Kynkäänniemi et al. define it (the prdc package of Naeem et al. uses <,
// which differs only on ties). Every comparison is that of the float64
// distances computed term by term; the engine's float32 GEMM only screens
// out the pairs whose rounding-error interval lies clear of the radii.
func PRDC(real, fake *Features, k int) (PRDCScores, error) {
	if err := sameDim("PRDC", real, fake); err != nil {
		return PRDCScores{}, err
	}
	if k < 1 {
		return PRDCScores{}, fmt.Errorf("metrics: PRDC: k = %d, want at least 1", k)
	}
	for _, f := range []*Features{real, fake} {
		if f.n <= k {
			return PRDCScores{}, fmt.Errorf("metrics: PRDC: %s has %d samples; k = %d needs at least %d", f.name, f.n, k, k+1)
		}
	}
	realSide, fakeSide := prepare(real), prepare(fake)
	realRadii, fakeRadii := kthRadii(realSide, k), kthRadii(fakeSide, k)
	nw := workers()
	// inBalls[w][j] counts the real balls holding fake sample j, as seen
	// by goroutine w.
	inBalls := make([][]int, nw)
	for w := range inBalls {
		inBalls[w] = make([]int, fake.n)
	}
	recalled, covered := make([]bool, real.n), make([]bool, real.n)
	s := newScreen(realSide, fakeSide)
	s.sweep(func(w, i, j0 int, lo, hi []float64) {
		r, counts := realRadii[i], inBalls[w]
		for t, l := range lo {
			j := j0 + t
			rf := fakeRadii[j]
			if l > max(r, rf) {
				continue
			}
			d := hi[t]
			if d > min(r, rf) {
				// The interval straddles a radius: decide on sqDist.
				d = s.exactDist(i, j)
			}
			if d <= r {
				counts[j]++
				covered[i] = true
			}
			if d <= rf {
				recalled[i] = true
			}
		}
	})
	var res PRDCScores
	for j := range fake.n {
		var c int
		for w := range inBalls {
			c += inBalls[w][j]
		}
		if c > 0 {
			res.Precision++
		}
		res.Density += float64(c)
	}
	for i := range real.n {
		if recalled[i] {
			res.Recall++
		}
		if covered[i] {
			res.Coverage++
		}
	}
	res.Precision /= float64(fake.n)
	res.Density /= float64(k) * float64(fake.n)
	res.Recall /= float64(real.n)
	res.Coverage /= float64(real.n)
	return res, nil
}
