package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/nash-gan/nash/tensor"
)

// minCellGenerated is the number of generated samples a cell needs to enter
// C_T: Meehan et al. (2020) use τ = 20/m.
const minCellGenerated = 20

// maxLloyd bounds the Lloyd iterations of the k-means that makes C_T's cells.
const maxLloyd = 30

// Memorisation compares how close generated samples and held-out test
// samples lie to the training set.
type Memorisation struct {
	// GenDistance[j] is the Euclidean distance from generated sample j to
	// the nearest training sample, GenNearest[j] that sample's index.
	GenDistance []float64
	GenNearest  []int
	// TestDistance[i] is the distance from test sample i to the nearest
	// training sample.
	TestDistance []float64
	// CT is the C_T statistic of Meehan et al. (2020): over the cells of a
	// k-means partition of the training set that hold at least 20
	// generated samples and one test sample, the average, weighted by the
	// cells' shares of test samples, of the Mann-Whitney Z-score of the
	// generated samples' distances against the test samples'. Near 0 when
	// generated samples are as far from the training set as unseen data;
	// well below 0 (−3 and lower) means data-copying, well above 0
	// underfitting.
	CT float64
	// Cells is the number of cells that entered CT.
	Cells int
}

// Pair is a generated sample and its nearest training sample.
type Pair struct {
	Gen      int     `json:"gen"`
	Train    int     `json:"train"`
	Distance float64 `json:"distance"`
}

// MemorisationTest measures memorisation of train by the generator of gen,
// with test held out from training: distances to the nearest training
// sample and C_T over cells k-means cells of train (Lloyd's algorithm from a
// k-means++ start drawn by rng, at most 30 iterations; cells = 1 compares
// all samples at once). Meehan et al. take distances to the nearest
// training sample within the cell; here it is the nearest of the whole
// training set, which differs only near cell boundaries.
func MemorisationTest(train, test, gen *Features, cells int, rng *tensor.RNG) (*Memorisation, error) {
	if err := sameDim("memorisation", train, test); err != nil {
		return nil, err
	}
	if err := sameDim("memorisation", train, gen); err != nil {
		return nil, err
	}
	if cells < 1 || cells > train.n {
		return nil, fmt.Errorf("metrics: memorisation: %d cells for %d samples of %s", cells, train.n, train.name)
	}
	if test.n < 1 || gen.n < minCellGenerated {
		return nil, fmt.Errorf("metrics: memorisation: %d samples of %s and %d of %s; need at least 1 and %d",
			test.n, test.name, gen.n, gen.name, minCellGenerated)
	}
	m := &Memorisation{GenNearest: make([]int, gen.n)}
	trainSide, genSide, testSide := prepare(train), prepare(gen), prepare(test)
	m.GenDistance = nearestDistances(genSide, trainSide, m.GenNearest)
	m.TestDistance = nearestDistances(testSide, trainSide, make([]int, test.n))
	centroids := prepare(kmeans(trainSide, cells, rng))
	genCell, testCell := make([]int, gen.n), make([]int, test.n)
	nearestDistances(genSide, centroids, genCell)
	nearestDistances(testSide, centroids, testCell)
	var sum, weight float64
	for c := range cells {
		var g, t []float64
		for j, cj := range genCell {
			if cj == c {
				g = append(g, m.GenDistance[j])
			}
		}
		for i, ci := range testCell {
			if ci == c {
				t = append(t, m.TestDistance[i])
			}
		}
		if len(g) < minCellGenerated || len(t) == 0 {
			continue
		}
		share := float64(len(t)) / float64(test.n)
		sum += share * mannWhitneyZ(g, t)
		weight += share
		m.Cells++
	}
	if m.Cells == 0 {
		return nil, fmt.Errorf("metrics: memorisation: no cell of %d holds %d samples of %s and one of %s",
			cells, minCellGenerated, gen.name, test.name)
	}
	m.CT = sum / weight
	return m, nil
}

// CopyRate returns the q-quantile of the test samples' distances to the
// training set (the nearest-rank quantile) and the fraction of generated
// samples closer than it to the training set: about q for a generator that
// does not copy, more for one that does.
func (m *Memorisation) CopyRate(q float64) (threshold, rate float64) {
	sorted := slices.Sorted(slices.Values(m.TestDistance))
	threshold = sorted[min(len(sorted)-1, max(0, int(math.Ceil(q*float64(len(sorted))))-1))]
	n := 0
	for _, d := range m.GenDistance {
		if d < threshold {
			n++
		}
	}
	return threshold, float64(n) / float64(len(m.GenDistance))
}

// Closest returns the n generated samples nearest to the training set
// (all of them if there are fewer), nearest first, with their training
// samples: pictures of the pairs show what, if anything, was copied.
func (m *Memorisation) Closest(n int) []Pair {
	pairs := make([]Pair, len(m.GenDistance))
	for j, d := range m.GenDistance {
		pairs[j] = Pair{Gen: j, Train: m.GenNearest[j], Distance: d}
	}
	slices.SortStableFunc(pairs, func(a, b Pair) int { return cmp.Compare(a.Distance, b.Distance) })
	return pairs[:min(n, len(pairs))]
}

// nearestDistances stores in nearestIdx[i] the row of b nearest to row i of
// a (the lowest index of equally near ones) and returns the Euclidean
// distances.
func nearestDistances(a, b *side, nearestIdx []int) []float64 {
	dist, idx := kNearest(a, b, 1, false)
	copy(nearestIdx, idx)
	for i, d := range dist {
		dist[i] = math.Sqrt(d)
	}
	return dist
}

// mannWhitneyZ returns the Z-score of the Mann-Whitney U statistic of x
// against y, U = #{(i, j): x_i > y_j} + ½ #{x_i = y_j}, standardised by its
// null mean and variance without a correction for ties.
func mannWhitneyZ(x, y []float64) float64 {
	type value struct {
		v   float64
		inX bool
	}
	all := make([]value, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, value{v, true})
	}
	for _, v := range y {
		all = append(all, value{v, false})
	}
	slices.SortFunc(all, func(a, b value) int { return cmp.Compare(a.v, b.v) })
	var rankSumX float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // ranks i+1 … j share their average
		for _, a := range all[i:j] {
			if a.inX {
				rankSumX += rank
			}
		}
		i = j
	}
	nx, ny := float64(len(x)), float64(len(y))
	u := rankSumX - nx*(nx+1)/2
	return (u - nx*ny/2) / math.Sqrt(nx*ny*(nx+ny+1)/12)
}

// kmeans returns k centroids of the rows of f found by Lloyd's algorithm
// from a k-means++ start drawn by rng, stopping when no row changes cell or
// after maxLloyd iterations. A cell that loses all its rows keeps its
// centroid.
func kmeans(fs *side, k int, rng *tensor.RNG) *Features {
	f := fs.f
	c := &Features{name: f.name + " centroids", n: k, d: f.d, data: make([]float64, k*f.d)}
	copy(c.Row(0), f.Row(rng.IntN(f.n)))
	closest := make([]float64, f.n)
	for i := range closest {
		closest[i] = math.Inf(1)
	}
	for j := 1; j < k; j++ {
		var total float64
		for i := range f.n {
			closest[i] = min(closest[i], sqDist(f.Row(i), c.Row(j-1)))
			total += closest[i]
		}
		pick, u := f.n-1, rng.Float64()*total
		for i, d := range closest {
			if u < d {
				pick = i
				break
			}
			u -= d
		}
		copy(c.Row(j), f.Row(pick))
	}
	cell, prev := make([]int, f.n), make([]int, f.n)
	counts := make([]int, k)
	for it := range maxLloyd {
		nearestDistances(fs, prepare(c), cell)
		if it > 0 && slices.Equal(cell, prev) {
			break
		}
		copy(prev, cell)
		clear(counts)
		for i, ci := range cell {
			if counts[ci] == 0 {
				clear(c.Row(ci))
			}
			counts[ci]++
			row := c.Row(ci)
			for j, v := range f.Row(i) {
				row[j] += v
			}
		}
		for ci, n := range counts {
			if n > 0 {
				row := c.Row(ci)
				for j := range row {
					row[j] /= float64(n)
				}
			}
		}
	}
	return c
}

// sqDist returns ‖a − b‖².
func sqDist(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += (v - b[i]) * (v - b[i])
	}
	return s
}
