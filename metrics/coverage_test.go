package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// ring returns the means of 8 modes on a circle of radius 2.
func ring() *Features {
	data := make([]float64, 0, 16)
	for i := range 8 {
		a := 2 * math.Pi * float64(i) / 8
		data = append(data, 2*math.Cos(a), 2*math.Sin(a))
	}
	f, err := NewFeatures("ring", data, 8, 2)
	if err != nil {
		panic(err)
	}
	return f
}

// around returns n points per listed mode of means, each at offset r in a
// random direction, followed by far points far from every mode.
func around(means *Features, modes []int, n int, r float64, far int, rng *tensor.RNG) *Features {
	var data []float64
	for _, c := range modes {
		for range n {
			a := 2 * math.Pi * rng.Float64()
			data = append(data, means.Row(c)[0]+r*math.Cos(a), means.Row(c)[1]+r*math.Sin(a))
		}
	}
	for range far {
		data = append(data, 100, 100)
	}
	f, err := NewFeatures("samples", data, len(data)/2, 2)
	if err != nil {
		panic(err)
	}
	return f
}

func TestModeCoverage(t *testing.T) {
	const sigma = 1.0 / 64 // 3σ and the squares below are exact
	rng := tensor.NewRNG(12, "modes")
	means := ring()
	square, err := NewFeatures("square", []float64{0, 0, 0, 4, 4, 0, 4, 4}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Points at exactly 3σ from modes 1 and 2 of square, and just beyond
	// 3σ from mode 3.
	edge, err := NewFeatures("edge", []float64{0, 4 + 3*sigma, 4 - 3*sigma, 0, 4 + 3.01*sigma, 4}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		samples, means *Features
		covered        int
		hq, kl         float64
	}{
		{"every mode evenly", around(means, []int{0, 1, 2, 3, 4, 5, 6, 7}, 10, 2*sigma, 0, rng), means, 8, 1, 0},
		{"one mode", around(means, []int{3}, 50, sigma, 0, rng), means, 1, 1, math.Log(8)},
		{"two modes, half far away", around(means, []int{1, 5}, 10, 0, 20, rng), means, 2, 0.5, math.Log(4)},
		{"none within 3σ", around(means, []int{0}, 5, 4*sigma, 0, rng), means, 0, 0, math.Inf(1)},
		// At 3σ is high quality; just beyond is not.
		{"on the 3σ boundary", edge, square, 2, 2.0 / 3, math.Log(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ModeCoverage(tt.samples, tt.means, sigma)
			if err != nil {
				t.Fatal(err)
			}
			if got.Covered != tt.covered || math.Abs(got.HighQuality-tt.hq) > 1e-12 ||
				!(math.Abs(got.KL-tt.kl) <= 1e-12 || got.KL == tt.kl) {
				t.Errorf("got covered %d, high quality %g, KL %g; want %d, %g, %g",
					got.Covered, got.HighQuality, got.KL, tt.covered, tt.hq, tt.kl)
			}
		})
	}
}

func TestModeCoverageRejects(t *testing.T) {
	means := ring()
	x := around(means, []int{0}, 3, 0, 0, tensor.NewRNG(1, "modes"))
	three, err := NewFeatures("three-d", make([]float64, 6), 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		samples  *Features
		sigma    float64
		wantText string
	}{
		{"dimensions", three, 0.1, "three-d has 3"},
		{"σ = 0", x, 0, "σ = 0"},
		{"σ NaN", x, math.NaN(), "σ = NaN"},
	} {
		if _, err := ModeCoverage(tt.samples, means, tt.sigma); err == nil || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.wantText)
		}
	}
}

func TestClassHistogram(t *testing.T) {
	tests := []struct {
		name    string
		labels  []int
		classes int
		counts  []int
		covered int
		kl      float64
	}{
		{"uniform", []int{0, 1, 2, 3, 3, 2, 1, 0}, 4, []int{2, 2, 2, 2}, 4, 0},
		{"one class", []int{2, 2, 2}, 4, []int{0, 0, 3, 0}, 1, math.Log(4)},
		{"three quarters", []int{0, 0, 0, 1}, 2, []int{3, 1}, 2, 0.75*math.Log(1.5) + 0.25*math.Log(0.5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ClassHistogram(tt.labels, tt.classes)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(h.Counts, tt.counts) || h.Covered != tt.covered || math.Abs(h.KL-tt.kl) > 1e-12 {
				t.Errorf("got %+v, want counts %v covered %d KL %g", h, tt.counts, tt.covered, tt.kl)
			}
		})
	}
	if _, err := ClassHistogram([]int{0, 10}, 10); err == nil || !strings.Contains(err.Error(), "label 10 of sample 1") {
		t.Errorf("label out of range: error %v", err)
	}
}

func TestClassAccuracy(t *testing.T) {
	tests := []struct {
		pred, labels []int
		want         float64
	}{
		{[]int{0, 1, 2, 3}, []int{0, 1, 2, 3}, 1},
		{[]int{0, 1, 2, 3}, []int{1, 2, 3, 0}, 0},
		{[]int{0, 0, 0, 1}, []int{0, 1, 0, 1}, 0.75},
	}
	for _, tt := range tests {
		if got, err := ClassAccuracy(tt.pred, tt.labels); err != nil || got != tt.want {
			t.Errorf("ClassAccuracy(%v, %v) = %g, %v; want %g", tt.pred, tt.labels, got, err, tt.want)
		}
	}
	for _, bad := range [][2][]int{{{0, 1}, {0}}, {{}, {}}} {
		if _, err := ClassAccuracy(bad[0], bad[1]); err == nil || !strings.Contains(err.Error(), "predictions for") {
			t.Errorf("ClassAccuracy(%v, %v): error %v", bad[0], bad[1], err)
		}
	}
}
