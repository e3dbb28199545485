package metrics

import (
	"math"
	"testing"
)

func TestDiversity(t *testing.T) {
	cases := []struct {
		name string
		data []float64
		n, d int
		want float64
	}{
		{"two points", []float64{0, 0, 3, 4}, 2, 2, 5},
		{"identical points", []float64{1, 2, 1, 2, 1, 2}, 3, 2, 0},
		// Pairs of the corners of a unit right triangle: 1, 1, √2.
		{"triangle", []float64{0, 0, 1, 0, 0, 1}, 3, 2, (2 + math.Sqrt2) / 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := NewFeatures(c.name, c.data, c.n, c.d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Diversity(f)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-c.want) > 1e-12 {
				t.Errorf("diversity %v, want %v", got, c.want)
			}
		})
	}
	one, _ := NewFeatures("one sample", []float64{1, 2}, 1, 2)
	if _, err := Diversity(one); err == nil {
		t.Error("diversity of one sample: no error")
	}
}
