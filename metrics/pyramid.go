package metrics

import (
	"github.com/nash-gan/nash/tensor"
)

// binomial5 is the 5-tap binomial filter [1 4 6 4 1]/16 whose outer
// product is the Gaussian kernel of Burt and Adelson's pyramids (and of
// ProGAN's sliced Wasserstein distance).
var binomial5 = [5]float32{1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16}

// mirror maps an index outside [0, n) back into it by reflection about the
// edge samples (d c b | a b c d | c b a), scipy.ndimage's "mirror" mode.
func mirror(i, n int) int {
	if n == 1 {
		return 0
	}
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

// half returns ceil(n/2), the side of a plane of side n after pyrDown.
func half(n int) int { return (n + 1) / 2 }

// pyrDown blurs the h×w plane src with the binomial kernel (mirrored
// edges) and keeps every second sample of every second line: dst is
// half(h)×half(w). tmp holds h·half(w) values.
func pyrDown(dst, src, tmp []float32, h, w int) {
	hw, hh := half(w), half(h)
	for y := range h {
		row := src[y*w : (y+1)*w]
		for j := range hw {
			var s float32
			for b, k := range binomial5 {
				s += k * row[mirror(2*j+b-2, w)]
			}
			tmp[y*hw+j] = s
		}
	}
	for i := range hh {
		for j := range hw {
			var s float32
			for a, k := range binomial5 {
				s += k * tmp[mirror(2*i+a-2, h)*hw+j]
			}
			dst[i*hw+j] = s
		}
	}
}

// pyrUp is pyrDown's counterpart: it places the half(h)×half(w) plane src
// on the even samples of an h×w plane of zeros and blurs that with four
// times the binomial kernel (mirrored edges), into dst. tmp holds
// half(h)·w values.
func pyrUp(dst, src, tmp []float32, h, w int) {
	hw, hh := half(w), half(h)
	for i := range hh {
		row := src[i*hw : (i+1)*hw]
		for x := range w {
			var s float32
			for b, k := range binomial5 {
				if c := mirror(x+b-2, w); c%2 == 0 {
					s += k * row[c/2]
				}
			}
			tmp[i*w+x] = 2 * s
		}
	}
	for y := range h {
		for x := range w {
			var s float32
			for a, k := range binomial5 {
				if r := mirror(y+a-2, h); r%2 == 0 {
					s += k * tmp[r/2*w+x]
				}
			}
			dst[y*w+x] = 2 * s
		}
	}
}

// LaplacianPyramid returns the levels of the Laplacian pyramid of the
// images x [N, C, H, W]: level 0 is x minus the upsampled blur of its
// half-resolution copy, level 1 the same of that copy, and so on; the last
// of the levels is the blurred, subsampled image itself (the Gaussian
// residual). A level is made while its side is at least minSide (at least
// one level, x itself, is returned), so 28×28 images with minSide 14 have
// the levels 28×28 and 14×14.
func LaplacianPyramid(x *tensor.Tensor, minSide int) []*tensor.Tensor {
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	levels := []*tensor.Tensor{x.Clone()}
	for half(h) >= minSide && half(w) >= minSide {
		cur := levels[len(levels)-1]
		hh, hw := half(h), half(w)
		next := tensor.New(n, c, hh, hw)
		tmp := make([]float32, max(h*hw, hh*w))
		up := make([]float32, h*w)
		for p := range n * c {
			plane := cur.Data()[p*h*w : (p+1)*h*w]
			small := next.Data()[p*hh*hw : (p+1)*hh*hw]
			pyrDown(small, plane, tmp, h, w)
			pyrUp(up, small, tmp, h, w)
			for i, v := range up {
				plane[i] -= v
			}
		}
		levels = append(levels, next)
		h, w = hh, hw
	}
	return levels
}
