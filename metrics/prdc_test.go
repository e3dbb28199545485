package metrics

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// prdcBrute computes PRDC from distances taken one pair at a time.
func prdcBrute(real, fake *Features, k int) PRDCScores {
	dist := func(a, b []float64) float64 { return math.Sqrt(sqDist(a, b)) }
	radii := func(f *Features) []float64 {
		r := make([]float64, f.Len())
		for i := range r {
			var d []float64
			for j := range f.Len() {
				if j != i {
					d = append(d, dist(f.Row(i), f.Row(j)))
				}
			}
			slices.Sort(d)
			r[i] = d[k-1]
		}
		return r
	}
	rr, rf := radii(real), radii(fake)
	var s PRDCScores
	for j := range fake.Len() {
		n := 0
		for i := range real.Len() {
			if dist(real.Row(i), fake.Row(j)) <= rr[i] {
				n++
			}
		}
		if n > 0 {
			s.Precision++
		}
		s.Density += float64(n)
	}
	for i := range real.Len() {
		recalled, nearest := false, math.Inf(1)
		for j := range fake.Len() {
			d := dist(real.Row(i), fake.Row(j))
			recalled = recalled || d <= rf[j]
			nearest = min(nearest, d)
		}
		if recalled {
			s.Recall++
		}
		if nearest <= rr[i] {
			s.Coverage++
		}
	}
	s.Precision /= float64(fake.Len())
	s.Density /= float64(k * fake.Len())
	s.Recall /= float64(real.Len())
	s.Coverage /= float64(real.Len())
	return s
}

// grid returns n points with integer coordinates in [0, side)^d: distances
// are exact, and many are tied.
func grid(name string, n, d, side int, rng *tensor.RNG) *Features {
	data := make([]float64, n*d)
	for i := range data {
		data[i] = float64(rng.IntN(side))
	}
	f, err := NewFeatures(name, data, n, d)
	if err != nil {
		panic(err)
	}
	return f
}

func TestPRDCMatchesBruteForce(t *testing.T) {
	rng := tensor.NewRNG(4, "prdc")
	tests := []struct {
		name       string
		real, fake *Features
		k          int
	}{
		// More than one block of rows (512), unequal sizes.
		{"gaussians", normal("real", 700, 10, 0, 1, rng), normal("fake", 600, 10, 0.3, 1.2, rng), 5},
		{"k = 1", normal("real", 200, 3, 0, 1, rng), normal("fake", 150, 3, 0, 0.5, rng), 1},
		// Ties on the radius count as inside.
		{"integer grid with ties", grid("real", 300, 2, 6, rng), grid("fake", 250, 2, 7, rng), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PRDC(tt.real, tt.fake, tt.k)
			if err != nil {
				t.Fatal(err)
			}
			if want := prdcBrute(tt.real, tt.fake, tt.k); !prdcClose(got, want, 1e-12) {
				t.Errorf("PRDC = %+v, pair by pair %+v", got, want)
			}
		})
	}
}

func TestPRDCSameSet(t *testing.T) {
	x := normal("x", 300, 8, 0, 1, tensor.NewRNG(5, "prdc"))
	got, err := PRDC(x, x, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got.Precision != 1 || got.Recall != 1 || got.Coverage != 1 || got.Density < 1 {
		t.Errorf("PRDC of a set with itself = %+v, want precision, recall, coverage 1 and density ≥ 1", got)
	}
}

func TestPRDCIndependentOfGoroutines(t *testing.T) {
	rng := tensor.NewRNG(6, "prdc")
	real, fake := normal("real", 600, 20, 0, 1, rng), normal("fake", 550, 20, 0, 1, rng)
	var results []PRDCScores
	for _, procs := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		got, err := PRDC(real, fake, 5)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, got)
	}
	if results[0] != results[1] || results[0] != results[2] {
		t.Errorf("PRDC with 1, 2, 3 goroutines: %+v", results)
	}
}

func TestPRDCRejects(t *testing.T) {
	rng := tensor.NewRNG(1, "prdc")
	x := normal("x.npy", 10, 3, 0, 1, rng)
	tests := []struct {
		name string
		y    *Features
		k    int
		want string
	}{
		{"dimensions", normal("y.npy", 10, 4, 0, 1, rng), 3, "y.npy has 4"},
		{"k = 0", x, 0, "k = 0"},
		{"k too large", normal("y.npy", 5, 3, 0, 1, rng), 5, "y.npy has 5 samples; k = 5 needs at least 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PRDC(x, tt.y, tt.k)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestPRDCPublished is the check of Naeem et al. (2020): two independent
// N(0, I) sets of 10,000 points in d = 1000 with k = 5 give precision
// 0.477, recall 0.471, density 1.056, coverage 0.974. Those are one draw:
// their compute_prdc, reimplemented with numpy (scripts/metrics_reference.py
// --spread 10), on numpy's default_rng seeds 1 … 10 gave precision
// 0.479 ± 0.010, recall 0.477 ± 0.010, density 1.006 ± 0.049 and coverage
// 0.968 ± 0.005 (mean ± standard deviation), so the tolerances are three
// standard deviations. (The expected density of two samples of one
// distribution is 1.) It takes seconds; -short skips it.
func TestPRDCPublished(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 × 1000 points: skipped with -short")
	}
	real := normal("real", 10000, 1000, 0, 1, tensor.NewRNG(7, "real"))
	fake := normal("fake", 10000, 1000, 0, 1, tensor.NewRNG(7, "fake"))
	got, err := PRDC(real, fake, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("precision %.4f recall %.4f density %.4f coverage %.4f", got.Precision, got.Recall, got.Density, got.Coverage)
	want := PRDCScores{Precision: 0.477, Recall: 0.471, Density: 1.056, Coverage: 0.974}
	if math.Abs(got.Precision-want.Precision) > 0.03 || math.Abs(got.Recall-want.Recall) > 0.03 ||
		math.Abs(got.Density-want.Density) > 0.15 || math.Abs(got.Coverage-want.Coverage) > 0.015 {
		t.Errorf("got %+v, published %+v", got, want)
	}
}
