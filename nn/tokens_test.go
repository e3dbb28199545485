package nn

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
)

func TestRecurrentGradients(t *testing.T) {
	rng := tensor.NewRNG(1, "rnn")
	x := randomTensor(rng, -1, 1, 3, 2, 3)
	checkGradients(t, NewLSTM(3, 4, rng), x, true)
	checkGradients(t, NewGRU(3, 4, rng), x, true)
}

func TestRNNMatchesTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/rnn_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	type tensorJSON struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	}
	type caseJSON struct {
		State map[string]tensorJSON `json:"state"`
		X, Y  []float32
	}
	var golden struct{ LSTM, GRU caseJSON }
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(1, "rnn")
	for _, c := range []struct {
		name string
		m    Module
		g    caseJSON
	}{{"lstm", NewLSTM(3, 4, rng), golden.LSTM}, {"gru", NewGRU(3, 4, rng), golden.GRU}} {
		sd := map[string]*tensor.Tensor{}
		for k, v := range c.g.State {
			sd[k] = tensor.FromSlice(v.Data, v.Shape...)
		}
		if err := LoadStateDict(c.m, sd); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		y := c.m.Forward(autograd.NewTape(), autograd.Const(tensor.FromSlice(c.g.X, 3, 2, 3))).Value.Data()
		if len(y) != len(c.g.Y) {
			t.Fatalf("%s: %d outputs, torch %d", c.name, len(y), len(c.g.Y))
		}
		for i := range y {
			if math.Abs(float64(y[i]-c.g.Y[i])) > 1e-5 {
				t.Fatalf("%s: output %d is %v, torch %v", c.name, i, y[i], c.g.Y[i])
			}
		}
	}
}

// pooled runs a module on [N, C, L, 1] inputs through MaxOverTime.
type pooled struct{}

func (pooled) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var { return MaxOverTime(tp, x) }
func (pooled) Parameters() []Parameter                                  { return nil }

func TestTokenLayersGradients(t *testing.T) {
	rng := tensor.NewRNG(1, "tokens")
	checkGradients(t, NewHighway(5, rng), randomTensor(rng, -1, 1, 3, 5), true)
	checkGradients(t, NewConv2dRect(1, 3, 2, 4, true, rng), randomTensor(rng, -1, 1, 2, 1, 5, 4), true)
	// Distinct values, so that no maximum is tied within the step.
	x := tensor.New(2, 3, 4, 1)
	for i := range x.Data() {
		x.Data()[i] = float32((i*7)%24) / 10
	}
	checkGradients(t, pooled{}, x, true)
	targets := []float32{2, 0, 4}
	checkGradients(t, lossOf{func(tp *autograd.Tape, x *autograd.Var) *autograd.Var { return CrossEntropy(tp, x, targets) }},
		randomTensor(rng, -2, 2, 3, 5), true)
	g := randomTensor(rng, -1, 1, 3, 5)
	checkGradients(t, lossOf{func(tp *autograd.Tape, x *autograd.Var) *autograd.Var { return GumbelSoftmax(tp, x, g, 0.7, false) }},
		randomTensor(rng, -2, 2, 3, 5), true)
}

// lossOf is a parameterless module of a function.
type lossOf struct {
	f func(tp *autograd.Tape, x *autograd.Var) *autograd.Var
}

func (l lossOf) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var { return l.f(tp, x) }
func (lossOf) Parameters() []Parameter                                    { return nil }

func TestMaxOverTimePicksTheMaximum(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 5, 2, -1, -3, -2}, 1, 2, 3, 1)
	got := MaxOverTime(autograd.NewTape(), autograd.Const(x)).Value.Data()
	if got[0] != 5 || got[1] != -1 {
		t.Fatalf("MaxOverTime = %v, want [5 -1]", got)
	}
}

func TestGumbelSoftmaxHard(t *testing.T) {
	logits := autograd.NewVar(tensor.FromSlice([]float32{0, 2, 1, 3, 0, 0}, 2, 3), true)
	tp := autograd.NewTape()
	y := GumbelSoftmax(tp, logits, tensor.New(2, 3), 1, true)
	want := []float32{0, 1, 0, 1, 0, 0}
	for i, v := range y.Value.Data() {
		if math.Abs(float64(v-want[i])) > 1e-6 {
			t.Fatalf("hard sample %v, want %v", y.Value.Data(), want)
		}
	}
	// The straight-through gradient is the soft sample's.
	w := autograd.Const(tensor.FromSlice([]float32{1, -1, 0.5, 0, 2, 1}, 2, 3))
	hard := tp.Grad([]*autograd.Var{tp.Sum(tp.Mul(y, w))}, nil, []*autograd.Var{logits}, false)[0].Value.Clone()
	tp2 := autograd.NewTape()
	soft := GumbelSoftmax(tp2, logits, tensor.New(2, 3), 1, false)
	want2 := tp2.Grad([]*autograd.Var{tp2.Sum(tp2.Mul(soft, w))}, nil, []*autograd.Var{logits}, false)[0].Value.Data()
	for i, v := range hard.Data() {
		if math.Abs(float64(v-want2[i])) > 1e-6 {
			t.Fatalf("straight-through gradient %v, want the soft one %v", hard.Data(), want2)
		}
	}
}

func TestSampleCategorical(t *testing.T) {
	logits := tensor.FromSlice([]float32{0, 0, 0, 0, 10, 0, 0, 0}, 2, 4)
	out := make([]int, 2)
	SampleCategorical(logits, 1, []float64{0.6, 0.5}, out)
	// Row 0 is uniform: u = 0.6 falls in the third quarter; row 1 puts
	// almost all its mass on class 0.
	if out[0] != 2 || out[1] != 0 {
		t.Fatalf("samples %v, want [2 0]", out)
	}
	// A high temperature flattens row 1: u = 0.9 then lands past class 0.
	SampleCategorical(logits, 100, []float64{0.1, 0.9}, out)
	if out[0] != 0 || out[1] != 3 {
		t.Fatalf("samples at temperature 100 %v, want [0 3]", out)
	}
	// The frequencies of many draws follow the softmax.
	rng := tensor.NewRNG(1, "categorical")
	l := tensor.FromSlice([]float32{0, float32(math.Log(3))}, 1, 2)
	ones := 0
	for range 20000 {
		SampleCategorical(l, 1, []float64{rng.Float64()}, out[:1])
		ones += out[0]
	}
	if f := float64(ones) / 20000; math.Abs(f-0.75) > 0.015 {
		t.Fatalf("class 1 drawn %.3f of the time, want 0.75", f)
	}
}

// Rows wider than the chunk the exponentials are computed in draw the
// class of the inverse cumulative distribution computed in float64,
// except where u falls within float32 rounding of a class boundary.
func TestSampleCategoricalWideRows(t *testing.T) {
	rng := tensor.NewRNG(2, "wide")
	for _, v := range []int{kernels.ExpChunk - 1, kernels.ExpChunk + 3, 5000} {
		row := make([]float32, v)
		for j := range row {
			row[j] = float32(3 * rng.Norm())
		}
		logits := tensor.FromSlice(row, 1, v)
		for _, temp := range []float64{1, 0.5, 2} {
			cdf := make([]float64, v)
			var sum float64
			for j, x := range row {
				sum += math.Exp(float64(x) / temp)
				cdf[j] = sum
			}
			out := make([]int, 1)
			for range 200 {
				u := rng.Float64()
				SampleCategorical(logits, temp, []float64{u}, out)
				want := sort.SearchFloat64s(cdf, u*sum)
				for want < v-1 && cdf[want] <= u*sum {
					want++
				}
				if out[0] != want && math.Abs(cdf[min(out[0], want)]/sum-u) > 1e-5 {
					t.Fatalf("V=%d, temperature %g, u=%g: class %d, want %d", v, temp, u, out[0], want)
				}
			}
		}
	}
}
