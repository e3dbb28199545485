package data

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/tensor"
)

// KMeans returns k centroids [k, D] of the rows of x [N, D] found by
// Lloyd's algorithm from a k-means++ start (Arthur & Vassilvitskii 2007)
// drawn from rng, after at most iters iterations (fewer once no row changes
// its cluster). A cluster that loses all its rows keeps its centroid. The
// result depends only on x, k, iters and rng: sums run in float64 in row
// order and the distances are one matrix product, bit-identical at any
// thread count. It panics unless 1 ≤ k ≤ N.
func KMeans(x *tensor.Tensor, k, iters int, rng *tensor.RNG) *tensor.Tensor {
	n, d := x.Dim(0), x.Dim(1)
	if k < 1 || k > n {
		panic(fmt.Sprintf("data: KMeans: %d clusters of %d rows", k, n))
	}
	rows := x.Data()
	c := tensor.New(k, d)
	cents := c.Data()
	// k-means++: each next centroid is a row drawn with probability
	// proportional to its squared distance to the nearest centroid so far.
	copy(cents[:d], rows[rng.IntN(n)*d:])
	near := make([]float64, n)
	for i := range near {
		near[i] = squaredDistance(rows[i*d:(i+1)*d], cents[:d])
	}
	for j := 1; j < k; j++ {
		var total float64
		for _, v := range near {
			total += v
		}
		pick, r := n-1, rng.Float64()*total
		for i, v := range near {
			if r < v {
				pick = i
				break
			}
			r -= v
		}
		cj := cents[j*d : (j+1)*d]
		copy(cj, rows[pick*d:(pick+1)*d])
		for i := range near {
			near[i] = math.Min(near[i], squaredDistance(rows[i*d:(i+1)*d], cj))
		}
	}
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	sums, counts := make([]float64, k*d), make([]int, k)
	for range iters {
		next := Nearest(x, c)
		changed := false
		for i, j := range next {
			changed = changed || j != assign[i]
		}
		if !changed {
			break
		}
		assign = next
		clear(sums)
		clear(counts)
		for i, j := range assign {
			counts[j]++
			s := sums[j*d : (j+1)*d]
			for e, v := range rows[i*d : (i+1)*d] {
				s[e] += float64(v)
			}
		}
		for j, cnt := range counts {
			if cnt == 0 {
				continue
			}
			for e, s := range sums[j*d : (j+1)*d] {
				cents[j*d+e] = float32(s / float64(cnt))
			}
		}
	}
	return c
}

// Nearest returns, for each row of x [N, D], the index of the nearest of
// the centroids [k, D] in Euclidean distance (the first of equals).
func Nearest(x, centroids *tensor.Tensor) []int {
	n, k, d := x.Dim(0), centroids.Dim(0), x.Dim(1)
	// ‖x − c‖² = ‖x‖² − 2⟨x, c⟩ + ‖c‖², and ‖x‖² is the same for every c.
	norms := make([]float32, k)
	for j := range k {
		for _, v := range centroids.Data()[j*d : (j+1)*d] {
			norms[j] += v * v
		}
	}
	out := make([]int, n)
	// Blocks of rows bound the product's memory.
	const block = 4096
	prod := tensor.New(min(n, block), k)
	for lo := 0; lo < n; lo += block {
		hi := min(n, lo+block)
		p := prod
		if hi-lo < prod.Dim(0) {
			p = tensor.New(hi-lo, k)
		}
		tensor.MatMul(p, tensor.FromSlice(x.Data()[lo*d:hi*d], hi-lo, d), centroids, false, true, 0)
		dots := p.Data()
		for i := range hi - lo {
			best, bestV := 0, float32(math.Inf(1))
			for j, nj := range norms {
				if v := nj - 2*dots[i*k+j]; v < bestV {
					best, bestV = j, v
				}
			}
			out[lo+i] = best
		}
	}
	return out
}

func squaredDistance(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		e := float64(v - b[i])
		s += e * e
	}
	return s
}

// MaxClusters bounds the clusters of Cluster: labels are bytes.
const MaxClusters = 256

// clusterFit is the most images KMeans fits the centroids on; the rest are
// then assigned to the nearest.
const clusterFit = 20000

// clusterIters bounds Lloyd's iterations.
const clusterIters = 30

// Cluster groups the images of ds into k clusters by k-means on their
// pixels scaled to [0, 1], the centroids fitted on at most 20,000 images
// drawn from rng (all of them when there are fewer), and returns each
// image's cluster and the number of images in each. It is the unsupervised
// labelling of a self-conditioned GAN (Liu et al. 2020): classes found in
// the data, not given with it.
func Cluster(ds *Dataset, k int, rng *tensor.RNG) (labels []uint8, sizes []int, err error) {
	if k < 2 || k > MaxClusters || k > ds.N {
		return nil, nil, fmt.Errorf("data: %s: %d clusters: want 2 to %d, and no more than its %d images", ds.Name, k, MaxClusters, ds.N)
	}
	d := ds.ImageSize()
	x := tensor.New(ds.N, d)
	for i, p := range ds.Pixels {
		x.Data()[i] = float32(p) / 255
	}
	fit := x
	if ds.N > clusterFit {
		fit = tensor.New(clusterFit, d)
		order := make([]int, ds.N)
		rng.Perm(order)
		for i, j := range order[:clusterFit] {
			copy(fit.Data()[i*d:(i+1)*d], x.Data()[j*d:(j+1)*d])
		}
	}
	nearest := Nearest(x, KMeans(fit, k, clusterIters, rng))
	labels, sizes = make([]uint8, ds.N), make([]int, k)
	for i, j := range nearest {
		labels[i] = uint8(j)
		sizes[j]++
	}
	return labels, sizes, nil
}
