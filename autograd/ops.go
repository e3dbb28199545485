package autograd

import (
	"fmt"

	"github.com/nash-gan/nash/tensor"
)

// The primitive operations. Each computes its value with the tensor package
// and, when recorded, a backward function written with these same
// operations, so that derivatives of any order are available.

func binary(tp *Tape, name string, op tensor.BinaryOp, a, b *Var, bw backwardFunc) *Var {
	var buf [8]int
	shape, err := tensor.AppendBroadcastShape(buf[:0], a.Shape(), b.Shape())
	if err != nil {
		panic(fmt.Sprintf("autograd: %s: %v", name, err))
	}
	out := tp.newTensor(shape...)
	tensor.Binary(op, out, a.Value, b.Value)
	v, _ := tp.record(name, out, bw, a, b)
	return v
}

// Add returns a + b with broadcasting.
func (tp *Tape) Add(a, b *Var) *Var { return binary(tp, "Add", tensor.OpAdd, a, b, addBackward) }

func addBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	if need[0] {
		grads[0] = tp.SumTo(g, n.inputs[0].Shape())
	}
	if need[1] {
		grads[1] = tp.SumTo(g, n.inputs[1].Shape())
	}
}

// Sub returns a − b with broadcasting.
func (tp *Tape) Sub(a, b *Var) *Var { return binary(tp, "Sub", tensor.OpSub, a, b, subBackward) }

func subBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	if need[0] {
		grads[0] = tp.SumTo(g, n.inputs[0].Shape())
	}
	if need[1] {
		grads[1] = tp.Neg(tp.SumTo(g, n.inputs[1].Shape()))
	}
}

// Mul returns a ⊙ b with broadcasting.
func (tp *Tape) Mul(a, b *Var) *Var { return binary(tp, "Mul", tensor.OpMul, a, b, mulBackward) }

func mulBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	a, b := n.inputs[0], n.inputs[1]
	if need[0] {
		grads[0] = tp.SumTo(tp.Mul(g, b), a.Shape())
	}
	if need[1] {
		grads[1] = tp.SumTo(tp.Mul(g, a), b.Shape())
	}
}

// Div returns a / b with broadcasting.
func (tp *Tape) Div(a, b *Var) *Var { return binary(tp, "Div", tensor.OpDiv, a, b, divBackward) }

func divBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	a, b := n.inputs[0], n.inputs[1]
	if need[0] {
		grads[0] = tp.SumTo(tp.Div(g, b), a.Shape())
	}
	if need[1] {
		grads[1] = tp.SumTo(tp.Neg(tp.Div(tp.Mul(g, n.out), b)), b.Shape())
	}
}

// MatMul returns op(a)·op(b) for 2-D a and b, where op transposes its
// argument when the matching flag is set.
func (tp *Tape) MatMul(a, b *Var, transA, transB bool) *Var {
	var buf [2]int
	out := tp.newTensor(tensor.AppendMatMulShape(buf[:0], a.Shape(), b.Shape(), transA, transB)...)
	tensor.MatMul(out, a.Value, b.Value, transA, transB, 0)
	v, n := tp.record("MatMul", out, matMulBackward, a, b)
	if n != nil {
		n.transA, n.transB = transA, transB
	}
	return v
}

func matMulBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	a, b, transA, transB := n.inputs[0], n.inputs[1], n.transA, n.transB
	if need[0] {
		if transA {
			grads[0] = tp.matMulInto(0, b, g, transB, true)
		} else {
			grads[0] = tp.matMulInto(0, g, b, false, !transB)
		}
	}
	if need[1] {
		if transB {
			grads[1] = tp.matMulInto(1, g, a, true, transA)
		} else {
			grads[1] = tp.matMulInto(1, a, g, !transA, false)
		}
	}
}

// matMulInto returns op(a)·op(b) as the gradient of a backward function's
// input i, or adds it to that input's sink and returns nil when it has one.
func (tp *Tape) matMulInto(i int, a, b *Var, transA, transB bool) *Var {
	if s := tp.sink(i); s != nil {
		tensor.MatMul(s, a.Value, b.Value, transA, transB, 1)
		return nil
	}
	return tp.MatMul(a, b, transA, transB)
}

// SumTo sums x over the axes along which shape broadcasts to x's shape, the
// adjoint of BroadcastTo. It returns x itself when the shapes are equal.
func (tp *Tape) SumTo(x *Var, shape []int) *Var {
	if tensor.EqualShapes(x.Shape(), shape) {
		return x
	}
	out := tp.newTensor(shape...)
	tensor.SumTo(out, x.Value)
	v, _ := tp.record("SumTo", out, sumToBackward, x)
	return v
}

func sumToBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.BroadcastTo(g, n.inputs[0].Shape())
}

// BroadcastTo expands x to shape by NumPy broadcasting. It returns x itself
// when the shapes are equal.
func (tp *Tape) BroadcastTo(x *Var, shape []int) *Var {
	if tensor.EqualShapes(x.Shape(), shape) {
		return x
	}
	out := tp.newTensor(shape...)
	tensor.BroadcastTo(out, x.Value)
	v, _ := tp.record("BroadcastTo", out, broadcastToBackward, x)
	return v
}

func broadcastToBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.SumTo(g, n.inputs[0].Shape())
}

// Sum returns the sum of all elements of x as a scalar.
func (tp *Tape) Sum(x *Var) *Var { return tp.SumTo(x, nil) }

// Mean returns the mean of all elements of x as a scalar.
func (tp *Tape) Mean(x *Var) *Var { return tp.Scale(tp.Sum(x), 1/float32(x.Value.Len())) }

// SumRows sums a 2-D x [n, d] over its columns, giving [n, 1].
func (tp *Tape) SumRows(x *Var) *Var {
	shape := [2]int{x.Shape()[0], 1}
	return tp.SumTo(x, shape[:])
}

func unary(tp *Tape, name string, op tensor.UnaryOp, x *Var, param float32, bw backwardFunc) *Var {
	out := tp.newTensor(x.Shape()...)
	tensor.Unary(op, out, x.Value, param)
	v, n := tp.record(name, out, bw, x)
	if n != nil {
		n.param = param
	}
	return v
}

// Neg returns −x.
func (tp *Tape) Neg(x *Var) *Var { return unary(tp, "Neg", tensor.OpNeg, x, 0, negBackward) }

func negBackward(tp *Tape, _ *node, g *Var, _ []bool, grads []*Var) { grads[0] = tp.Neg(g) }

// Scale returns c·x.
func (tp *Tape) Scale(x *Var, c float32) *Var {
	return unary(tp, "Scale", tensor.OpScale, x, c, scaleBackward)
}

func scaleBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Scale(g, n.param)
}

// AddScalar returns x + c.
func (tp *Tape) AddScalar(x *Var, c float32) *Var {
	return unary(tp, "AddScalar", tensor.OpAddScalar, x, c, identityBackward)
}

func identityBackward(_ *Tape, _ *node, g *Var, _ []bool, grads []*Var) { grads[0] = g }

// Exp returns eˣ.
func (tp *Tape) Exp(x *Var) *Var { return unary(tp, "Exp", tensor.OpExp, x, 0, expBackward) }

func expBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) { grads[0] = tp.Mul(g, n.out) }

// Log returns the natural logarithm of x.
func (tp *Tape) Log(x *Var) *Var { return unary(tp, "Log", tensor.OpLog, x, 0, logBackward) }

func logBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Div(g, n.inputs[0])
}

// Sqrt returns √x.
func (tp *Tape) Sqrt(x *Var) *Var { return unary(tp, "Sqrt", tensor.OpSqrt, x, 0, sqrtBackward) }

func sqrtBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Div(tp.Scale(g, 0.5), n.out)
}

// Square returns x².
func (tp *Tape) Square(x *Var) *Var { return tp.Mul(x, x) }

// Tanh returns tanh x.
func (tp *Tape) Tanh(x *Var) *Var { return unary(tp, "Tanh", tensor.OpTanh, x, 0, tanhBackward) }

func tanhBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Mul(g, tp.AddScalar(tp.Neg(tp.Square(n.out)), 1))
}

// Sigmoid returns 1 / (1 + e^−x).
func (tp *Tape) Sigmoid(x *Var) *Var {
	return unary(tp, "Sigmoid", tensor.OpSigmoid, x, 0, sigmoidBackward)
}

func sigmoidBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Mul(g, tp.Mul(n.out, tp.AddScalar(tp.Neg(n.out), 1)))
}

// Softplus returns log(1 + eˣ), computed stably.
func (tp *Tape) Softplus(x *Var) *Var {
	return unary(tp, "Softplus", tensor.OpSoftplus, x, 0, softplusBackward)
}

func softplusBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Mul(g, tp.Sigmoid(n.inputs[0]))
}

// LeakyReLU returns x where x > 0 and slope·x elsewhere.
func (tp *Tape) LeakyReLU(x *Var, slope float32) *Var {
	out := tp.newTensor(x.Shape()...)
	tensor.LeakyReLU(out, x.Value, slope)
	v, n := tp.record("LeakyReLU", out, leakyReLUBackward, x)
	if n != nil {
		n.param = slope
	}
	return v
}

func leakyReLUBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.leakyReLUGrad(n.inputs[0], g, n.param)
}

// leakyReLUGrad returns g where x > 0 and slope·g elsewhere: LeakyReLU's
// backward in one pass. It is linear in g with x piecewise constant, so its
// own backward is itself with the same x; no gradient flows to x.
func (tp *Tape) leakyReLUGrad(x, g *Var, slope float32) *Var {
	out := tp.newTensor(g.Shape()...)
	tensor.LeakyReLUGrad(out, x.Value, g.Value, slope)
	v, n := tp.record("LeakyReLUGrad", out, leakyReLUGradBackward, x, g)
	if n != nil {
		n.param = slope
	}
	return v
}

func leakyReLUGradBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	if need[1] {
		grads[1] = tp.leakyReLUGrad(n.inputs[0], g, n.param)
	}
}

// ReLU returns max(x, 0).
func (tp *Tape) ReLU(x *Var) *Var { return tp.LeakyReLU(x, 0) }

// Abs returns |x|; its derivative at 0 is taken as −1.
func (tp *Tape) Abs(x *Var) *Var { return unary(tp, "Abs", tensor.OpAbs, x, 0, absBackward) }

func absBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Mul(g, tp.Step(n.inputs[0], -1))
}

// Step returns 1 where x > 0 and low elsewhere. It is piecewise constant, so
// no gradient flows through it.
func (tp *Tape) Step(x *Var, low float32) *Var {
	out := tp.newTensor(x.Shape()...)
	tensor.Unary(tensor.OpStep, out, x.Value, low)
	return tp.newVar(out)
}

// Reshape returns x with a new shape of the same size (one dimension may be −1).
func (tp *Tape) Reshape(x *Var, shape ...int) *Var {
	out := tp.arena.Reshape(x.Value, shape...)
	v, _ := tp.record("Reshape", out, reshapeBackward, x)
	return v
}

func reshapeBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Reshape(g, n.inputs[0].Shape()...)
}

// Transpose returns the transpose of a 2-D x.
func (tp *Tape) Transpose(x *Var) *Var {
	s := x.Shape()
	out := tp.newTensor(s[1], s[0])
	tensor.Transpose(out, x.Value)
	v, _ := tp.record("Transpose", out, transposeBackward, x)
	return v
}

func transposeBackward(tp *Tape, _ *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Transpose(g)
}
