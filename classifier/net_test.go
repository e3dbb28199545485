package classifier

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/internal/gradcheck"
	"github.com/nash-gan/nash/tensor"
)

func TestMaxPool2dValues(t *testing.T) {
	cases := []struct {
		name string
		in   []float32
		h, w int
		want []float32
	}{
		{"one window", []float32{1, 4, 3, 2}, 2, 2, []float32{4}},
		{"negative values", []float32{-5, -4, -3, -9}, 2, 2, []float32{-3}},
		{"two by two windows", []float32{
			1, 2, 5, 6,
			3, 4, 8, 7,
			9, 0, 0, 0,
			0, 0, 0, -1,
		}, 4, 4, []float32{4, 8, 9, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp := autograd.NewTape()
			x := autograd.NewVar(tensor.FromSlice(c.in, 1, 1, c.h, c.w), true)
			for _, record := range []bool{true, false} {
				tp.SetGrad(record)
				got := MaxPool2d{}.Forward(tp, x).Value
				if s := got.Shape(); s[2] != c.h/2 || s[3] != c.w/2 {
					t.Fatalf("shape %v", s)
				}
				for i, v := range c.want {
					if got.Data()[i] != v {
						t.Fatalf("recording %v: got %v, want %v", record, got.Data(), c.want)
					}
				}
			}
		})
	}
}

// TestMaxPool2dTies checks that a tied window sends its gradient to the
// first maximum in row-major order, as PyTorch does.
func TestMaxPool2dTies(t *testing.T) {
	tp := autograd.NewTape()
	x := autograd.NewVar(tensor.FromSlice([]float32{2, 2, 2, 2}, 1, 1, 2, 2), true)
	g := tp.Grad([]*autograd.Var{tp.Sum(MaxPool2d{}.Forward(tp, x))}, nil, []*autograd.Var{x}, false)[0]
	want := []float32{1, 0, 0, 0}
	for i, v := range want {
		if g.Value.Data()[i] != v {
			t.Fatalf("gradient %v, want %v", g.Value.Data(), want)
		}
	}
}

// distinct returns a tensor of the given shape holding a random
// permutation of 0.1, 0.2, …, so that no two values tie within the
// finite-difference step.
func distinct(seed uint64, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	perm := make([]int, x.Len())
	tensor.NewRNG(seed, "distinct").Perm(perm)
	for i, p := range perm {
		x.Data()[i] = 0.1*float32(p) - 1
	}
	return x
}

func TestMaxPool2dGradients(t *testing.T) {
	for _, shape := range [][]int{{1, 1, 2, 2}, {2, 3, 4, 6}} {
		x := autograd.NewVar(distinct(1, shape...), true)
		w := tensor.New(shape[0], shape[1], shape[2]/2, shape[3]/2)
		tensor.NewRNG(2, "w").Uniform(w, -1, 1)
		loss := func(tp *autograd.Tape) *autograd.Var {
			// A square makes the second derivative non-trivial.
			y := MaxPool2d{}.Forward(tp, x)
			return tp.Sum(tp.Mul(tp.Square(y), tp.Const(w)))
		}
		tp := autograd.NewTape()
		g := tp.Grad([]*autograd.Var{loss(tp)}, nil, []*autograd.Var{x}, true)[0]
		want := gradcheck.Numeric(x.Value.Data(), func() float64 {
			tp := autograd.NewTape()
			tp.SetGrad(false)
			return loss(tp).Value.Sum()
		}, 1e-2)
		if j := gradcheck.Mismatch(g.Value.Data(), want, 1e-3, 1e-3); j >= 0 {
			t.Fatalf("shape %v: element %d: analytic %g, numeric %g", shape, j, g.Value.Data()[j], want[j])
		}
		// Second order: the gradient of Σ g² with respect to x.
		gg := tp.Grad([]*autograd.Var{tp.Sum(tp.Square(g))}, nil, []*autograd.Var{x}, false)[0]
		want2 := gradcheck.Numeric(x.Value.Data(), func() float64 {
			tp := autograd.NewTape()
			g := tp.Grad([]*autograd.Var{loss(tp)}, nil, []*autograd.Var{x}, false)[0]
			var s float64
			for _, v := range g.Value.Data() {
				s += float64(v) * float64(v)
			}
			return s
		}, 1e-2)
		if j := gradcheck.Mismatch(gg.Value.Data(), want2, 1e-2, 1e-3); j >= 0 {
			t.Fatalf("shape %v: second order element %d: analytic %g, numeric %g", shape, j, gg.Value.Data()[j], want2[j])
		}
	}
}

func TestCrossEntropy(t *testing.T) {
	logits := tensor.FromSlice([]float32{
		1, 2, 3,
		-50, 40, 0.5,
		0, 0, 0,
		100, 100.5, 99,
	}, 4, 3)
	labels := []int{2, 0, 1, 1}
	var want float64
	for i, y := range labels {
		row := logits.Data()[i*3 : (i+1)*3]
		var m float64 = math.Inf(-1)
		for _, z := range row {
			m = math.Max(m, float64(z))
		}
		var s float64
		for _, z := range row {
			s += math.Exp(float64(z) - m)
		}
		want += m + math.Log(s) - float64(row[y])
	}
	want /= float64(len(labels))
	x := autograd.NewVar(logits, true)
	loss := func(tp *autograd.Tape) *autograd.Var { return CrossEntropy(tp, x, labels) }
	tp := autograd.NewTape()
	l := loss(tp)
	if got := float64(l.Value.Item()); math.Abs(got-want) > 1e-4*math.Abs(want) {
		t.Fatalf("cross-entropy %g, want %g", got, want)
	}
	g := tp.Grad([]*autograd.Var{l}, nil, []*autograd.Var{x}, false)[0]
	num := gradcheck.Numeric(x.Value.Data(), func() float64 {
		tp := autograd.NewTape()
		tp.SetGrad(false)
		return float64(loss(tp).Value.Item())
	}, 1e-2)
	if j := gradcheck.Mismatch(g.Value.Data(), num, 2e-3, 2e-3); j >= 0 {
		t.Fatalf("element %d: analytic %g, numeric %g", j, g.Value.Data()[j], num[j])
	}
}

func TestSoftmax(t *testing.T) {
	p := Softmax([]float32{0, 0, 0, 1000, 0, -1000}, 3)
	want := []float64{1.0 / 3, 1.0 / 3, 1.0 / 3, 1, 0, 0}
	for i, v := range want {
		if math.Abs(p[i]-v) > 1e-12 {
			t.Fatalf("softmax %v, want %v", p, want)
		}
	}
}

func TestAugmentBatch(t *testing.T) {
	src := tensor.New(3, 1, Side, Side)
	for i := range src.Data() {
		src.Data()[i] = float32(i%(Side*Side)) / 1000
	}
	dst := tensor.New(3, 1, Side, Side)
	// No shift, no flip: a copy of the first n images.
	augmentBatch(dst, src, 2, 0, false, tensor.NewRNG(1, "a"))
	for i := range 2 * Side * Side {
		if dst.Data()[i] != src.Data()[i] {
			t.Fatalf("identity augmentation changed pixel %d", i)
		}
	}
	if dst.Data()[2*Side*Side+5] != 0 {
		t.Fatal("augmentation wrote beyond n images")
	}
	// Shifts stay within ±shift: every output pixel is background or a
	// source pixel at most shift away; flips mirror columns.
	for _, flip := range []bool{false, true} {
		augmentBatch(dst, src, 3, 2, flip, tensor.NewRNG(2, "a"))
		for k := range 3 {
			for i := range Side {
				for j := range Side {
					v := dst.Data()[k*Side*Side+i*Side+j]
					if v == -1 {
						continue
					}
					p := int(math.Round(float64(v) * 1000))
					si, sj := p/Side, p%Side
					if flip {
						dj := min(abs(sj-j), abs(Side-1-sj-j))
						if abs(si-i) > 2 || dj > 2 {
							t.Fatalf("flip: pixel (%d,%d) came from (%d,%d)", i, j, si, sj)
						}
					} else if abs(si-i) > 2 || abs(sj-j) > 2 {
						t.Fatalf("pixel (%d,%d) came from (%d,%d)", i, j, si, sj)
					}
				}
			}
		}
	}
}

func abs(x int) int { return max(x, -x) }
