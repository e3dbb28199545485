package data

import (
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// blobs returns n points in d dimensions around k well-separated centres
// (centre j is 10·j on every axis), point i around centre i mod k.
func blobs(n, d, k int, rng *tensor.RNG) *tensor.Tensor {
	x := tensor.New(n, d)
	for i := range n {
		for e := range d {
			x.Data()[i*d+e] = float32(10*(i%k)) + float32(rng.Norm())
		}
	}
	return x
}

// KMeans finds well-separated clusters whatever its start, Nearest
// assigns every point to its own, and the centroids are the same at any
// number of threads (the sizes share the distances' product among them).
func TestKMeansFindsSeparatedClusters(t *testing.T) {
	const n, d, k = 4000, 40, 8
	x := blobs(n, d, k, tensor.NewRNG(1, "blobs"))
	var ref *tensor.Tensor
	for _, threads := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(threads)
		c := KMeans(x, k, 50, tensor.NewRNG(2, "kmeans"))
		runtime.GOMAXPROCS(prev)
		if ref == nil {
			ref = c
		} else if !slices.Equal(c.Data(), ref.Data()) {
			t.Fatalf("%d threads: other centroids than 1", threads)
		}
	}
	assign := Nearest(x, ref)
	for i, j := range assign {
		if assign[i%k] != j {
			t.Fatalf("point %d is in cluster %d, point %d of its blob in %d", i, j, i%k, assign[i%k])
		}
	}
	seen := map[int]bool{}
	for _, j := range assign[:k] {
		seen[j] = true
	}
	if len(seen) != k {
		t.Fatalf("%d blobs share %d clusters", k, len(seen))
	}
	for b, j := range assign[:k] {
		for e := range d {
			if v := ref.Data()[j*d+e]; v < float32(10*b)-0.5 || v > float32(10*b)+0.5 {
				t.Fatalf("blob %d's centroid has %g on axis %d, want about %d", b, v, e, 10*b)
			}
		}
	}
}

// Cluster groups images by their pixels: a dataset of dark, bright and
// half-lit images falls into those three groups, the same from the same
// stream, also when it has more images than the centroids are fitted on;
// a number of clusters it cannot have is refused.
func TestCluster(t *testing.T) {
	for _, n := range []int{90, clusterFit + 31} {
		clusterThree(t, n)
	}
}

func clusterThree(t *testing.T, n int) {
	ds := &Dataset{Name: "test", N: n, C: 1, H: 4, W: 4, Pixels: make([]uint8, n*16)}
	rng := tensor.NewRNG(1, "pixels")
	for i := range n {
		for p := range 16 {
			level := []int{20, 230, 20}[i%3]
			if i%3 == 2 && p >= 8 {
				level = 230
			}
			ds.Pixels[i*16+p] = uint8(level + rng.IntN(20))
		}
	}
	labels, sizes, err := Cluster(ds, 3, tensor.NewRNG(1, "clusters"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sizes, []int{n / 3, n / 3, n / 3}) {
		t.Errorf("sizes %v, want three clusters of %d", sizes, n/3)
	}
	for i, l := range labels {
		if l != labels[i%3] {
			t.Fatalf("image %d is in cluster %d, image %d of its kind in %d", i, l, i%3, labels[i%3])
		}
	}
	again, _, _ := Cluster(ds, 3, tensor.NewRNG(1, "clusters"))
	if !slices.Equal(again, labels) {
		t.Error("the same stream gave other clusters")
	}
	if n > MaxClusters {
		return
	}
	for _, k := range []int{1, MaxClusters + 1, n + 1} {
		if _, _, err := Cluster(ds, k, tensor.NewRNG(1, "clusters")); err == nil || !strings.Contains(err.Error(), "clusters: want 2 to 256") {
			t.Errorf("%d clusters: error %v", k, err)
		}
	}
}
