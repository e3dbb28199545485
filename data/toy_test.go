package data

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

func TestToyMeans(t *testing.T) {
	ring := make([][2]float64, 8)
	for k := range ring {
		a := 2 * math.Pi * float64(k) / 8
		ring[k] = [2]float64{math.Cos(a), math.Sin(a)}
	}
	var grid [][2]float64
	for _, x := range []float64{-4, -2, 0, 2, 4} {
		for _, y := range []float64{-4, -2, 0, 2, 4} {
			grid = append(grid, [2]float64{x, y})
		}
	}
	for _, c := range []struct {
		name string
		want [][2]float64
		// spacing is the smallest distance between two means.
		sigma, spacing float64
	}{
		{"ring8", ring, 0.01, 2 * math.Sin(math.Pi/8)},
		{"grid25", grid, 0.05, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Toy(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != c.name || m.Sigma != c.sigma {
				t.Errorf("name %q σ %g, want %q σ %g", m.Name, m.Sigma, c.name, c.sigma)
			}
			if len(m.Means) != len(c.want) {
				t.Fatalf("%d means, want %d", len(m.Means), len(c.want))
			}
			for k, w := range c.want {
				if g := m.Means[k]; math.Abs(g[0]-w[0]) > 1e-15 || math.Abs(g[1]-w[1]) > 1e-15 {
					t.Errorf("mean %d = %v, want %v", k, g, w)
				}
			}
			// Distinct modes: linspace(0, 2π, 8) would put two means at
			// distance 0.
			closest := math.Inf(1)
			for i, a := range m.Means {
				for _, b := range m.Means[i+1:] {
					closest = min(closest, math.Hypot(a[0]-b[0], a[1]-b[1]))
				}
			}
			if math.Abs(closest-c.spacing) > 1e-12 {
				t.Errorf("closest means %g apart, want %g", closest, c.spacing)
			}
			for k, mean := range m.Means {
				if r := max(math.Abs(mean[0]), math.Abs(mean[1])) + 10*m.Sigma; r > m.Extent {
					t.Errorf("mean %d %v within 10σ of the edge of the extent ±%g", k, mean, m.Extent)
				}
			}
		})
	}
}

func TestToyUnknownName(t *testing.T) {
	_, err := Toy("ring7")
	if err == nil {
		t.Fatal("Toy(\"ring7\") succeeded")
	}
	for _, want := range []string{`"ring7"`, "ring8", "grid25"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// TestMixtureSampleStatistics draws many samples, gives each to its nearest
// mean (the components are more than 38σ apart, so this recovers the
// component that drew it) and checks, with five standard errors of margin,
// that the components are equally frequent, that each has the right mean,
// variance and zero covariance, and that the fraction of samples within 3σ
// of their mean is that of a 2-D Gaussian, 1 − e^(−9/2): the proportion the
// "high quality" criterion of the mode-counting protocol expects.
func TestMixtureSampleStatistics(t *testing.T) {
	const n = 200_000
	for _, name := range ToyNames {
		t.Run(name, func(t *testing.T) {
			m, err := Toy(name)
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.New(n, 2)
			m.Sample(x, tensor.NewRNG(1, "toy "+name))
			k := len(m.Means)
			type moments struct{ n, sx, sy, sxx, syy, sxy float64 }
			per := make([]moments, k)
			within := 0
			d := x.Data()
			for i := 0; i < len(d); i += 2 {
				best, bestDist := 0, math.Inf(1)
				for j, mean := range m.Means {
					if dist := math.Hypot(float64(d[i])-mean[0], float64(d[i+1])-mean[1]); dist < bestDist {
						best, bestDist = j, dist
					}
				}
				if bestDist <= 3*m.Sigma {
					within++
				}
				dx, dy := float64(d[i])-m.Means[best][0], float64(d[i+1])-m.Means[best][1]
				p := &per[best]
				p.n++
				p.sx += dx
				p.sy += dy
				p.sxx += dx * dx
				p.syy += dy * dy
				p.sxy += dx * dy
			}
			s2 := m.Sigma * m.Sigma
			prob := 1 / float64(k)
			countTol := 5 * math.Sqrt(n*prob*(1-prob))
			for j, p := range per {
				if math.Abs(p.n-n*prob) > countTol {
					t.Errorf("mode %d: %g samples, want %g ± %.0f", j, p.n, n*prob, countTol)
				}
				if p.n < 2 {
					continue
				}
				mx, my := p.sx/p.n, p.sy/p.n
				vx := (p.sxx - p.n*mx*mx) / (p.n - 1)
				vy := (p.syy - p.n*my*my) / (p.n - 1)
				cxy := (p.sxy - p.n*mx*my) / (p.n - 1)
				meanTol := 5 * m.Sigma / math.Sqrt(p.n)
				varTol := 5 * s2 * math.Sqrt(2/(p.n-1))
				if math.Abs(mx) > meanTol || math.Abs(my) > meanTol {
					t.Errorf("mode %d: mean offset (%.3g, %.3g), want 0 ± %.3g", j, mx, my, meanTol)
				}
				if math.Abs(vx-s2) > varTol || math.Abs(vy-s2) > varTol {
					t.Errorf("mode %d: variances (%.4g, %.4g), want σ² = %.4g ± %.3g", j, vx, vy, s2, varTol)
				}
				if covTol := 5 * s2 / math.Sqrt(p.n); math.Abs(cxy) > covTol {
					t.Errorf("mode %d: covariance %.3g, want 0 ± %.3g", j, cxy, covTol)
				}
			}
			want := 1 - math.Exp(-4.5)
			got := float64(within) / n
			if tol := 5 * math.Sqrt(want*(1-want)/n); math.Abs(got-want) > tol {
				t.Errorf("fraction within 3σ %.5f, want %.5f ± %.5f", got, want, tol)
			}
		})
	}
}

func TestMixtureSampleDeterministicAndAllocationFree(t *testing.T) {
	m, err := Toy("grid25")
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := tensor.New(64, 2), tensor.New(64, 2), tensor.New(64, 2)
	m.Sample(a, tensor.NewRNG(3, "toy"))
	m.Sample(b, tensor.NewRNG(3, "toy"))
	m.Sample(c, tensor.NewRNG(4, "toy"))
	if !reflect.DeepEqual(a.Data(), b.Data()) {
		t.Error("the same seed gave different samples")
	}
	if reflect.DeepEqual(a.Data(), c.Data()) {
		t.Error("different seeds gave the same samples")
	}
	rng := tensor.NewRNG(5, "toy")
	if allocs := testing.AllocsPerRun(100, func() { m.Sample(a, rng) }); allocs != 0 {
		t.Errorf("Sample allocated %g times per call", allocs)
	}
}

func TestMixtureSampleRejectsShape(t *testing.T) {
	m, err := Toy("ring8")
	if err != nil {
		t.Fatal(err)
	}
	for _, shape := range [][]int{{10}, {10, 3}, {5, 2, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Sample into shape %v did not panic", shape)
				}
			}()
			m.Sample(tensor.New(shape...), tensor.NewRNG(1, "toy"))
		}()
	}
}
