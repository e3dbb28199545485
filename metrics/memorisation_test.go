package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

func TestMemorisation(t *testing.T) {
	rng := tensor.NewRNG(11, "memorisation")
	train := normal("train", 1000, 8, 0, 1, rng)
	test := normal("test", 500, 8, 0, 1, rng)
	fresh := normal("fresh", 500, 8, 0, 1, rng)
	// copies: training samples 0, 2, 4, … with a little noise.
	copies := normal("copies", 500, 8, 0, 0.01, rng)
	for j := range copies.Len() {
		for c, v := range train.Row(2 * j) {
			copies.Row(j)[c] += v
		}
	}
	for _, cells := range []int{1, 5} {
		m, err := MemorisationTest(train, test, fresh, cells, tensor.NewRNG(1, "kmeans"))
		if err != nil {
			t.Fatal(err)
		}
		_, freshRate := m.CopyRate(0.05)
		c, err := MemorisationTest(train, test, copies, cells, tensor.NewRNG(1, "kmeans"))
		if err != nil {
			t.Fatal(err)
		}
		_, copyRate := c.CopyRate(0.05)
		t.Logf("%d cells: fresh C_T %.2f over %d cells, copy rate %.3f; copies C_T %.2f, copy rate %.3f",
			cells, m.CT, m.Cells, freshRate, c.CT, copyRate)
		if math.Abs(m.CT) > 3 || freshRate > 0.1 {
			t.Errorf("%d cells, fresh samples: C_T %g (want |C_T| ≤ 3), copy rate %g (want ≈ 0.05)", cells, m.CT, freshRate)
		}
		if c.CT > -10 || copyRate < 0.99 {
			t.Errorf("%d cells, copies: C_T %g (want ≤ −10), copy rate %g (want 1)", cells, c.CT, copyRate)
		}
		if c.Cells != cells {
			t.Errorf("%d cells, copies: %d entered C_T", cells, c.Cells)
		}
		for _, p := range c.Closest(3) {
			if p.Train != 2*p.Gen || p.Distance > 0.1 {
				t.Errorf("closest pair %+v: want generated j next to training 2j", p)
			}
		}
	}
}

func TestMannWhitneyZ(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		u    float64
	}{
		{"all x above", []float64{5, 6}, []float64{1, 2, 3}, 6},
		{"all x below", []float64{0}, []float64{1, 2, 3}, 0},
		{"interleaved with a tie", []float64{1, 3}, []float64{2, 3}, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nx, ny := float64(len(tt.x)), float64(len(tt.y))
			want := (tt.u - nx*ny/2) / math.Sqrt(nx*ny*(nx+ny+1)/12)
			if got := mannWhitneyZ(tt.x, tt.y); math.Abs(got-want) > 1e-12 {
				t.Errorf("Z = %g, want %g (U = %g)", got, want, tt.u)
			}
		})
	}
}

func TestCopyRate(t *testing.T) {
	m := &Memorisation{
		TestDistance: []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10},
		GenDistance:  []float64{0.5, 1.5, 2.5, 20},
	}
	for _, tt := range []struct{ q, threshold, rate float64 }{
		{0.1, 1, 0.25},
		{0.3, 3, 0.75},
		{1, 10, 0.75},
	} {
		threshold, rate := m.CopyRate(tt.q)
		if threshold != tt.threshold || rate != tt.rate {
			t.Errorf("CopyRate(%g) = %g, %g; want %g, %g", tt.q, threshold, rate, tt.threshold, tt.rate)
		}
	}
}

func TestMemorisationRejects(t *testing.T) {
	rng := tensor.NewRNG(1, "memorisation")
	train := normal("train.npy", 50, 3, 0, 1, rng)
	test := normal("test.npy", 20, 3, 0, 1, rng)
	tests := []struct {
		name  string
		gen   *Features
		cells int
		want  string
	}{
		{"dimensions", normal("gen.npy", 30, 2, 0, 1, rng), 1, "gen.npy has 2"},
		{"too few generated", normal("gen.npy", 10, 3, 0, 1, rng), 1, "10 of gen.npy"},
		{"cells", normal("gen.npy", 30, 3, 0, 1, rng), 51, "51 cells for 50 samples of train.npy"},
		{"no cell large enough", normal("gen.npy", 30, 3, 0, 1, rng), 50, "no cell of 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MemorisationTest(train, test, tt.gen, tt.cells, rng)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
