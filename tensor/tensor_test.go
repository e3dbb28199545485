package tensor

import (
	"math"
	"reflect"
	"testing"
)

// naiveBinary computes a op b by explicit broadcast indexing.
func naiveBinary(op BinaryOp, a, b *Tensor) *Tensor {
	shape, err := BroadcastShape(a.shape, b.shape)
	if err != nil {
		panic(err)
	}
	ea, eb := New(shape...), New(shape...)
	forEachBroadcast(a.shape, shape, func(o, s int) { ea.data[o] = a.data[s] })
	forEachBroadcast(b.shape, shape, func(o, s int) { eb.data[o] = b.data[s] })
	out := New(shape...)
	for i := range out.data {
		x, y := ea.data[i], eb.data[i]
		switch op {
		case OpAdd:
			out.data[i] = x + y
		case OpSub:
			out.data[i] = x - y
		case OpMul:
			out.data[i] = x * y
		case OpDiv:
			out.data[i] = x / y
		}
	}
	return out
}

func TestBinaryBroadcastCases(t *testing.T) {
	rng := NewRNG(1, "test")
	cases := [][2][]int{
		{{3, 4}, {3, 4}}, {{3, 4}, {}}, {{}, {3, 4}}, {{3, 4}, {4}}, {{3, 4}, {1, 4}},
		{{3, 4}, {3, 1}}, {{2, 1, 4}, {3, 1}}, {{1, 4}, {3, 1}}, {{2, 3, 4}, {2, 3, 1}},
	}
	for _, c := range cases {
		for op := OpAdd; op <= OpDiv; op++ {
			a, b := New(c[0]...), New(c[1]...)
			rng.Uniform(a, 0.5, 2)
			rng.Uniform(b, 0.5, 2)
			want := naiveBinary(op, a, b)
			got := New(want.shape...)
			Binary(op, got, a, b)
			if !reflect.DeepEqual(got.data, want.data) {
				t.Errorf("op %d %v, %v: got %v, want %v", op, c[0], c[1], got.data, want.data)
			}
		}
	}
	if _, err := BroadcastShape([]int{3, 4}, []int{3}); err == nil {
		t.Error("[3 4] and [3] should not broadcast")
	}
}

func TestSumToIsAdjointOfBroadcastTo(t *testing.T) {
	// ⟨BroadcastTo(x), y⟩ = ⟨x, SumTo(y)⟩ for every pair of shapes.
	rng := NewRNG(2, "test")
	for _, c := range [][2][]int{{{4}, {3, 4}}, {{1, 4}, {3, 4}}, {{3, 1}, {3, 4}}, {{}, {2, 3}}, {{2, 1, 4}, {2, 3, 4}}, {{3, 1}, {2, 3, 4}}} {
		x, y := New(c[0]...), New(c[1]...)
		rng.Uniform(x, -1, 1)
		rng.Uniform(y, -1, 1)
		bx, sy := New(c[1]...), New(c[0]...)
		BroadcastTo(bx, x)
		SumTo(sy, y)
		var l, r float64
		for i := range y.data {
			l += float64(bx.data[i]) * float64(y.data[i])
		}
		for i := range x.data {
			r += float64(x.data[i]) * float64(sy.data[i])
		}
		if math.Abs(l-r) > 1e-5 {
			t.Errorf("%v -> %v: ⟨Bx, y⟩ = %g, ⟨x, Sy⟩ = %g", c[0], c[1], l, r)
		}
	}
}

// A bias gradient large enough to be shared out among goroutines sums each
// column in row order in float64, whatever the split.
func TestSumToColumnsShared(t *testing.T) {
	rng := NewRNG(3, "test")
	for _, shape := range [][2]int{{600, 500}, {7, 300}} {
		y := New(shape[0], shape[1])
		rng.Uniform(y, -1, 1)
		got := New(shape[1])
		SumTo(got, y)
		for j := range shape[1] {
			var s float64
			for i := range shape[0] {
				s += float64(y.data[i*shape[1]+j])
			}
			if got.data[j] != float32(s) {
				t.Fatalf("%v: column %d sums to %g, want %g", shape, j, got.data[j], float32(s))
			}
		}
	}
}

// Element-wise operations large enough to be shared among goroutines
// compute every element as the serial loop does, for operands of the same
// shape and for a row broadcast down the rows.
func TestBinaryShared(t *testing.T) {
	rng := NewRNG(5, "test")
	for _, c := range [][2][]int{{{700, 500}, {700, 500}}, {{700, 500}, {500}}, {{3, 100003}, {100003}}, {{300001}, {300001}}} {
		a, b := New(c[0]...), New(c[1]...)
		rng.Uniform(a, -1, 1)
		rng.Uniform(b, 0.5, 2)
		for _, op := range []BinaryOp{OpAdd, OpSub, OpMul, OpDiv} {
			got := New(c[0]...)
			Binary(op, got, a, b)
			for i, x := range a.data {
				y := b.data[i%len(b.data)]
				var want float32
				switch op {
				case OpAdd:
					want = x + y
				case OpSub:
					want = x - y
				case OpMul:
					want = x * y
				case OpDiv:
					want = x / y
				}
				if got.data[i] != want {
					t.Fatalf("%v op %d %v: element %d = %g, want %g", c[0], op, c[1], i, got.data[i], want)
				}
			}
		}
	}
}

func TestMatMulAndTranspose(t *testing.T) {
	a := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	c := New(2, 2)
	MatMul(c, a, b, false, false, 0)
	if want := []float32{4, 5, 10, 11}; !reflect.DeepEqual(c.data, want) {
		t.Fatalf("a·b = %v, want %v", c.data, want)
	}
	at := New(3, 2)
	Transpose(at, a)
	if want := []float32{1, 4, 2, 5, 3, 6}; !reflect.DeepEqual(at.data, want) {
		t.Fatalf("aᵀ = %v, want %v", at.data, want)
	}
	MatMul(c, at, b, true, false, 1) // c += a·b
	if want := []float32{8, 10, 20, 22}; !reflect.DeepEqual(c.data, want) {
		t.Fatalf("c + aᵀᵀ·b = %v, want %v", c.data, want)
	}
}

func TestUnarySoftplusIsStable(t *testing.T) {
	x := FromSlice([]float32{-100, 0, 100}, 3)
	y := New(3)
	Unary(OpSoftplus, y, x, 0)
	if y.data[0] != 0 && y.data[0] > 1e-30 || math.Abs(float64(y.data[1])-math.Ln2) > 1e-7 || y.data[2] != 100 {
		t.Fatalf("softplus(-100, 0, 100) = %v", y.data)
	}
}

func TestRNGStreamsAndState(t *testing.T) {
	a, b := NewRNG(1, "noise"), NewRNG(1, "init")
	if a.Uint64() == b.Uint64() {
		t.Fatal("streams with different names gave the same first value")
	}
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{a.Norm(), a.Float64()}
	c := NewRNG(9, "other")
	if err := c.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if got := []float64{c.Norm(), c.Float64()}; !reflect.DeepEqual(got, want) {
		t.Fatalf("restored stream gave %v, want %v", got, want)
	}
}

func TestArenaReusesStorage(t *testing.T) {
	var a Arena
	x := a.Get(3, 4)
	a.Reset()
	y := a.Get(4, 3)
	if &x.data[0] != &y.data[0] || !reflect.DeepEqual(y.Shape(), []int{4, 3}) {
		t.Fatal("arena did not reuse a released tensor of the same size with the new shape")
	}
	z := a.Get(12)
	if &z.data[0] == &y.data[0] {
		t.Fatal("arena handed out a tensor that is still in use")
	}
	a.Reset()
	if n := testing.AllocsPerRun(100, func() {
		a.Get(3, 4)
		a.Get(12)
		a.Reset()
	}); n != 0 {
		t.Fatalf("warm arena allocates %v times per cycle", n)
	}
}

func TestStepAndLeakyReLUAtTheKink(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	x := FromSlice([]float32{-2, negZero, 0, 1e-30, 3, float32(math.Inf(1)), float32(math.Inf(-1))}, 7)
	step, leaky := New(7), New(7)
	Unary(OpStep, step, x, 0.2)
	Unary(OpLeakyReLU, leaky, x, 0.2)
	if want := []float32{0.2, 0.2, 0.2, 1, 1, 1, 0.2}; !reflect.DeepEqual(step.data, want) {
		t.Errorf("Step = %v, want %v", step.data, want)
	}
	if want := []float32{-0.4, 0, 0, 1e-30, 3, float32(math.Inf(1)), float32(math.Inf(-1))}; !reflect.DeepEqual(leaky.data, want) {
		t.Errorf("LeakyReLU = %v, want %v", leaky.data, want)
	}
}
