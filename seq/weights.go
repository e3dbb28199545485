package seq

import (
	"math"

	"github.com/nash-gan/nash/nn"
)

// CopyWeights sets dst's parameters to src's (the same architecture).
func CopyWeights(dst, src nn.Module) { mixWeights(dst, src, 0) }

// mixWeights sets each parameter of dst to keep·dst + (1 − keep)·src.
func mixWeights(dst, src nn.Module, keep float32) {
	d, s := dst.Parameters(), src.Parameters()
	for i := range d {
		dv, sv := d[i].Value.Data(), s[i].Value.Data()
		for j := range dv {
			dv[j] = keep*dv[j] + (1-keep)*sv[j]
		}
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
