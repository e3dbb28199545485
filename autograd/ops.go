package autograd

import (
	"fmt"

	"github.com/nash-gan/nash/tensor"
)

// The primitive operations. Each computes its value with the tensor package
// and, when recorded, a backward function written with these same
// operations, so that derivatives of any order are available.

func binary(tp *Tape, name string, op tensor.BinaryOp, a, b *Var, bw backwardFunc) *Var {
	shape, err := tensor.BroadcastShape(a.Shape(), b.Shape())
	if err != nil {
		panic(fmt.Sprintf("autograd: %s: %v", name, err))
	}
	out := tp.newTensor(shape...)
	tensor.Binary(op, out, a.Value, b.Value)
	return tp.record(name, out, bw, a, b)
}

// Add returns a + b with broadcasting.
func (tp *Tape) Add(a, b *Var) *Var { return binary(tp, "Add", tensor.OpAdd, a, b, addBackward) }

func addBackward(tp *Tape, in []*Var, _, g *Var, need []bool) []*Var {
	var da, db *Var
	if need[0] {
		da = tp.SumTo(g, in[0].Shape())
	}
	if need[1] {
		db = tp.SumTo(g, in[1].Shape())
	}
	return []*Var{da, db}
}

// Sub returns a − b with broadcasting.
func (tp *Tape) Sub(a, b *Var) *Var { return binary(tp, "Sub", tensor.OpSub, a, b, subBackward) }

func subBackward(tp *Tape, in []*Var, _, g *Var, need []bool) []*Var {
	var da, db *Var
	if need[0] {
		da = tp.SumTo(g, in[0].Shape())
	}
	if need[1] {
		db = tp.Neg(tp.SumTo(g, in[1].Shape()))
	}
	return []*Var{da, db}
}

// Mul returns a ⊙ b with broadcasting.
func (tp *Tape) Mul(a, b *Var) *Var { return binary(tp, "Mul", tensor.OpMul, a, b, mulBackward) }

func mulBackward(tp *Tape, in []*Var, _, g *Var, need []bool) []*Var {
	var da, db *Var
	if need[0] {
		da = tp.SumTo(tp.Mul(g, in[1]), in[0].Shape())
	}
	if need[1] {
		db = tp.SumTo(tp.Mul(g, in[0]), in[1].Shape())
	}
	return []*Var{da, db}
}

// Div returns a / b with broadcasting.
func (tp *Tape) Div(a, b *Var) *Var { return binary(tp, "Div", tensor.OpDiv, a, b, divBackward) }

func divBackward(tp *Tape, in []*Var, out, g *Var, need []bool) []*Var {
	var da, db *Var
	if need[0] {
		da = tp.SumTo(tp.Div(g, in[1]), in[0].Shape())
	}
	if need[1] {
		db = tp.SumTo(tp.Neg(tp.Div(tp.Mul(g, out), in[1])), in[1].Shape())
	}
	return []*Var{da, db}
}

// MatMul returns op(a)·op(b) for 2-D a and b, where op transposes its
// argument when the matching flag is set.
func (tp *Tape) MatMul(a, b *Var, transA, transB bool) *Var {
	out := tp.newTensor(tensor.MatMulShape(a.Shape(), b.Shape(), transA, transB)...)
	tensor.MatMul(out, a.Value, b.Value, transA, transB, 0)
	return tp.record("MatMul", out, func(tp *Tape, in []*Var, _, g *Var, need []bool) []*Var {
		a, b := in[0], in[1]
		var da, db *Var
		if need[0] {
			if transA {
				da = tp.MatMul(b, g, transB, true)
			} else {
				da = tp.MatMul(g, b, false, !transB)
			}
		}
		if need[1] {
			if transB {
				db = tp.MatMul(g, a, true, transA)
			} else {
				db = tp.MatMul(a, g, !transA, false)
			}
		}
		return []*Var{da, db}
	}, a, b)
}

// SumTo sums x over the axes along which shape broadcasts to x's shape, the
// adjoint of BroadcastTo. It returns x itself when the shapes are equal.
func (tp *Tape) SumTo(x *Var, shape []int) *Var {
	if tensor.EqualShapes(x.Shape(), shape) {
		return x
	}
	out := tp.newTensor(shape...)
	tensor.SumTo(out, x.Value)
	return tp.record("SumTo", out, func(tp *Tape, in []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.BroadcastTo(g, in[0].Shape())}
	}, x)
}

// BroadcastTo expands x to shape by NumPy broadcasting. It returns x itself
// when the shapes are equal.
func (tp *Tape) BroadcastTo(x *Var, shape []int) *Var {
	if tensor.EqualShapes(x.Shape(), shape) {
		return x
	}
	out := tp.newTensor(shape...)
	tensor.BroadcastTo(out, x.Value)
	return tp.record("BroadcastTo", out, func(tp *Tape, in []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.SumTo(g, in[0].Shape())}
	}, x)
}

// Sum returns the sum of all elements of x as a scalar.
func (tp *Tape) Sum(x *Var) *Var { return tp.SumTo(x, []int{}) }

// Mean returns the mean of all elements of x as a scalar.
func (tp *Tape) Mean(x *Var) *Var { return tp.Scale(tp.Sum(x), 1/float32(x.Value.Len())) }

// SumRows sums a 2-D x [n, d] over its columns, giving [n, 1].
func (tp *Tape) SumRows(x *Var) *Var { return tp.SumTo(x, []int{x.Shape()[0], 1}) }

func unary(tp *Tape, name string, op tensor.UnaryOp, x *Var, param float32, bw backwardFunc) *Var {
	out := tp.newTensor(x.Shape()...)
	tensor.Unary(op, out, x.Value, param)
	return tp.record(name, out, bw, x)
}

// Neg returns −x.
func (tp *Tape) Neg(x *Var) *Var {
	return unary(tp, "Neg", tensor.OpNeg, x, 0, func(tp *Tape, _ []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Neg(g)}
	})
}

// Scale returns c·x.
func (tp *Tape) Scale(x *Var, c float32) *Var {
	return unary(tp, "Scale", tensor.OpScale, x, c, func(tp *Tape, _ []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Scale(g, c)}
	})
}

// AddScalar returns x + c.
func (tp *Tape) AddScalar(x *Var, c float32) *Var {
	return unary(tp, "AddScalar", tensor.OpAddScalar, x, c, func(_ *Tape, _ []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{g}
	})
}

// Exp returns eˣ.
func (tp *Tape) Exp(x *Var) *Var {
	return unary(tp, "Exp", tensor.OpExp, x, 0, func(tp *Tape, _ []*Var, out, g *Var, _ []bool) []*Var {
		return []*Var{tp.Mul(g, out)}
	})
}

// Log returns the natural logarithm of x.
func (tp *Tape) Log(x *Var) *Var {
	return unary(tp, "Log", tensor.OpLog, x, 0, func(tp *Tape, in []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Div(g, in[0])}
	})
}

// Sqrt returns √x.
func (tp *Tape) Sqrt(x *Var) *Var {
	return unary(tp, "Sqrt", tensor.OpSqrt, x, 0, func(tp *Tape, _ []*Var, out, g *Var, _ []bool) []*Var {
		return []*Var{tp.Div(tp.Scale(g, 0.5), out)}
	})
}

// Square returns x².
func (tp *Tape) Square(x *Var) *Var { return tp.Mul(x, x) }

// Tanh returns tanh x.
func (tp *Tape) Tanh(x *Var) *Var {
	return unary(tp, "Tanh", tensor.OpTanh, x, 0, func(tp *Tape, _ []*Var, out, g *Var, _ []bool) []*Var {
		return []*Var{tp.Mul(g, tp.AddScalar(tp.Neg(tp.Square(out)), 1))}
	})
}

// Sigmoid returns 1 / (1 + e^−x).
func (tp *Tape) Sigmoid(x *Var) *Var {
	return unary(tp, "Sigmoid", tensor.OpSigmoid, x, 0, func(tp *Tape, _ []*Var, out, g *Var, _ []bool) []*Var {
		return []*Var{tp.Mul(g, tp.Mul(out, tp.AddScalar(tp.Neg(out), 1)))}
	})
}

// Softplus returns log(1 + eˣ), computed stably.
func (tp *Tape) Softplus(x *Var) *Var {
	return unary(tp, "Softplus", tensor.OpSoftplus, x, 0, func(tp *Tape, in []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Mul(g, tp.Sigmoid(in[0]))}
	})
}

// LeakyReLU returns x where x > 0 and slope·x elsewhere.
func (tp *Tape) LeakyReLU(x *Var, slope float32) *Var {
	return unary(tp, "LeakyReLU", tensor.OpLeakyReLU, x, slope, func(tp *Tape, in []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Mul(g, tp.Step(in[0], slope))}
	})
}

// ReLU returns max(x, 0).
func (tp *Tape) ReLU(x *Var) *Var { return tp.LeakyReLU(x, 0) }

// Abs returns |x|; its derivative at 0 is taken as −1.
func (tp *Tape) Abs(x *Var) *Var {
	return unary(tp, "Abs", tensor.OpAbs, x, 0, func(tp *Tape, in []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Mul(g, tp.Step(in[0], -1))}
	})
}

// Step returns 1 where x > 0 and low elsewhere. It is piecewise constant, so
// no gradient flows through it.
func (tp *Tape) Step(x *Var, low float32) *Var {
	out := tp.newTensor(x.Shape()...)
	tensor.Unary(tensor.OpStep, out, x.Value, low)
	return Const(out)
}

// Reshape returns x with a new shape of the same size (one dimension may be −1).
func (tp *Tape) Reshape(x *Var, shape ...int) *Var {
	out := x.Value.Reshape(shape...)
	return tp.record("Reshape", out, func(tp *Tape, in []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Reshape(g, in[0].Shape()...)}
	}, x)
}

// Transpose returns the transpose of a 2-D x.
func (tp *Tape) Transpose(x *Var) *Var {
	s := x.Shape()
	out := tp.newTensor(s[1], s[0])
	tensor.Transpose(out, x.Value)
	return tp.record("Transpose", out, func(tp *Tape, _ []*Var, _, g *Var, _ []bool) []*Var {
		return []*Var{tp.Transpose(g)}
	}, x)
}
