package nn

import (
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// BCEWithLogits returns the mean binary cross-entropy between sigmoid(logits)
// and a constant target, computed stably from the logits as
// mean(softplus(x) − target·x), like torch.nn.BCEWithLogitsLoss.
func BCEWithLogits(tp *autograd.Tape, logits *autograd.Var, target float32) *autograd.Var {
	l := tp.Softplus(logits)
	if target != 0 {
		l = tp.Sub(l, tp.Scale(logits, target))
	}
	return tp.Mean(l)
}

// MeanSigmoid returns the mean of sigmoid(logits) as a float64: the average
// probability a discriminator assigns.
func MeanSigmoid(logits *tensor.Tensor) float64 {
	var s float64
	for _, v := range logits.Data() {
		s += 1 / (1 + math.Exp(-float64(v)))
	}
	return s / float64(logits.Len())
}
