package metrics

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/tensor"
)

// MS-SSIM's settings (Wang, Simoncelli and Bovik, 2003): the exponents of
// its five scales, finest first, an 11-tap Gaussian window of σ 1.5, and
// the stabilising constants' factors K1 and K2 of the dynamic range, 2 for
// values in [−1, 1].
var msssimWeights = [5]float64{0.0448, 0.2856, 0.3001, 0.2363, 0.1333}

const (
	ssimWindow = 11
	ssimSigma  = 1.5
	ssimK1     = 0.01
	ssimK2     = 0.03
	ssimRange  = 2
)

// ssimGauss is the normalised 1-D Gaussian whose outer product is SSIM's
// window.
var ssimGauss = func() [ssimWindow]float64 {
	var g [ssimWindow]float64
	var sum float64
	for i := range g {
		x := float64(i - ssimWindow/2)
		g[i] = math.Exp(-x * x / (2 * ssimSigma * ssimSigma))
		sum += g[i]
	}
	for i := range g {
		g[i] /= sum
	}
	return g
}()

// MSSSIMScales returns the number of scales MS-SSIM uses for h×w images:
// as many of the five as keep the coarsest scale's side at least the 11
// of the window (two for 28×28, five from 176×176), 0 for images smaller
// than the window.
func MSSSIMScales(h, w int) int {
	s := 0
	for side := min(h, w); s < len(msssimWeights) && side >= ssimWindow; side /= 2 {
		s++
	}
	return s
}

// MSSSIM returns the multi-scale structural similarity of the images a and
// b, each c planes of h×w values in [−1, 1]: at each scale the contrast-
// structure term (the full SSIM at the coarsest), averaged over the
// valid positions of the 11×11 Gaussian window (σ 1.5), clipped at 0 and
// raised to the scale's exponent, their product averaged over the
// channels; between scales the images are averaged over 2×2 blocks (an odd
// last row or column dropped). Images too small for five scales use the
// first MSSSIMScales(h, w) exponents, rescaled to sum to 1. Identical
// images give 1; lower means less alike.
func MSSSIM(a, b []float32, c, h, w int) (float64, error) {
	scales := MSSSIMScales(h, w)
	if scales == 0 {
		return 0, fmt.Errorf("metrics: MS-SSIM: images of %d×%d, want at least %d×%d", h, w, ssimWindow, ssimWindow)
	}
	if len(a) != c*h*w || len(b) != c*h*w {
		return 0, fmt.Errorf("metrics: MS-SSIM: %d and %d values for %d×%d×%d images", len(a), len(b), c, h, w)
	}
	var total float64
	for _, v := range msssimWeights[:scales] {
		total += v
	}
	var sum float64
	for ch := range c {
		x := toFloat64(a[ch*h*w : (ch+1)*h*w])
		y := toFloat64(b[ch*h*w : (ch+1)*h*w])
		hh, ww := h, w
		prod := 1.0
		for s := range scales {
			l, cs := ssimTerms(x, y, hh, ww)
			term := cs
			if s == scales-1 {
				term = l * cs
			}
			prod *= math.Pow(max(term, 0), msssimWeights[s]/total)
			if s < scales-1 {
				x, y = pool2(x, hh, ww), pool2(y, hh, ww)
				hh, ww = hh/2, ww/2
			}
		}
		sum += prod
	}
	return sum / float64(c), nil
}

// toFloat64 returns v converted to float64.
func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

// pool2 averages the h×w plane x over 2×2 blocks, dropping an odd last row
// or column.
func pool2(x []float64, h, w int) []float64 {
	hh, ww := h/2, w/2
	out := make([]float64, hh*ww)
	for i := range hh {
		for j := range ww {
			out[i*ww+j] = (x[2*i*w+2*j] + x[2*i*w+2*j+1] + x[(2*i+1)*w+2*j] + x[(2*i+1)*w+2*j+1]) / 4
		}
	}
	return out
}

// ssimTerms returns the means over the window's valid positions of SSIM's
// luminance term (2μxμy + C1)/(μx² + μy² + C1) times its contrast-structure
// term, and of the contrast-structure term (2σxy + C2)/(σx² + σy² + C2),
// of the h×w planes x and y.
func ssimTerms(x, y []float64, h, w int) (ssim, cs float64) {
	c1 := (ssimK1 * ssimRange) * (ssimK1 * ssimRange)
	c2 := (ssimK2 * ssimRange) * (ssimK2 * ssimRange)
	xx, yy, xy := make([]float64, h*w), make([]float64, h*w), make([]float64, h*w)
	for i := range x {
		xx[i], yy[i], xy[i] = x[i]*x[i], y[i]*y[i], x[i]*y[i]
	}
	mx, my := windowed(x, h, w), windowed(y, h, w)
	sxx, syy, sxy := windowed(xx, h, w), windowed(yy, h, w), windowed(xy, h, w)
	for i := range mx {
		vx, vy, cov := sxx[i]-mx[i]*mx[i], syy[i]-my[i]*my[i], sxy[i]-mx[i]*my[i]
		csi := (2*cov + c2) / (vx + vy + c2)
		cs += csi
		ssim += (2*mx[i]*my[i] + c1) / (mx[i]*mx[i] + my[i]*my[i] + c1) * csi
	}
	n := float64(len(mx))
	return ssim / n, cs / n
}

// windowed returns the h×w plane x filtered by SSIM's Gaussian window at
// every position where the window lies inside the plane:
// (h−10)×(w−10) values.
func windowed(x []float64, h, w int) []float64 {
	oh, ow := h-ssimWindow+1, w-ssimWindow+1
	rows := make([]float64, h*ow)
	for i := range h {
		for j := range ow {
			var s float64
			for k, g := range ssimGauss {
				s += g * x[i*w+j+k]
			}
			rows[i*ow+j] = s
		}
	}
	out := make([]float64, oh*ow)
	for i := range oh {
		for j := range ow {
			var s float64
			for k, g := range ssimGauss {
				s += g * rows[(i+k)*ow+j]
			}
			out[i*ow+j] = s
		}
	}
	return out
}

// MeanMSSSIM returns the mean and standard deviation of MSSSIM over pairs
// pairs of distinct images of x [N, C, H, W] drawn at random by rng: the
// diversity measure of Odena et al. (2017), lower for a more varied set;
// a generator that collapses scores near 1, and real images give the
// value to aim for.
func MeanMSSSIM(x *tensor.Tensor, pairs int, rng *tensor.RNG) (Estimate, error) {
	if x.Dims() != 4 || x.Dim(0) < 2 || pairs < 1 {
		return Estimate{}, fmt.Errorf("metrics: MS-SSIM: %v images and %d pairs, want [N ≥ 2, C, H, W] and at least 1 pair", x.Shape(), pairs)
	}
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	size := c * h * w
	idx := make([][2]int, pairs)
	for p := range idx {
		i := rng.IntN(n)
		j := rng.IntN(n - 1)
		if j >= i {
			j++
		}
		idx[p] = [2]int{i, j}
	}
	v := make([]float64, pairs)
	errs := make([]error, pairs)
	parallel(pairs, func(_, p int) {
		i, j := idx[p][0], idx[p][1]
		v[p], errs[p] = MSSSIM(x.Data()[i*size:(i+1)*size], x.Data()[j*size:(j+1)*size], c, h, w)
	})
	for _, err := range errs {
		if err != nil {
			return Estimate{}, err
		}
	}
	return estimate(v), nil
}
