package metrics

import (
	"fmt"
	"math"
	"slices"

	"github.com/nash-gan/nash/tensor"
)

// SWDOptions are the settings of SWD. The zero value of a field takes the
// default of ProGAN's implementation, given beside it.
type SWDOptions struct {
	// Patch is the side of the square neighbourhoods compared (7).
	Patch int
	// PatchesPerImage is the number of neighbourhoods drawn from each
	// image at each level (128).
	PatchesPerImage int
	// MinSide is the smallest side of a pyramid level (14; ProGAN's 16
	// would leave 28×28 images a single level).
	MinSide int
	// Repeats and Directions: the distance is averaged over Repeats sets
	// of Directions random unit directions (4 × 128).
	Repeats, Directions int
}

func (o SWDOptions) withDefaults() SWDOptions {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Patch, 7)
	def(&o.PatchesPerImage, 128)
	def(&o.MinSide, 14)
	def(&o.Repeats, 4)
	def(&o.Directions, 128)
	return o
}

// SWDLevel is the sliced Wasserstein distance at one level of the pyramid.
type SWDLevel struct {
	// Side is the level's resolution (its height; the width scales
	// alike).
	Side int `json:"side"`
	// Distance is the sliced Wasserstein distance between the normalised
	// neighbourhoods of the two sets at this level; ProGAN's tables
	// print it ×10³.
	Distance float64 `json:"distance"`
}

// SWDResult is the sliced Wasserstein distance at each level of the
// Laplacian pyramid, finest first, and their mean.
type SWDResult struct {
	Levels      []SWDLevel `json:"levels"`
	Mean        float64    `json:"mean"`
	Descriptors int        `json:"descriptors_per_level"`
}

// SWD returns the sliced Wasserstein distance between the images real and
// fake [N, C, H, W] on each level of their Laplacian pyramids, as Karras et
// al. (2018, "Progressive growing of GANs", appendix D) define it: from
// every image o.PatchesPerImage random o.Patch×o.Patch neighbourhoods of
// each level, each set's neighbourhoods normalised per channel to zero mean
// and unit variance, then the Wasserstein-1 distance between the sets'
// projections on o.Directions random unit directions (sorted projections
// compared in order), averaged over the directions and o.Repeats draws of
// them. Both sets must have the same image shape; the larger set's extra
// images are not used, so that the sets give as many neighbourhoods. Equal
// sets have distance 0; it needs no pretrained network and takes images of
// any size of at least o.Patch.
func SWD(real, fake *tensor.Tensor, o SWDOptions, rng *tensor.RNG) (SWDResult, error) {
	o = o.withDefaults()
	if real.Dims() != 4 || fake.Dims() != 4 || !slices.Equal(real.Shape()[1:], fake.Shape()[1:]) {
		return SWDResult{}, fmt.Errorf("metrics: SWD: image shapes %v and %v, want [N, C, H, W] alike", real.Shape(), fake.Shape())
	}
	n := min(real.Dim(0), fake.Dim(0))
	h, w := real.Dim(2), real.Dim(3)
	if n < 1 || min(h, w) < o.Patch {
		return SWDResult{}, fmt.Errorf("metrics: SWD: %d images of %d×%d, want at least 1 of at least %d×%d", n, h, w, o.Patch, o.Patch)
	}
	if o.Patch < 1 || o.PatchesPerImage < 1 || o.Repeats < 1 || o.Directions < 1 || o.MinSide < o.Patch {
		return SWDResult{}, fmt.Errorf("metrics: SWD: options %+v: want positive counts and a minimum side of at least the patch", o)
	}
	head := func(x *tensor.Tensor) *tensor.Tensor {
		size := x.Len() / x.Dim(0)
		return tensor.FromSlice(x.Data()[:n*size], n, x.Dim(1), h, w)
	}
	realLevels := LaplacianPyramid(head(real), o.MinSide)
	fakeLevels := LaplacianPyramid(head(fake), o.MinSide)
	res := SWDResult{Descriptors: n * o.PatchesPerImage}
	for l := range realLevels {
		a := descriptors(realLevels[l], o.Patch, o.PatchesPerImage, rng)
		b := descriptors(fakeLevels[l], o.Patch, o.PatchesPerImage, rng)
		d := slicedWasserstein(a, b, o.Repeats, o.Directions, rng)
		res.Levels = append(res.Levels, SWDLevel{Side: realLevels[l].Dim(2), Distance: d})
		res.Mean += d / float64(len(realLevels))
	}
	return res, nil
}

// descriptors draws per random patch×patch neighbourhoods from each image
// of x [N, C, H, W] and returns them as rows [N·per, C·patch·patch], each
// channel normalised to zero mean and unit variance over all rows and
// positions.
func descriptors(x *tensor.Tensor, patch, per int, rng *tensor.RNG) *tensor.Tensor {
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	d := c * patch * patch
	out := tensor.New(n*per, d)
	src, dst := x.Data(), out.Data()
	for i := range n {
		for p := range per {
			y0, x0 := rng.IntN(h-patch+1), rng.IntN(w-patch+1)
			row := dst[(i*per+p)*d:]
			for ch := range c {
				plane := src[(i*c+ch)*h*w:]
				for dy := range patch {
					copy(row[(ch*patch+dy)*patch:(ch*patch+dy+1)*patch], plane[(y0+dy)*w+x0:])
				}
			}
		}
	}
	area := patch * patch
	for ch := range c {
		var sum, sq float64
		for r := range n * per {
			for _, v := range dst[r*d+ch*area : r*d+(ch+1)*area] {
				sum += float64(v)
				sq += float64(v) * float64(v)
			}
		}
		count := float64(n * per * area)
		mean := sum / count
		std := math.Sqrt(max(sq/count-mean*mean, 0))
		if std == 0 {
			std = 1
		}
		for r := range n * per {
			for k := r*d + ch*area; k < r*d+(ch+1)*area; k++ {
				dst[k] = float32((float64(dst[k]) - mean) / std)
			}
		}
	}
	return out
}

// slicedWasserstein returns the mean over repeats draws of dirs random unit
// directions of the Wasserstein-1 distance between the projections of the
// rows of a and b (as many rows each) on each direction.
func slicedWasserstein(a, b *tensor.Tensor, repeats, dirs int, rng *tensor.RNG) float64 {
	m, d := a.Dim(0), a.Dim(1)
	dir := tensor.New(d, dirs)
	pa, pb := tensor.New(dirs, m), tensor.New(dirs, m)
	dist := make([]float64, dirs)
	keys, tmp := make([][]uint32, workers()), make([][]uint32, workers())
	for w := range keys {
		keys[w], tmp[w] = make([]uint32, m), make([]uint32, m)
	}
	var total float64
	for range repeats {
		v := dir.Data()
		for i := range v {
			v[i] = float32(rng.Norm())
		}
		for j := range dirs {
			var norm float64
			for i := range d {
				norm += float64(v[i*dirs+j]) * float64(v[i*dirs+j])
			}
			scale := float32(1 / math.Sqrt(norm))
			for i := range d {
				v[i*dirs+j] *= scale
			}
		}
		// pa = dirᵀ·aᵀ: one row of projections per direction.
		tensor.MatMul(pa, dir, a, true, true, 0)
		tensor.MatMul(pb, dir, b, true, true, 0)
		parallel(dirs, func(w, j int) {
			ra, rb := pa.Data()[j*m:(j+1)*m], pb.Data()[j*m:(j+1)*m]
			sortFloat32(ra, keys[w], tmp[w])
			sortFloat32(rb, keys[w], tmp[w])
			var s float64
			for k := range ra {
				s += math.Abs(float64(ra[k]) - float64(rb[k]))
			}
			dist[j] = s / float64(m)
		})
		var sum float64
		for _, v := range dist {
			sum += v
		}
		total += sum / float64(dirs)
	}
	return total / float64(repeats)
}
