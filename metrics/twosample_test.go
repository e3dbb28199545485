package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

func TestTwoSampleTests(t *testing.T) {
	rng := tensor.NewRNG(8, "two-sample")
	x := normal("x", 300, 5, 0, 1, rng)
	tests := []struct {
		name string
		y    *Features
		// same: the p-values must be large; otherwise below 0.01.
		same bool
	}{
		{"same distribution", normal("same", 250, 5, 0, 1, rng), true},
		{"mean shifted by 0.5", normal("shifted", 250, 5, 0.5, 1, rng), false},
		{"scale 1.5", normal("wider", 250, 5, 0, 1.5, rng), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mmd, err := MMDTest(x, tt.y, 200, tensor.NewRNG(1, "mmd"))
			if err != nil {
				t.Fatal(err)
			}
			c2st, err := C2ST(x, tt.y, 5, tensor.NewRNG(1, "c2st"))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("MMD %+v; C2ST %+v", mmd, c2st)
			if tt.same && (mmd.PValue < 0.05 || c2st.PValue < 0.05) {
				t.Errorf("same distribution: MMD p = %g, C2ST p = %g, want both ≥ 0.05", mmd.PValue, c2st.PValue)
			}
			if !tt.same && (mmd.PValue >= 0.01 || c2st.PValue >= 0.01) {
				t.Errorf("different distributions: MMD p = %g, C2ST p = %g, want both < 0.01", mmd.PValue, c2st.PValue)
			}
			if c2st.Tested != 250 || c2st.Accuracy != float64(c2st.Correct)/250 {
				t.Errorf("C2ST tested %d (want 250), accuracy %g of %d right", c2st.Tested, c2st.Accuracy, c2st.Correct)
			}
		})
	}
}

// TestMMDPermutationsBruteForce checks each relabelling's statistic, taken
// through one matrix product, against the pair-by-pair definition.
func TestMMDPermutationsBruteForce(t *testing.T) {
	rng := tensor.NewRNG(9, "mmd")
	const nx, ny = 7, 5
	n := nx + ny
	kernel := make([]float64, n*n)
	var total float64
	for i := range n {
		for j := range i + 1 {
			v := rng.Float64()
			if i == j {
				v = 1
			}
			kernel[i*n+j], kernel[j*n+i] = v, v
		}
	}
	for _, v := range kernel {
		total += v
	}
	const perms = 70 // more than one batch
	stats := mmdPermutations(kernel, total, nx, ny, perms, tensor.NewRNG(3, "perm"))
	replay := tensor.NewRNG(3, "perm")
	perm := make([]int, n)
	for p := range perms + 1 {
		if p == 0 {
			for i := range perm {
				perm[i] = i
			}
		} else {
			replay.Perm(perm)
		}
		inX := make([]bool, n)
		for _, i := range perm[:nx] {
			inX[i] = true
		}
		var xx, yy, xy float64
		for i := range n {
			for j := range n {
				switch {
				case i == j:
				case inX[i] && inX[j]:
					xx += kernel[i*n+j]
				case !inX[i] && !inX[j]:
					yy += kernel[i*n+j]
				case inX[i]:
					xy += kernel[i*n+j]
				}
			}
		}
		want := xx/(nx*(nx-1)) + yy/(ny*(ny-1)) - 2*xy/(nx*ny)
		if math.Abs(stats[p]-want) > 1e-12 {
			t.Errorf("labelling %d: MMD² %.15g, pair by pair %.15g", p, stats[p], want)
		}
	}
}

// TestC2STPValue checks the binomial tail against a direct sum.
func TestC2STPValue(t *testing.T) {
	rng := tensor.NewRNG(10, "c2st")
	x := normal("x", 40, 2, 0, 1, rng)
	y := normal("y", 60, 2, 0.8, 1, rng)
	got, err := C2ST(x, y, 3, tensor.NewRNG(2, "c2st"))
	if err != nil {
		t.Fatal(err)
	}
	var tail float64
	for c := got.Correct; c <= got.Tested; c++ {
		lg := func(v int) float64 { r, _ := math.Lgamma(float64(v) + 1); return r }
		tail += math.Exp(lg(got.Tested) - lg(c) - lg(got.Tested-c) - float64(got.Tested)*math.Ln2)
	}
	if got.Tested != 40 || math.Abs(got.PValue-tail) > 1e-12 {
		t.Errorf("C2ST %+v: p-value %.15g, binomial tail %.15g", got, got.PValue, tail)
	}
}

func TestTwoSampleRejects(t *testing.T) {
	rng := tensor.NewRNG(1, "two-sample")
	x := normal("x.npy", 10, 3, 0, 1, rng)
	y4 := normal("y.npy", 10, 4, 0, 1, rng)
	if _, err := MMDTest(x, y4, 10, rng); err == nil || !strings.Contains(err.Error(), "y.npy has 4") {
		t.Errorf("MMD test, dimensions: error %v", err)
	}
	if _, err := MMDTest(x, normal("y.npy", 1, 3, 0, 1, rng), 10, rng); err == nil || !strings.Contains(err.Error(), "y.npy has 1") {
		t.Errorf("MMD test, one sample: error %v", err)
	}
	if _, err := MMDTest(x, x, 0, rng); err == nil || !strings.Contains(err.Error(), "0 permutations") {
		t.Errorf("MMD test, no permutations: error %v", err)
	}
	if _, err := MMDTest(normal("big", 8000, 1, 0, 1, rng), normal("big2", 200, 1, 0, 1, rng), 1, rng); err == nil || !strings.Contains(err.Error(), "at most 8192") {
		t.Errorf("MMD test, too many samples: error %v", err)
	}
	same, err := NewFeatures("same", make([]float64, 30), 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MMDTest(same, same, 10, rng); err == nil || !strings.Contains(err.Error(), "median distance") {
		t.Errorf("MMD test, identical samples: error %v", err)
	}
	if _, err := C2ST(x, y4, 3, rng); err == nil || !strings.Contains(err.Error(), "y.npy has 4") {
		t.Errorf("C2ST, dimensions: error %v", err)
	}
	if _, err := C2ST(x, x, 11, rng); err == nil || !strings.Contains(err.Error(), "k = 11") {
		t.Errorf("C2ST, k too large: error %v", err)
	}
}
