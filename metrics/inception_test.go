package metrics

import (
	"math"
	"strings"
	"testing"
)

// probabilities returns n rows of classes probabilities, row i from row(i).
func probabilities(n, classes int, row func(i int, p []float64)) *Features {
	data := make([]float64, n*classes)
	for i := range n {
		row(i, data[i*classes:(i+1)*classes])
	}
	f, err := NewFeatures("probs", data, n, classes)
	if err != nil {
		panic(err)
	}
	return f
}

func TestInceptionScore(t *testing.T) {
	tests := []struct {
		name string
		p    *Features
		want float64
	}{
		{"confident, spread evenly", probabilities(1000, 10, func(i int, p []float64) { p[i%10] = 1 }), 10},
		{"constant", probabilities(1000, 10, func(_ int, p []float64) { p[3] = 0.7; p[5] = 0.3 }), 1},
		{"uniform", probabilities(1000, 10, func(_ int, p []float64) {
			for j := range p {
				p[j] = 0.1
			}
		}), 1},
		{"confident, two of four classes", probabilities(400, 4, func(i int, p []float64) { p[i%2] = 1 }), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InceptionScore(tt.p, 10)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Mean-tt.want) > 1e-12 || got.Std > 1e-12 {
				t.Errorf("IS = %+v, want %g ± 0", got, tt.want)
			}
		})
	}
}

func TestInceptionScoreRejects(t *testing.T) {
	tests := []struct {
		name   string
		p      *Features
		splits int
		want   string
	}{
		{"negative", probabilities(20, 2, func(i int, p []float64) { p[0], p[1] = 1.5, -0.5 }), 10, "row 0, class 1"},
		{"sum", probabilities(20, 2, func(i int, p []float64) { p[0] = 0.5; p[1] = 0.4 + float64(i)/100 }), 10, "row 0 sums to 0.9"},
		{"splits", probabilities(5, 2, func(i int, p []float64) { p[0] = 1 }), 10, "10 splits of 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := InceptionScore(tt.p, tt.splits)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
