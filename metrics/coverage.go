package metrics

import (
	"fmt"
	"math"
)

// Histogram is how samples fall into K modes or classes.
type Histogram struct {
	// Counts[c] is the number of samples in mode or class c.
	Counts []int `json:"counts"`
	// Covered is the number of modes or classes with at least one sample.
	Covered int `json:"covered"`
	// KL is KL(h ‖ uniform) = Σ h_c log(K h_c) of the normalised counts h
	// (0 log 0 = 0): 0 for an even spread, log K when every sample is in
	// one mode, +Inf when there are no samples.
	KL float64 `json:"kl"`
}

// newHistogram fills Covered and KL from counts.
func newHistogram(counts []int) Histogram {
	h := Histogram{Counts: counts}
	total := 0
	for _, c := range counts {
		total += c
		if c > 0 {
			h.Covered++
		}
	}
	if total == 0 {
		h.KL = math.Inf(1)
		return h
	}
	k := float64(len(counts))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(total)
			h.KL += p * math.Log(k*p)
		}
	}
	return h
}

// ClassHistogram returns the histogram of labels, each in [0, classes): the
// classes a classifier gives generated images, for classes covered and the
// KL divergence to uniform.
func ClassHistogram(labels []int, classes int) (Histogram, error) {
	if classes < 1 {
		return Histogram{}, fmt.Errorf("metrics: class histogram: %d classes", classes)
	}
	counts := make([]int, classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return Histogram{}, fmt.Errorf("metrics: class histogram: label %d of sample %d not in [0, %d)", l, i, classes)
		}
		counts[l]++
	}
	return newHistogram(counts), nil
}

// ClassAccuracy returns the fraction of predictions equal to their labels:
// for a conditional generator, how often a classifier sees in a generated
// image the class it was asked for. The slices must be of one length, at
// least 1.
func ClassAccuracy(predictions, labels []int) (float64, error) {
	if len(predictions) != len(labels) || len(labels) == 0 {
		return 0, fmt.Errorf("metrics: class accuracy: %d predictions for %d labels, want as many and at least 1", len(predictions), len(labels))
	}
	right := 0
	for i, p := range predictions {
		if p == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(labels)), nil
}

// Modes is the mode coverage of samples of a Gaussian mixture.
type Modes struct {
	// Histogram counts the high-quality samples of each mode; Covered is
	// the number of modes with at least one.
	Histogram
	// HighQuality is the fraction of samples within 3σ of their nearest
	// mode's mean.
	HighQuality float64 `json:"high_quality"`
}

// ModeCoverage measures samples of an equally weighted mixture of isotropic
// Gaussians with the given means (one per row) and standard deviation
// sigma, as the papers on 2-D rings and grids do (Metz et al., 2017;
// Srivastava et al., 2017; Lin et al., 2018): each sample goes to the mode
// whose mean is nearest; it is high quality if it lies within 3σ of that
// mean; a mode is covered if it has at least one high-quality sample; KL is
// that of the high-quality samples' histogram over the modes against
// uniform.
func ModeCoverage(samples, means *Features, sigma float64) (Modes, error) {
	if err := sameDim("mode coverage", samples, means); err != nil {
		return Modes{}, err
	}
	if means.n < 1 || samples.n < 1 {
		return Modes{}, fmt.Errorf("metrics: mode coverage: %d samples of %s, %d means of %s",
			samples.n, samples.name, means.n, means.name)
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return Modes{}, fmt.Errorf("metrics: mode coverage: σ = %v, want a positive number", sigma)
	}
	counts := make([]int, means.n)
	hq := 0
	for i := range samples.n {
		x := samples.Row(i)
		best, bestD := 0, math.Inf(1)
		for c := range means.n {
			if d := sqDist(x, means.Row(c)); d < bestD {
				best, bestD = c, d
			}
		}
		if bestD <= 9*sigma*sigma {
			counts[best]++
			hq++
		}
	}
	return Modes{Histogram: newHistogram(counts), HighQuality: float64(hq) / float64(samples.n)}, nil
}
