package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nash-gan/nash/tensor"
)

// reference is metrics/testdata/reference.json, written by
// scripts/metrics_reference.py with numpy and scipy.
type reference struct {
	FIDSqrtm     float64    `json:"fid_sqrtm"`
	FIDSymmetric float64    `json:"fid_symmetric"`
	KID          float64    `json:"kid"`
	IS           Estimate   `json:"inception_score"`
	PRDCk3       PRDCScores `json:"prdc_k3"`
	PRDCk5       PRDCScores `json:"prdc_k5"`
	MMD          struct {
		MMD2      float64 `json:"mmd2"`
		Bandwidth float64 `json:"bandwidth"`
	} `json:"mmd"`
}

func loadReference(t *testing.T) (real, fake, probs *Features, ref reference) {
	t.Helper()
	var err error
	if real, err = ReadNPY(filepath.Join("testdata", "real.npy")); err != nil {
		t.Fatal(err)
	}
	if fake, err = ReadNPY(filepath.Join("testdata", "fake.npy")); err != nil {
		t.Fatal(err)
	}
	if probs, err = ReadNPY(filepath.Join("testdata", "probs.npy")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return real, fake, probs, ref
}

// TestReference reproduces the values numpy and scipy computed on the same
// arrays.
func TestReference(t *testing.T) {
	real, fake, probs, ref := loadReference(t)
	fid, err := FID(real, fake)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := KID(real, fake, 100, 1000, tensor.NewRNG(1, "kid"))
	if err != nil {
		t.Fatal(err)
	}
	is, err := InceptionScore(probs, 10)
	if err != nil {
		t.Fatal(err)
	}
	mmd, err := MMDTest(real, fake, 10, tensor.NewRNG(1, "mmd"))
	if err != nil {
		t.Fatal(err)
	}
	values := []struct {
		name      string
		got, want float64
	}{
		{"FID against scipy.linalg.sqrtm", fid, ref.FIDSqrtm},
		{"FID against the symmetric form", fid, ref.FIDSymmetric},
		{"KID (one subset: every sample)", kid.Mean, ref.KID},
		{"IS mean", is.Mean, ref.IS.Mean},
		{"IS std", is.Std, ref.IS.Std},
		{"MMD²", mmd.MMD2, ref.MMD.MMD2},
		{"MMD bandwidth", mmd.Bandwidth, ref.MMD.Bandwidth},
	}
	for _, v := range values {
		rel := math.Abs(v.got-v.want) / math.Abs(v.want)
		t.Logf("%s = %.12g, reference %.12g (relative difference %.2g)", v.name, v.got, v.want, rel)
		if !(rel <= 1e-6) {
			t.Errorf("%s: relative difference %.2g from the reference, want ≤ 1e-6", v.name, rel)
		}
	}
	// Every subset holds all 300 samples, so the subsets agree.
	if kid.Std > 1e-12 {
		t.Errorf("KID std over subsets of every sample = %g, want 0", kid.Std)
	}
	for _, c := range []struct {
		k    int
		want PRDCScores
	}{{3, ref.PRDCk3}, {5, ref.PRDCk5}} {
		got, err := PRDC(real, fake, c.k)
		if err != nil {
			t.Fatal(err)
		}
		if !prdcClose(got, c.want, 1e-12) {
			t.Errorf("PRDC k=%d = %+v, reference %+v", c.k, got, c.want)
		}
	}
}

func prdcClose(a, b PRDCScores, tol float64) bool {
	return math.Abs(a.Precision-b.Precision) <= tol && math.Abs(a.Recall-b.Recall) <= tol &&
		math.Abs(a.Density-b.Density) <= tol && math.Abs(a.Coverage-b.Coverage) <= tol
}

// TestFrechetFactors checks both factors W of Σ_r that FrechetDistance may
// use, Cholesky's and the eigendecomposition's, against scipy's FID.
func TestFrechetFactors(t *testing.T) {
	real, fake, _, ref := loadReference(t)
	r, err := FitGaussian(real)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGaussian(fake)
	if err != nil {
		t.Fatal(err)
	}
	var base float64
	for j := range r.Mean {
		base += (r.Mean[j]-g.Mean[j])*(r.Mean[j]-g.Mean[j]) + r.Cov.At(j, j) + g.Cov.At(j, j)
	}
	chol, err := choleskyFactor(r.Cov)
	if err != nil {
		t.Fatal(err)
	}
	eig, err := eigenFactor(r.Cov)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]*mat.Dense{"Cholesky": chol, "eigendecomposition": eig} {
		tr, err := traceSqrt(w, g.Cov)
		if err != nil {
			t.Fatal(err)
		}
		if fid := base - 2*tr; math.Abs(fid-ref.FIDSqrtm) > 1e-9*ref.FIDSqrtm {
			t.Errorf("%s: FID %.15g, scipy %.15g", name, fid, ref.FIDSqrtm)
		}
	}
}

// TestNaeemReference reproduces compute_prdc of Naeem et al.'s prdc
// package, reimplemented with numpy by scripts/metrics_reference.py, on the
// same arrays: two N(0, I) sets of 500 points in d = 64, where "<" and "≤"
// agree, and two integer grids with ties, against "≤".
func TestNaeemReference(t *testing.T) {
	load := func(name string) *Features {
		f, err := ReadNPY(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	b, err := os.ReadFile(filepath.Join("testdata", "naeem.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]PRDCScores
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	real, fake := load("naeem_real.npy"), load("naeem_fake.npy")
	gridReal, gridFake := load("naeem_grid_real.npy"), load("naeem_grid_fake.npy")
	tests := []struct {
		key        string
		real, fake *Features
		k          int
	}{
		{"k3", real, fake, 3},
		{"k5", real, fake, 5},
		{"grid_k3_le", gridReal, gridFake, 3},
		{"grid_k5_le", gridReal, gridFake, 5},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			want, ok := ref[tt.key]
			if !ok {
				t.Fatalf("naeem.json has no %q", tt.key)
			}
			got, err := PRDC(tt.real, tt.fake, tt.k)
			if err != nil {
				t.Fatal(err)
			}
			if !prdcClose(got, want, 1e-12) {
				t.Errorf("PRDC = %+v, numpy %+v", got, want)
			}
		})
	}
}
