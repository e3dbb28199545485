package evaluate

import (
	"math"
	"slices"
	"testing"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/tensor"
)

// The oracle's own samples score its entropy rate, 5.748 nats per token
// (measured with numpy on 10,000 samples, per the benchmark's README), and
// uniformly random tokens log 5000 + a large excess: 11.44.
func TestOracleScoresItsOwnSamples(t *testing.T) {
	oracle, err := Oracle()
	if err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(1, "test")
	const n = 400
	x := tensor.New(n, data.OracleLen)
	u := make([]float64, x.Len())
	for i := range u {
		u[i] = rng.Float64()
	}
	oracle.Sample(u, 1, nil, 0, x.Data())
	if nll := oracle.NLL(x); math.Abs(nll-5.748) > 0.1 {
		t.Fatalf("NLL_oracle of the oracle's samples %.3f, want 5.748 ± 0.1", nll)
	}
	for i := range x.Data() {
		x.Data()[i] = float32(rng.IntN(data.OracleVocab))
	}
	if nll := oracle.NLL(x); math.Abs(nll-11.44) > 0.1 {
		t.Fatalf("NLL_oracle of uniform tokens %.3f, want 11.44 ± 0.1", nll)
	}
}

// The oracle's data is the same for a seed, differs across seeds, and its
// held-out part differs from its training part.
func TestOracleDataFollowsTheSeed(t *testing.T) {
	oracle, err := Oracle()
	if err != nil {
		t.Fatal(err)
	}
	a, at := OracleData(oracle, 1, 5)
	b, _ := OracleData(oracle, 1, 5)
	c, _ := OracleData(oracle, 2, 5)
	same := func(x, y *tensor.Tensor) bool { return slices.Equal(x.Data(), y.Data()) }
	if !tensor.EqualShapes(a.Shape(), []int{5, 20}) || !same(a, b) || same(a, c) || same(a, at) {
		t.Fatalf("oracle data of seed 1 %v (again %v), seed 2 %v, held out %v", a.Data()[:20], b.Data()[:20], c.Data()[:20], at.Data()[:20])
	}
}
