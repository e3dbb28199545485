package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// The image operations join opCases, so that TestGradientsFiniteDifference
// and TestSecondOrderFiniteDifference check them like every other operation.
func init() {
	opCases = append(opCases, convOpCases...)
}

var (
	win3s2p1 = tensor.SquareConv(3, 2, 1)
	win4s2p1 = tensor.SquareConv(4, 2, 1)
	// rowIndex names rows of a 4-row table, with repeats and a row never used.
	rowIndex = tensor.FromSlice([]float32{2, 0, 2, 3, 0}, 5)
)

var convOpCases = []opCase{
	{name: "Im2Col", shapes: [][]int{{2, 2, 5, 5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Im2Col(x[0], win3s2p1) }},
	{name: "Col2Im", shapes: [][]int{{18, 18}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Col2Im(x[0], win3s2p1, []int{2, 2, 5, 5}) }},
	{name: "Permute/3-D", shapes: [][]int{{2, 3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Permute(x[0], 2, 0, 1) }},
	{name: "Permute/channels", shapes: [][]int{{2, 3, 2, 2}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Permute(x[0], 1, 0, 2, 3) }},
	{name: "Concat/columns", shapes: [][]int{{2, 3}, {2, 1}, {2, 2}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Concat(1, x...) }},
	{name: "Concat/rows", shapes: [][]int{{1, 2, 3}, {2, 2, 3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Concat(0, x...) }},
	{name: "Slice/middle", shapes: [][]int{{3, 5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Slice(x[0], 1, 1, 4) }},
	{name: "Slice/head", shapes: [][]int{{4, 2}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Slice(x[0], 0, 0, 3) }},
	{name: "Slice/tail", shapes: [][]int{{2, 3, 2}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Slice(x[0], 1, 1, 3) }},
	{name: "ReflectionPad2d", shapes: [][]int{{2, 2, 4, 5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.ReflectionPad2d(x[0], 2) }},
	{name: "ReflectionPad2d/1", shapes: [][]int{{1, 3, 2, 3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.ReflectionPad2d(x[0], 1) }},
	{name: "ReflectionUnpad2d", shapes: [][]int{{2, 1, 7, 8}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.reflectionUnpad2d(x[0], 2) }},
	{name: "Gather", shapes: [][]int{{4, 3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.Gather(x[0], Const(rowIndex)) }},
	{name: "ScatterAdd", shapes: [][]int{{5, 3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.ScatterAdd(x[0], Const(rowIndex), 4) }},
	{name: "Dropout", shapes: [][]int{{4, 5}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.Dropout(x[0], 0.3, tensor.NewRNG(1, "dropout"))
	}},
	{name: "AddChannels", shapes: [][]int{{2, 3, 2, 2}, {3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.AddChannels(x[0], x[1]) }},
	{name: "MulChannels", shapes: [][]int{{2, 3, 4}, {3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.MulChannels(x[0], x[1]) }},
	{name: "MulChannels/[N C]", shapes: [][]int{{4, 3}, {3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.MulChannels(x[0], x[1]) }},
	{name: "SumChannels", shapes: [][]int{{2, 3, 2, 2}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.SumChannels(x[0]) }},
	{name: "FromChannelMajor", shapes: [][]int{{3, 8}, {3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.fromChannelMajor(x[0], x[1], 2, 3, 2, 2) }},
	{name: "FromChannelMajor/no bias", shapes: [][]int{{3, 4}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.fromChannelMajor(x[0], nil, 4, 3) }},
	{name: "ToChannelMajor", shapes: [][]int{{2, 3, 2, 2}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.toChannelMajor(x[0]) }},
	{name: "FillChannels", shapes: [][]int{{3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.fillChannels(x[0], []int{2, 3, 2}) }},
	{name: "MulChannels/square", shapes: [][]int{{2, 3, 2}, {3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.MulChannels(tp.Square(x[0]), tp.Square(x[1]))
	}},
	{name: "SumChannels/square", shapes: [][]int{{3, 2, 3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var { return tp.SumChannels(tp.Square(x[0])) }},
	{name: "Conv2d", shapes: [][]int{{2, 2, 5, 5}, {3, 2, 3, 3}, {3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.Conv2d(x[0], x[1], x[2], win3s2p1)
	}},
	{name: "Conv2d/rectangular", shapes: [][]int{{1, 2, 4, 5}, {2, 2, 2, 3}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.Conv2d(x[0], x[1], nil, tensor.ConvGeom{KH: 2, KW: 3, SH: 1, SW: 2, PH: 0, PW: 1})
	}},
	{name: "ConvTranspose2d", shapes: [][]int{{2, 3, 3, 3}, {3, 2, 4, 4}, {2}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.ConvTranspose2d(x[0], x[1], x[2], win4s2p1, 0, 0)
	}},
	{name: "ConvTranspose2d/output padding", shapes: [][]int{{1, 2, 3, 2}, {2, 1, 3, 3}, {1}}, lo: -1, hi: 1, f: func(tp *Tape, x []*Var) *Var {
		return tp.ConvTranspose2d(x[0], x[1], x[2], win3s2p1, 1, 0)
	}},
}

// TestConvForwardDefinitions compares Conv2d and ConvTranspose2d with their
// definitions as sums over the kernel: y[n, o, y, x] = b[o] + Σ w[o, c, i, j]
// x[n, c, y·s − p + i, x·s − p + j], and the transposed convolution
// scattering x[n, c, y, x]·w[c, o, i, j] to [y·s − p + i, x·s − p + j].
func TestConvForwardDefinitions(t *testing.T) {
	rng := tensor.NewRNG(1, "conv forward")
	random := func(shape ...int) *tensor.Tensor {
		v := tensor.New(shape...)
		rng.Uniform(v, -1, 1)
		return v
	}
	for _, c := range []struct {
		x      []int
		out    int
		bias   bool
		g      tensor.ConvGeom
		outPad [2]int
	}{
		{[]int{2, 3, 6, 5}, 4, true, win3s2p1, [2]int{}},
		{[]int{1, 2, 5, 5}, 3, false, tensor.ConvGeom{KH: 4, KW: 2, SH: 1, SW: 2, PH: 2, PW: 0}, [2]int{}},
		{[]int{2, 3, 4, 3}, 2, true, win4s2p1, [2]int{1, 0}},
		{[]int{3, 2, 3, 3}, 1, true, win3s2p1, [2]int{1, 1}},
	} {
		t.Run(fmt.Sprint(c.x, c.out, c.g, c.outPad), func(t *testing.T) {
			x := Const(random(c.x...))
			var b *Var
			var bias []float32
			if c.bias {
				b = Const(random(c.out))
				bias = b.Value.Data()
			}
			tp := NewTape()
			w := random(c.out, c.x[1], c.g.KH, c.g.KW)
			conv := tp.Conv2d(x, Const(w), b, c.g)
			checkConvDefinition(t, "Conv2d", conv.Value, x.Value, w, bias, c.g, false)

			wt := random(c.x[1], c.out, c.g.KH, c.g.KW)
			convT := tp.ConvTranspose2d(x, Const(wt), b, c.g, c.outPad[0], c.outPad[1])
			wantH := (c.x[2]-1)*c.g.SH - 2*c.g.PH + c.g.KH + c.outPad[0]
			wantW := (c.x[3]-1)*c.g.SW - 2*c.g.PW + c.g.KW + c.outPad[1]
			if s := convT.Shape(); s[0] != c.x[0] || s[1] != c.out || s[2] != wantH || s[3] != wantW {
				t.Fatalf("ConvTranspose2d shape %v, want [%d %d %d %d]", s, c.x[0], c.out, wantH, wantW)
			}
			checkConvDefinition(t, "ConvTranspose2d", convT.Value, x.Value, wt, bias, c.g, true)
		})
	}
}

// checkConvDefinition recomputes y by the definition of the convolution
// (transposed when transposed) in float64 and compares.
func checkConvDefinition(t *testing.T, op string, y, x, w *tensor.Tensor, bias []float32, g tensor.ConvGeom, transposed bool) {
	t.Helper()
	xs, ys := x.Shape(), y.Shape()
	want := make([]float64, y.Len())
	at := func(s []int, n, c, i, j int) int { return ((n*s[1]+c)*s[2]+i)*s[3] + j }
	for n := 0; n < xs[0]; n++ {
		for o := 0; o < ys[1]; o++ {
			for p := 0; p < ys[2]*ys[3]; p++ {
				if bias != nil {
					want[at(ys, n, o, p/ys[3], p%ys[3])] = float64(bias[o])
				}
			}
		}
	}
	ws := w.Shape()
	for n := 0; n < xs[0]; n++ {
		for c := 0; c < xs[1]; c++ {
			for iy := 0; iy < xs[2]; iy++ {
				for ix := 0; ix < xs[3]; ix++ {
					for o := 0; o < ys[1]; o++ {
						for i := 0; i < g.KH; i++ {
							for j := 0; j < g.KW; j++ {
								if transposed {
									oy, ox := iy*g.SH-g.PH+i, ix*g.SW-g.PW+j
									if oy >= 0 && oy < ys[2] && ox >= 0 && ox < ys[3] {
										want[at(ys, n, o, oy, ox)] += float64(x.Data()[at(xs, n, c, iy, ix)]) * float64(w.Data()[at(ws, c, o, i, j)])
									}
									continue
								}
								// x[n, c, iy, ix] feeds output (oy, ox) when iy = oy·s − p + i.
								oy, ox := iy+g.PH-i, ix+g.PW-j
								if oy%g.SH != 0 || ox%g.SW != 0 {
									continue
								}
								oy, ox = oy/g.SH, ox/g.SW
								if oy >= 0 && oy < ys[2] && ox >= 0 && ox < ys[3] {
									want[at(ys, n, o, oy, ox)] += float64(x.Data()[at(xs, n, c, iy, ix)]) * float64(w.Data()[at(ws, o, c, i, j)])
								}
							}
						}
					}
				}
			}
		}
	}
	for i, v := range want {
		if got := float64(y.Data()[i]); math.Abs(got-v) > 1e-5 {
			t.Fatalf("%s element %d = %.7g, definition %.7g", op, i, got, v)
		}
	}
}

// TestGradientPenaltyConv is the check WGAN-GP and R1 rest on for
// convolutional critics: for D = Conv2d → LeakyReLU(0.2) → Flatten → Linear,
// the gradient with respect to every weight of ‖∇ₓ D(x)‖² (summed over the
// batch), differentiated through the recorded backward, against finite
// differences of the first-order gradient.
func TestGradientPenaltyConv(t *testing.T) {
	rng := tensor.NewRNG(3, "gp conv")
	newParam := func(shape ...int) *Var {
		p := tensor.New(shape...)
		rng.Uniform(p, -0.8, 0.8)
		return NewVar(p, true)
	}
	const n = 2
	cw, cb := newParam(3, 2, 3, 3), newParam(3)
	lw, lb := newParam(1, 3*3*3), newParam(1)
	params := []*Var{cw, cb, lw}
	xt := tensor.New(n, 2, 5, 5)
	rng.Uniform(xt, -1, 1)
	D := func(tp *Tape, x *Var) *Var {
		h := tp.LeakyReLU(tp.Conv2d(x, cw, cb, win3s2p1), 0.2)
		return tp.Add(tp.MatMul(tp.Reshape(h, n, -1), lw, false, true), lb)
	}
	penalty := func(tp *Tape, createGraph bool) *Var {
		x := NewVar(xt, true)
		gx := tp.Grad([]*Var{tp.Sum(D(tp, x))}, nil, []*Var{x}, createGraph)[0]
		return tp.Sum(tp.Square(gx))
	}
	// Piecewise linear D: the finite differences are exact unless a step
	// moves a pre-activation across 0, so make sure none is that close.
	const eps = 1e-3
	pre := NewTape().Conv2d(Const(xt), cw, cb, win3s2p1).Value.Data()
	for i, v := range pre {
		if math.Abs(float64(v)) < 0.02 {
			t.Fatalf("pre-activation %d is %g, too close to the kink for a step of %g", i, v, eps)
		}
	}
	tp := NewTape()
	tp.Backward(penalty(tp, true), params...)
	got := make([]*tensor.Tensor, len(params))
	for i, q := range params {
		got[i] = q.Grad
		if q.Grad == nil {
			// No recorded path: the penalty depends on the conv bias only
			// through LeakyReLU's piecewise-constant slope.
			if i != 1 {
				t.Fatalf("parameter %d got no gradient", i)
			}
			got[i] = tensor.New(q.Shape()...)
		}
	}
	want := numericGrad(params, func() float64 { return penalty(NewTape(), false).Value.Sum() }, eps)
	compare(t, "‖∇ₓD‖² w.r.t. weights", got, want, 5e-3, 5e-3)
	if norm(got[0]) == 0 || norm(got[2]) == 0 || norm(got[1]) != 0 {
		t.Fatalf("gradient norms: conv weight %g, conv bias %g, linear weight %g", norm(got[0]), norm(got[1]), norm(got[2]))
	}
}

func norm(t *tensor.Tensor) float64 {
	var s float64
	for _, v := range t.Data() {
		s += float64(v) * float64(v)
	}
	return s
}

func TestChannelOperations(t *testing.T) {
	// x[n, c, k] = 100n + 10c + k.
	x := tensor.New(2, 3, 2)
	for i := range x.Data() {
		x.Data()[i] = float32(100*(i/6) + 10*(i/2%3) + i%2)
	}
	v := Const(tensor.FromSlice([]float32{1, 2, 3}, 3))
	tp := NewTape()
	for _, c := range []struct {
		name string
		got  *Var
		want []float32
	}{
		{"AddChannels", tp.AddChannels(Const(x), v), []float32{1, 2, 12, 13, 23, 24, 101, 102, 112, 113, 123, 124}},
		{"MulChannels", tp.MulChannels(Const(x), v), []float32{0, 1, 20, 22, 60, 63, 100, 101, 220, 222, 360, 363}},
		{"SumChannels", tp.SumChannels(Const(x)), []float32{202, 242, 282}},
	} {
		if fmt.Sprint(c.got.Value.Data()) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got.Value.Data(), c.want)
		}
	}
}

func TestConvPanics(t *testing.T) {
	x := Const(tensor.New(1, 2, 5, 5))
	for _, c := range []struct {
		name string
		f    func(tp *Tape)
	}{
		{"channels", func(tp *Tape) { tp.Conv2d(x, Const(tensor.New(3, 1, 3, 3)), nil, win3s2p1) }},
		{"kernel", func(tp *Tape) { tp.Conv2d(x, Const(tensor.New(3, 2, 4, 4)), nil, win3s2p1) }},
		{"output padding", func(tp *Tape) { tp.ConvTranspose2d(x, Const(tensor.New(2, 3, 3, 3)), nil, win3s2p1, 2, 0) }},
		{"permute", func(tp *Tape) { tp.Permute(x, 0, 1, 2) }},
		{"slice", func(tp *Tape) { tp.Slice(x, 1, 1, 3) }},
		{"dropout", func(tp *Tape) { tp.Dropout(x, 1.5, tensor.NewRNG(1, "d")) }},
		{"channels of a vector", func(tp *Tape) { tp.SumChannels(Const(tensor.New(3))) }},
		{"channel vector", func(tp *Tape) { tp.AddChannels(x, Const(tensor.New(3))) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.f(NewTape())
		})
	}
}

func TestDropoutStatistics(t *testing.T) {
	const p = 0.25
	x := tensor.New(100, 100)
	x.Fill(1)
	y := NewTape().Dropout(Const(x), p, tensor.NewRNG(1, "dropout")).Value.Data()
	zeros := 0
	for _, v := range y {
		switch v {
		case 0:
			zeros++
		case 1 / (1 - p):
		default:
			t.Fatalf("dropout output %g, want 0 or %g", v, 1/(1-p))
		}
	}
	// 10,000 Bernoulli(0.25) draws: standard deviation 43.
	if zeros < 2500-200 || zeros > 2500+200 {
		t.Fatalf("%d of 10000 zeroed, want about 2500", zeros)
	}
}
