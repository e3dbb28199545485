package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/nash-gan/nash/internal/gradcheck"
	"github.com/nash-gan/nash/tensor"
)

// opCase is one differentiable operation under test: f builds its output
// from the inputs on a tape.
type opCase struct {
	name   string
	shapes [][]int
	// lo, hi bound the random inputs; away (> 0) keeps them at least that far
	// from 0, for functions with a kink or a pole there.
	lo, hi, away float32
	f            func(tp *Tape, x []*Var) *Var
	// firstOrderOnly marks operations whose derivative is piecewise
	// constant, so their second derivative is zero almost everywhere and a
	// finite difference across the kink would be meaningless.
	firstOrderOnly bool
}

var opCases = []opCase{
	{name: "Add", shapes: [][]int{{3, 4}, {3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Add(x[0], x[1]) }},
	{name: "Add/row", shapes: [][]int{{3, 4}, {4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Add(x[0], x[1]) }},
	{name: "Add/column", shapes: [][]int{{3, 4}, {3, 1}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Add(x[0], x[1]) }},
	{name: "Add/general", shapes: [][]int{{2, 1, 4}, {3, 1}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Add(x[0], x[1]) }},
	{name: "Sub/scalar", shapes: [][]int{{3, 4}, {}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Sub(x[0], x[1]) }},
	{name: "Mul", shapes: [][]int{{3, 4}, {3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Mul(x[0], x[1]) }},
	{name: "Mul/row", shapes: [][]int{{3, 4}, {1, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Mul(x[0], x[1]) }},
	{name: "Div", shapes: [][]int{{3, 4}, {3, 4}}, lo: 0.5, hi: 2, f: func(tp *Tape, x []*Var) *Var { return tp.Div(x[0], x[1]) }},
	{name: "Div/column", shapes: [][]int{{3, 4}, {3, 1}}, lo: 0.5, hi: 2, f: func(tp *Tape, x []*Var) *Var { return tp.Div(x[0], x[1]) }},
	{name: "MatMul", shapes: [][]int{{3, 5}, {5, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], false, false) }},
	{name: "MatMul/Bᵀ", shapes: [][]int{{3, 5}, {4, 5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], false, true) }},
	{name: "MatMul/Aᵀ", shapes: [][]int{{5, 3}, {5, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], true, false) }},
	{name: "MatMul/AᵀBᵀ", shapes: [][]int{{5, 3}, {4, 5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.MatMul(x[0], x[1], true, true) }},
	{name: "SumTo/row", shapes: [][]int{{3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.SumTo(x[0], []int{4}) }},
	{name: "SumRows", shapes: [][]int{{3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.SumRows(x[0]) }},
	{name: "SumTo/general", shapes: [][]int{{2, 3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.SumTo(x[0], []int{2, 1, 4}) }},
	{name: "BroadcastTo", shapes: [][]int{{3, 1}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.BroadcastTo(x[0], []int{2, 3, 4}) }},
	{name: "Sum", shapes: [][]int{{3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Sum(x[0]) }},
	{name: "Mean", shapes: [][]int{{3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Mean(x[0]) }},
	{name: "Neg", shapes: [][]int{{5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Neg(x[0]) }},
	{name: "Scale", shapes: [][]int{{5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Scale(x[0], -2.5) }},
	{name: "AddScalar", shapes: [][]int{{5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.AddScalar(x[0], 3) }},
	{name: "Exp", shapes: [][]int{{2, 3}}, lo: -2, hi: 2, f: func(tp *Tape, x []*Var) *Var { return tp.Exp(x[0]) }},
	{name: "Log", shapes: [][]int{{2, 3}}, lo: 0.5, hi: 3, f: func(tp *Tape, x []*Var) *Var { return tp.Log(x[0]) }},
	{name: "Sqrt", shapes: [][]int{{2, 3}}, lo: 0.5, hi: 3, f: func(tp *Tape, x []*Var) *Var { return tp.Sqrt(x[0]) }},
	{name: "Square", shapes: [][]int{{2, 3}}, lo: -2, hi: 2, f: func(tp *Tape, x []*Var) *Var { return tp.Square(x[0]) }},
	{name: "Tanh", shapes: [][]int{{2, 3}}, lo: -2, hi: 2, f: func(tp *Tape, x []*Var) *Var { return tp.Tanh(x[0]) }},
	{name: "Sigmoid", shapes: [][]int{{2, 3}}, lo: -3, hi: 3, f: func(tp *Tape, x []*Var) *Var { return tp.Sigmoid(x[0]) }},
	{name: "Softplus", shapes: [][]int{{2, 3}}, lo: -3, hi: 3, f: func(tp *Tape, x []*Var) *Var { return tp.Softplus(x[0]) }},
	{name: "LeakyReLU", shapes: [][]int{{2, 5}}, lo: -2, hi: 2, away: 0.1, firstOrderOnly: true, f: func(tp *Tape, x []*Var) *Var { return tp.LeakyReLU(x[0], 0.2) }},
	{name: "ReLU", shapes: [][]int{{2, 5}}, lo: -2, hi: 2, away: 0.1, firstOrderOnly: true, f: func(tp *Tape, x []*Var) *Var { return tp.ReLU(x[0]) }},
	{name: "Abs", shapes: [][]int{{2, 5}}, lo: -2, hi: 2, away: 0.1, firstOrderOnly: true, f: func(tp *Tape, x []*Var) *Var { return tp.Abs(x[0]) }},
	{name: "Reshape", shapes: [][]int{{2, 6}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Mul(tp.Reshape(x[0], 3, -1), tp.Reshape(x[0], 3, 4)) }},
	{name: "Transpose", shapes: [][]int{{2, 3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Transpose(x[0]) }},
	{name: "Pick", shapes: [][]int{{3, 5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.Pick(x[0], Const(tensor.FromSlice([]float32{4, 0, 2}, 3)))
	}},
	{name: "Place", shapes: [][]int{{3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.Place(x[0], Const(tensor.FromSlice([]float32{4, 0, 2}, 3)), 5)
	}},
	{name: "PickLogSoftmax", shapes: [][]int{{3, 5}}, lo: -3, hi: 3, f: func(tp *Tape, x []*Var) *Var {
		return tp.PickLogSoftmax(x[0], Const(tensor.FromSlice([]float32{4, 0, 2}, 3)))
	}},
	// Squared, so that the gradient reaching PickLogSoftmax's backward
	// depends on x and the second order differentiates through it too.
	{name: "PickLogSoftmax/squared", shapes: [][]int{{3, 5}}, lo: -3, hi: 3, f: func(tp *Tape, x []*Var) *Var {
		return tp.Square(tp.PickLogSoftmax(x[0], Const(tensor.FromSlice([]float32{1, 3, 3}, 3))))
	}},
	{name: "LogSoftmax", shapes: [][]int{{3, 5}}, lo: -3, hi: 3, f: func(tp *Tape, x []*Var) *Var { return tp.LogSoftmax(x[0]) }},
}

func randomInputs(rng *tensor.RNG, c opCase) []*Var {
	xs := make([]*Var, len(c.shapes))
	for i, s := range c.shapes {
		t := tensor.New(s...)
		for j := range t.Data() {
			for {
				v := c.lo + (c.hi-c.lo)*rng.Float32()
				if c.away == 0 || math.Abs(float64(v)) >= float64(c.away) {
					t.Data()[j] = v
					break
				}
			}
		}
		xs[i] = NewVar(t, true)
	}
	return xs
}

// weightedSum returns Σ w ⊙ y on the tape, with w fixed: a scalar whose
// gradient with respect to y is w, so every output element is checked.
func weightedSum(tp *Tape, y *Var, w *tensor.Tensor) *Var {
	return tp.Sum(tp.Mul(y, Const(w)))
}

// numericGrad returns the central-difference gradient of f with respect to
// every element of every input, in float64.
func numericGrad(xs []*Var, f func() float64, eps float32) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = gradcheck.Numeric(x.Value.Data(), f, eps)
	}
	return out
}

func compare(t *testing.T, what string, got []*tensor.Tensor, want [][]float64, atol, rtol float64) {
	t.Helper()
	for i := range want {
		for j, w := range want[i] {
			g := float64(got[i].Data()[j])
			if math.Abs(g-w) > atol+rtol*math.Abs(w) {
				t.Errorf("%s: input %d element %d: analytic %.6g, numeric %.6g", what, i, j, g, w)
				return
			}
		}
	}
}

func TestGradientsFiniteDifference(t *testing.T) {
	for _, c := range opCases {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(1, c.name)
			xs := randomInputs(rng, c)
			tp := NewTape()
			y := c.f(tp, xs)
			w := tensor.New(y.Shape()...)
			rng.Uniform(w, -1, 1)
			loss := weightedSum(tp, y, w)
			grads := tp.Grad([]*Var{loss}, nil, xs, false)
			got := make([]*tensor.Tensor, len(grads))
			for i, g := range grads {
				if !g.Value.SameShape(xs[i].Value) {
					t.Fatalf("gradient %d has shape %v, input %v", i, g.Shape(), xs[i].Shape())
				}
				got[i] = g.Value
			}
			want := numericGrad(xs, func() float64 {
				tp := NewTape()
				tp.SetGrad(false)
				return weightedSum(tp, c.f(tp, xs), w).Value.Sum()
			}, 1e-2)
			compare(t, "first order", got, want, 2e-3, 2e-3)
		})
	}
}

// TestSecondOrderFiniteDifference checks the derivative of every operation's
// backward: h(x) = Σ v ⊙ ∂/∂x Σ w ⊙ f(x), differentiated through the recorded
// backward (createGraph), against central differences of h computed with the
// first-order path.
func TestSecondOrderFiniteDifference(t *testing.T) {
	for _, c := range opCases {
		if c.firstOrderOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(2, c.name)
			xs := randomInputs(rng, c)
			tp := NewTape()
			y := c.f(tp, xs)
			w := tensor.New(y.Shape()...)
			rng.Uniform(w, -1, 1)
			vs := make([]*tensor.Tensor, len(xs))
			for i, x := range xs {
				vs[i] = tensor.New(x.Shape()...)
				rng.Uniform(vs[i], -1, 1)
			}
			h := func(tp *Tape, g []*Var) *Var {
				var s *Var
				for i := range g {
					term := weightedSum(tp, g[i], vs[i])
					if s == nil {
						s = term
					} else {
						s = tp.Add(s, term)
					}
				}
				return s
			}
			g1 := tp.Grad([]*Var{weightedSum(tp, y, w)}, nil, xs, true)
			hv := h(tp, g1)
			if !hv.RequiresGrad() {
				// The first derivative is constant in x: h has zero gradient.
				for i := range xs {
					want := numericGrad(xs[i:i+1], func() float64 { return firstOrderH(c, xs, w, h) }, 1e-2)
					compare(t, "second order (constant)", []*tensor.Tensor{tensor.New(xs[i].Shape()...)}, want, 2e-3, 2e-3)
				}
				return
			}
			g2 := tp.Grad([]*Var{hv}, nil, xs, false)
			got := make([]*tensor.Tensor, len(g2))
			for i := range g2 {
				got[i] = g2[i].Value
			}
			want := numericGrad(xs, func() float64 { return firstOrderH(c, xs, w, h) }, 1e-2)
			compare(t, "second order", got, want, 3e-3, 3e-3)
		})
	}
}

func firstOrderH(c opCase, xs []*Var, w *tensor.Tensor, h func(*Tape, []*Var) *Var) float64 {
	tp := NewTape()
	g := tp.Grad([]*Var{weightedSum(tp, c.f(tp, xs), w)}, nil, xs, false)
	tp.SetGrad(false)
	return h(tp, g).Value.Sum()
}

// TestGradientPenaltyMLP is the check WGAN-GP and R1 rest on: for a two-layer
// MLP D, the gradient with respect to D's weights of ‖∇ₓ D(x)‖² (summed over
// the batch) against finite differences of the first-order gradient.
func TestGradientPenaltyMLP(t *testing.T) {
	rng := tensor.NewRNG(3, "gp")
	newParam := func(shape ...int) *Var {
		p := tensor.New(shape...)
		rng.Uniform(p, -0.8, 0.8)
		return NewVar(p, true)
	}
	w1, b1, w2, b2 := newParam(6, 4), newParam(6), newParam(1, 6), newParam(1)
	params := []*Var{w1, b1, w2, b2}
	xt := tensor.New(5, 4)
	rng.Uniform(xt, -1, 1)
	D := func(tp *Tape, x *Var) *Var {
		h := tp.Tanh(tp.Add(tp.MatMul(x, w1, false, true), b1))
		return tp.Add(tp.MatMul(h, w2, false, true), b2)
	}
	penalty := func(tp *Tape, createGraph bool) *Var {
		x := NewVar(xt, true)
		gx := tp.Grad([]*Var{tp.Sum(D(tp, x))}, nil, []*Var{x}, createGraph)[0]
		return tp.Sum(tp.Square(gx))
	}
	tp := NewTape()
	p := penalty(tp, true)
	tp.Backward(p, params...)
	got := make([]*tensor.Tensor, len(params))
	for i, q := range params {
		got[i] = q.Grad
		if q.Grad == nil {
			// The penalty does not depend on the output bias: no path, no gradient.
			if i != 3 {
				t.Fatalf("parameter %d got no gradient", i)
			}
			got[i] = tensor.New(q.Shape()...)
		}
	}
	want := numericGrad(params, func() float64 {
		return penalty(NewTape(), false).Value.Sum()
	}, 1e-2)
	compare(t, "‖∇ₓD‖² w.r.t. weights", got, want, 2e-3, 5e-3)
	var norm float64
	for _, g := range got {
		for _, v := range g.Data() {
			norm += float64(v) * float64(v)
		}
	}
	if norm == 0 {
		t.Fatal("penalty gradient is identically zero")
	}
}

func TestBackwardAccumulatesOnlyIntoRequestedLeaves(t *testing.T) {
	a := NewVar(tensor.FromSlice([]float32{1, 2}, 2), true)
	b := NewVar(tensor.FromSlice([]float32{3, 4}, 2), true)
	tp := NewTape()
	loss := tp.Sum(tp.Mul(a, b))
	tp.Backward(loss, a)
	if b.Grad != nil {
		t.Fatalf("b got a gradient %v though only a was requested", b.Grad)
	}
	if got := a.Grad.Data(); got[0] != 3 || got[1] != 4 {
		t.Fatalf("a.Grad = %v, want [3 4]", got)
	}
	tp.Backward(loss)
	if got := a.Grad.Data(); got[0] != 6 || got[1] != 8 {
		t.Fatalf("after a second Backward a.Grad = %v, want accumulated [6 8]", got)
	}
	if got := b.Grad.Data(); got[0] != 1 || got[1] != 2 {
		t.Fatalf("b.Grad = %v, want [1 2]", got)
	}
}

func TestDetachAndNoGradRecordNothing(t *testing.T) {
	a := NewVar(tensor.FromSlice([]float32{1, 2}, 2), true)
	tp := NewTape()
	tp.Sum(tp.Mul(a.Detach(), a.Detach()))
	if tp.Len() != 0 {
		t.Fatalf("ops on detached values recorded %d nodes", tp.Len())
	}
	tp.NoGrad(func() { tp.Sum(tp.Mul(a, a)) })
	if tp.Len() != 0 {
		t.Fatalf("ops under NoGrad recorded %d nodes", tp.Len())
	}
	tp.Sum(tp.Mul(a, a))
	if tp.Len() != 2 {
		t.Fatalf("recorded %d nodes, want 2", tp.Len())
	}
}

func TestTrainingMode(t *testing.T) {
	tp := NewTape()
	if !tp.Training() {
		t.Fatal("a new tape is in evaluation mode, want training mode")
	}
	for _, c := range []struct {
		set, previous bool
	}{{false, true}, {false, false}, {true, false}, {true, true}} {
		if previous := tp.SetTraining(c.set); previous != c.previous {
			t.Fatalf("SetTraining(%v) returned %v, want %v", c.set, previous, c.previous)
		}
		if tp.Training() != c.set {
			t.Fatalf("after SetTraining(%v), Training() = %v", c.set, tp.Training())
		}
	}
	tp.SetTraining(false)
	tp.SetGrad(false)
	tp.Sum(tp.Const(tensor.FromSlice([]float32{1, 2}, 2)))
	tp.Reset()
	if tp.Training() || tp.GradEnabled() {
		t.Fatalf("after Reset, Training() = %v and GradEnabled() = %v, want both false as set", tp.Training(), tp.GradEnabled())
	}
}

func TestGradOfIntermediateAndUnrelated(t *testing.T) {
	x := NewVar(tensor.FromSlice([]float32{0.5, -1, 2}, 3), true)
	u := NewVar(tensor.FromSlice([]float32{7}, 1), true)
	tp := NewTape()
	h := tp.Scale(x, 3)
	loss := tp.Sum(tp.Square(h))
	g := tp.Grad([]*Var{loss}, nil, []*Var{h, x, u}, false)
	for i, want := range [][]float32{{3, -6, 12}, {9, -18, 36}, {0}} {
		if fmt.Sprint(g[i].Value.Data()) != fmt.Sprint(want) {
			t.Errorf("gradient %d = %v, want %v", i, g[i].Value.Data(), want)
		}
	}
}

// A parameter shared by two tapes carries one tape's pass marks into the
// other's differentiation: the marks must never look current to another tape.
func TestTapesSharingAParameter(t *testing.T) {
	w := NewVar(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3), true)
	x := NewVar(tensor.FromSlice([]float32{1, -1}, 1, 2), true)

	first := NewTape()
	first.Backward(first.Sum(first.MatMul(x, w, false, false)))

	second := NewTape()
	g := second.Grad([]*Var{second.Sum(second.MatMul(x, w, false, false))}, nil, []*Var{x}, false)
	if got, want := fmt.Sprint(g[0].Value.Data()), fmt.Sprint([]float32{6, 15}); got != want {
		t.Fatalf("∂/∂x on the second tape = %v, want %v", got, want)
	}
}

// An input named twice gets its whole gradient at both places, as
// torch.autograd.grad gives it.
func TestGradOfARepeatedInput(t *testing.T) {
	x := NewVar(tensor.FromSlice([]float32{0.5, -1}, 2), true)
	tp := NewTape()
	g := tp.Grad([]*Var{tp.Sum(tp.Square(x))}, nil, []*Var{x, x}, false)
	for i := range g {
		if got, want := fmt.Sprint(g[i].Value.Data()), fmt.Sprint([]float32{1, -2}); got != want {
			t.Errorf("gradient %d = %v, want %v", i, got, want)
		}
	}
}
