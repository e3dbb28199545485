package metrics

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nash-gan/nash/tensor"
)

func TestFIDSelfIsZero(t *testing.T) {
	rng := tensor.NewRNG(1, "fid")
	for _, d := range []int{1, 8, 64} {
		x := normal("x", 4*d+10, d, 3, 2, rng)
		fid, err := FID(x, x)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(fid) > 1e-9 {
			t.Errorf("d = %d: FID of a set with itself = %g", d, fid)
		}
	}
}

// TestFrechetDistanceDiagonal checks the closed form for commuting
// covariances: ‖Δμ‖² + Σ (√a_i − √b_i)².
func TestFrechetDistanceDiagonal(t *testing.T) {
	tests := []struct {
		name       string
		mu1, mu2   []float64
		cov1, cov2 []float64
		want       float64
	}{
		{"same", []float64{1, 2}, []float64{1, 2}, []float64{4, 9}, []float64{4, 9}, 0},
		{"mean shift", []float64{0, 0, 0}, []float64{1, 2, 2}, []float64{1, 1, 1}, []float64{1, 1, 1}, 9},
		{"scale", []float64{0, 0}, []float64{0, 0}, []float64{1, 4}, []float64{4, 16}, 1 + 4},
		{"singular", []float64{0, 0}, []float64{0, 0}, []float64{0, 1}, []float64{1, 0}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FrechetDistance(diagGaussian(tt.mu1, tt.cov1), diagGaussian(tt.mu2, tt.cov2))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("got %.15g, want %g", got, tt.want)
			}
		})
	}
}

// TestFrechetDistance2x2 checks non-commuting covariances against the
// closed form for 2×2 matrices: Tr √M = √(Tr M + 2√det M) for M ⪰ 0, so the
// trace term is √(Tr AB + 2√(det A det B)). B is a diagonal covariance
// rotated by θ.
func TestFrechetDistance2x2(t *testing.T) {
	a := diagGaussian([]float64{1, 0}, []float64{1, 4})
	for _, theta := range []float64{0, 0.3, 1, math.Pi / 2, 2.5} {
		c, s := math.Cos(theta), math.Sin(theta)
		rot := mat.NewDense(2, 2, []float64{c, -s, s, c})
		var rb, rbr mat.Dense
		rb.Mul(rot, mat.NewDiagDense(2, []float64{9, 0.5}))
		rbr.Mul(&rb, rot.T())
		b := Gaussian{Mean: []float64{0, 2}, Cov: mat.NewSymDense(2, []float64{rbr.At(0, 0), rbr.At(0, 1), rbr.At(0, 1), rbr.At(1, 1)})}
		var ab mat.Dense
		ab.Mul(a.Cov, b.Cov)
		want := 1 + 4 + mat.Trace(a.Cov) + mat.Trace(b.Cov) -
			2*math.Sqrt(mat.Trace(&ab)+2*math.Sqrt(mat.Det(a.Cov)*mat.Det(b.Cov)))
		got, err := FrechetDistance(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("θ = %g: got %.15g, want %.15g", theta, got, want)
		}
	}
}

func diagGaussian(mean, variances []float64) Gaussian {
	cov := mat.NewSymDense(len(variances), nil)
	for i, v := range variances {
		cov.SetSym(i, i, v)
	}
	return Gaussian{Mean: mean, Cov: cov}
}

func TestFIDRejects(t *testing.T) {
	rng := tensor.NewRNG(1, "fid")
	tests := []struct {
		name       string
		real, fake *Features
		want       []string
	}{
		{"dimensions", normal("a.npy", 50, 4, 0, 1, rng), normal("b.npy", 50, 5, 0, 1, rng), []string{"a.npy", "b.npy", "4", "5"}},
		{"too few real", normal("a.npy", 64, 64, 0, 1, rng), normal("b.npy", 100, 64, 0, 1, rng), []string{"a.npy", "64 samples", "dimension 64", "at least 65"}},
		{"too few fake", normal("a.npy", 100, 64, 0, 1, rng), normal("b.npy", 30, 64, 0, 1, rng), []string{"b.npy", "30 samples", "at least 65"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FID(tt.real, tt.fake)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := FrechetDistance(diagGaussian([]float64{0}, []float64{1}), diagGaussian([]float64{0, 0}, []float64{1, 1})); err == nil {
		t.Error("Gaussians of different dimensions: no error")
	}
}

// TestFitGaussian checks mean and covariance, over several blocks of rows
// and with a mean far from 0, against the two-pass textbook formulas.
func TestFitGaussian(t *testing.T) {
	x := normal("x", 2500, 3, 1e4, 2, tensor.NewRNG(3, "gaussian"))
	g, err := FitGaussian(x)
	if err != nil {
		t.Fatal(err)
	}
	n := float64(x.Len())
	mean := make([]float64, 3)
	for i := range x.Len() {
		for j, v := range x.Row(i) {
			mean[j] += v / n
		}
	}
	for a := range 3 {
		if math.Abs(g.Mean[a]-mean[a]) > 1e-9 {
			t.Errorf("mean[%d] = %.15g, want %.15g", a, g.Mean[a], mean[a])
		}
		for b := range 3 {
			var c float64
			for i := range x.Len() {
				c += (x.Row(i)[a] - mean[a]) * (x.Row(i)[b] - mean[b])
			}
			c /= n - 1
			if math.Abs(g.Cov.At(a, b)-c) > 1e-9 {
				t.Errorf("cov[%d][%d] = %.15g, want %.15g", a, b, g.Cov.At(a, b), c)
			}
		}
	}
}

// TestFIDSingularCovariance checks the eigendecomposition path taken when
// Σ_r is singular: a column that is constant, and equal, in both sets (the
// border pixels of MNIST, say) adds nothing to the distance.
func TestFIDSingularCovariance(t *testing.T) {
	rng := tensor.NewRNG(13, "fid")
	real, fake := normal("real", 200, 6, 0, 1, rng), normal("fake", 200, 6, 0.2, 1.3, rng)
	withConstant := func(f *Features) *Features {
		data := make([]float64, 0, f.Len()*(f.Dim()+1))
		for i := range f.Len() {
			data = append(data, 0.5)
			data = append(data, f.Row(i)...)
		}
		g, err := NewFeatures(f.Name(), data, f.Len(), f.Dim()+1)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	want, err := FID(real, fake)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FID(withConstant(real), withConstant(fake))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-9*want {
		t.Errorf("FID with a constant column %.15g, without %.15g", got, want)
	}
	r, err := FitGaussian(withConstant(real))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := choleskyFactor(r.Cov); err == nil {
		t.Error("the covariance with a constant column passed as positive definite")
	}
}
