package seq

import (
	"math"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
)

// CopyWeights sets dst's parameters to src's (the same architecture).
func CopyWeights(dst, src nn.Module) { gan.UpdateEMA(dst, src, 0) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
