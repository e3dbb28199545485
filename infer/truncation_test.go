package infer

import (
	"math"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// Truncation pulls the noise toward 0 by ψ and redraws components beyond
// the threshold, on a copy of the generator: the original keeps drawing
// plain noise.
func TestTruncation(t *testing.T) {
	g := &Generator{}
	g.Spec.ZDim = 64
	plain := g.Noise(200, tensor.NewRNG(1, "sample"))
	scaled, err := g.Truncated(Truncation{Psi: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range scaled.Noise(200, tensor.NewRNG(1, "sample")).Data() {
		if v != 0.5*plain.Data()[i] {
			t.Fatalf("ψ 0.5: value %d is %g, want half of %g", i, v, plain.Data()[i])
		}
	}
	if again := g.Noise(200, tensor.NewRNG(1, "sample")); sameBits(again.Data(), plain.Data()) != -1 {
		t.Error("Truncated changed the original generator's noise")
	}
	cut, err := g.Truncated(Truncation{Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	kept, beyond := 0, 0
	z := cut.Noise(200, tensor.NewRNG(1, "sample")).Data()
	for i, v := range z {
		if math.Abs(float64(v)) > 1 {
			t.Fatalf("threshold 1: value %d is %g", i, v)
		}
		if p := plain.Data()[i]; math.Abs(float64(p)) <= 1 && v == p {
			kept++
		} else if math.Abs(float64(p)) > 1 {
			beyond++
		}
	}
	if kept+beyond != len(z) || beyond == 0 {
		t.Errorf("threshold 1: %d values within it kept, %d beyond it redrawn, of %d", kept, beyond, len(z))
	}
	if s := (Truncation{Psi: 0.7, Threshold: 2}).String(); s != "ψ 0.7, threshold 2" {
		t.Errorf("description %q", s)
	}
	for _, c := range []struct {
		t    Truncation
		want string
	}{
		{Truncation{Psi: 1.5}, "--truncation: ψ must be in (0, 1], got 1.5"},
		{Truncation{Psi: -0.5}, "--truncation: ψ must be in (0, 1]"},
		{Truncation{Psi: math.NaN()}, "--truncation: ψ must be in (0, 1]"},
		{Truncation{Threshold: 0.01}, "--truncation-threshold: must be at least 0.1"},
		{Truncation{Threshold: math.Inf(1)}, "--truncation-threshold: must be at least 0.1"},
	} {
		if _, err := g.Truncated(c.t); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.t, err, c.want)
		}
	}
}
