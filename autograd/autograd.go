// Package autograd implements reverse-mode automatic differentiation over a
// tape.
//
// Every operation is a method of a Tape. When the tape records and an input
// requires a gradient, the operation appends a node to the tape whose
// backward function is itself written with Tape operations. Differentiating
// therefore produces values (createGraph false, nothing recorded: the cheap
// first-order path) or a new differentiable graph (createGraph true), which is
// what gradient penalties such as WGAN-GP and R1 need: the penalty is just
// another loss.
//
// A Tape is not safe for concurrent use; give each goroutine its own.
package autograd

import (
	"fmt"
	"sync/atomic"

	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
)

// Var is a tensor value in a computation, with the node that produced it when
// that node was recorded.
type Var struct {
	// Value is the tensor this variable holds.
	Value *tensor.Tensor
	// Grad accumulates the gradient of losses passed to Tape.Backward when
	// the variable is a leaf that requires a gradient (a parameter). Optimisers
	// read it; ZeroGrad clears it.
	Grad *tensor.Tensor

	requiresGrad bool
	node         *node

	// Scratch state of one differentiation pass.
	pass    uint64
	reaches bool
	target  bool
	grad    *Var
}

// NewVar returns a leaf holding t. Gradients flow to it only if requiresGrad.
func NewVar(t *tensor.Tensor, requiresGrad bool) *Var {
	return &Var{Value: t, requiresGrad: requiresGrad}
}

// Const returns a leaf holding t that requires no gradient.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// RequiresGrad reports whether gradients flow to or through v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// Detach returns a leaf sharing v's value that requires no gradient.
func (v *Var) Detach() *Var { return &Var{Value: v.Value} }

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// ZeroGrad clears v's accumulated gradient.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Zero()
	}
}

// backwardFunc sets grads[i] to the gradient of node n's input i given the
// gradient g of its output, for every i with need[i]; other entries are nil
// on entry and may stay so. It is written with Tape operations so that it
// can itself be recorded.
type backwardFunc func(tp *Tape, n *node, g *Var, need []bool, grads []*Var)

// node is a recorded operation. Its parameters live in fields rather than in
// a closure, so that recording allocates nothing once the tape is warm.
type node struct {
	name     string
	inputs   []*Var
	in       [2]*Var // backing store of inputs for up to two inputs
	out      *Var
	backward backwardFunc
	param    float32 // a scalar parameter (Scale's factor, LeakyReLU's slope)
	transA   bool    // MatMul's flags
	transB   bool
	ints     []int           // integer parameters (Permute's axes)
	intBuf   [4]int          // backing store of ints for up to four
	geom     tensor.ConvGeom // Im2Col's and Col2Im's window
}

// slabSize is the number of Vars or nodes in one chunk of a tape's slabs.
const slabSize = 256

// slab hands out zeroed values of T from fixed-size chunks, so that pointers
// stay valid as it grows, and takes them all back at once.
type slab[T any] struct {
	chunks [][]T
	used   int
}

func (s *slab[T]) get() *T {
	c, i := s.used/slabSize, s.used%slabSize
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, slabSize))
	}
	s.used++
	return &s.chunks[c][i]
}

// reset zeroes every value handed out and takes them back.
func (s *slab[T]) reset() {
	for c := 0; c*slabSize < s.used; c++ {
		clear(s.chunks[c][:min(slabSize, s.used-c*slabSize)])
	}
	s.used = 0
}

// Tape records operations for differentiation. The variables its operations
// return, their values (and the gradients Grad returns) belong to the tape:
// they stay valid until the next Reset, which reuses their storage, so that a
// loop building the same computation every iteration allocates nothing once
// warm.
//
// A tape also carries the mode of the forward passes run on it, training
// (the default) or evaluation, which layers such as BatchNorm and Dropout
// read; see SetTraining. The mode belongs to the pass, not to the model, so
// that evaluation-mode passes on their own tapes can share a model with each
// other.
type Tape struct {
	nodes  []*node
	noGrad bool
	eval   bool
	arena  tensor.Arena
	vars   slab[Var]
	nodeS  slab[node]
	need   []bool           // scratch of differentiate
	grads  []*Var           // scratch of differentiate
	sinks  []*tensor.Tensor // see sink
	perm   []int            // Permute's copy of its axes
}

// NewTape returns an empty tape that records, in training mode.
func NewTape() *Tape { return &Tape{} }

// Reset forgets every recorded operation and takes back every variable the
// tape's operations produced and the storage of their values, keeping the
// tape's settings (recording and mode). Copy out any value needed
// afterwards.
func (tp *Tape) Reset() {
	clear(tp.nodes)
	tp.nodes = tp.nodes[:0]
	tp.vars.reset()
	tp.nodeS.reset()
	tp.arena.Reset()
}

// sink returns, while a backward function runs, the tensor into which it
// may add the gradient of its input i itself instead of setting grads[i]:
// the Grad of a parameter in a first-order Backward, so that a weight's
// gradient product accumulates in place. It returns nil when there is none.
func (tp *Tape) sink(i int) *tensor.Tensor {
	if i < len(tp.sinks) {
		return tp.sinks[i]
	}
	return nil
}

// newTensor returns a tensor of the given shape from the tape's arena, with
// unspecified contents.
func (tp *Tape) newTensor(shape ...int) *tensor.Tensor { return tp.arena.Get(shape...) }

// newVar returns a variable of the tape holding t that requires no gradient.
func (tp *Tape) newVar(t *tensor.Tensor) *Var {
	v := tp.vars.get()
	v.Value = t
	return v
}

// Const returns a variable holding t that requires no gradient, like the
// package's Const, but owned by the tape: it is valid until the next Reset.
func (tp *Tape) Const(t *tensor.Tensor) *Var { return tp.newVar(t) }

// Input returns a leaf of the given shape that requires a gradient, owned by
// the tape: its value, with unspecified contents until the caller fills it,
// and the variable are valid until the next Reset. It is the x of a
// gradient with respect to the data, such as a gradient penalty's.
func (tp *Tape) Input(shape ...int) *Var {
	v := tp.newVar(tp.newTensor(shape...))
	v.requiresGrad = true
	return v
}

// Len returns the number of recorded operations.
func (tp *Tape) Len() int { return len(tp.nodes) }

// SetGrad turns recording on or off and returns the previous setting. With
// recording off every operation only computes its value: use it for sampling
// and evaluation.
func (tp *Tape) SetGrad(enabled bool) (previous bool) {
	previous = !tp.noGrad
	tp.noGrad = !enabled
	return previous
}

// GradEnabled reports whether the tape records.
func (tp *Tape) GradEnabled() bool { return !tp.noGrad }

// SetTraining chooses the mode of the forward passes run on the tape and
// returns the previous mode, as torch.nn.Module.train and eval do for a
// PyTorch model. In training mode, a new tape's, BatchNorm normalises by
// the batch's statistics and updates its running statistics, Dropout drops
// and spectral normalisation runs its power iteration; in evaluation mode
// they use their stored state and write nothing to the model, so that
// evaluation-mode passes on different tapes may share a model. The mode is
// independent of recording (SetGrad): sampling and evaluation usually turn
// both off.
func (tp *Tape) SetTraining(training bool) (previous bool) {
	previous = !tp.eval
	tp.eval = !training
	return previous
}

// Training reports whether forward passes on the tape run in training mode.
func (tp *Tape) Training() bool { return !tp.eval }

// NoGrad runs f with recording off.
func (tp *Tape) NoGrad(f func()) {
	prev := tp.SetGrad(false)
	defer tp.SetGrad(prev)
	f()
}

// record wraps value as the output of an operation on inputs, appending a node
// when the tape records and some input requires a gradient. It returns the
// output and its node, nil when nothing was recorded, for the caller to store
// the operation's parameters in.
func (tp *Tape) record(name string, value *tensor.Tensor, backward backwardFunc, inputs ...*Var) (*Var, *node) {
	out := tp.newVar(value)
	if tp.noGrad {
		return out, nil
	}
	for _, in := range inputs {
		if in.requiresGrad {
			out.requiresGrad = true
			break
		}
	}
	if !out.requiresGrad {
		return out, nil
	}
	n := tp.nodeS.get()
	n.name, n.out, n.backward = name, out, backward
	if len(inputs) <= len(n.in) {
		n.inputs = n.in[:copy(n.in[:], inputs)]
	} else {
		n.inputs = append([]*Var(nil), inputs...)
	}
	out.node = n
	tp.nodes = append(tp.nodes, n)
	return out, n
}

// Backward accumulates the gradient of the scalar loss into the Grad of the
// leaves it depends on: the leaves in wrt, or every leaf that requires a
// gradient when wrt is empty. Nothing is recorded. Restricting wrt (say to the
// generator's parameters in the generator step) skips work for the others.
func (tp *Tape) Backward(loss *Var, wrt ...*Var) {
	if loss.Value.Len() != 1 {
		panic(fmt.Sprintf("autograd: Backward of a non-scalar %v", loss.Shape()))
	}
	if len(wrt) == 0 {
		wrt = nil
	}
	tp.differentiate([]*Var{loss}, nil, wrt, false, gradOf, func(leaf, g *Var) {
		gradOf(leaf)
		if !leaf.Grad.SameShape(g.Value) {
			panic(fmt.Sprintf("autograd: Backward: gradient of shape %v for a variable of shape %v", g.Shape(), leaf.Shape()))
		}
		// One fused pass: 1·g + Grad rounds exactly as g + Grad does.
		kernels.Axpy(1, g.Value.Data(), leaf.Grad.Data())
	})
}

// gradOf returns leaf.Grad, allocating it at the first use.
func gradOf(leaf *Var) *tensor.Tensor {
	if leaf.Grad == nil {
		leaf.Grad = tensor.New(leaf.Value.Shape()...)
	}
	return leaf.Grad
}

// Grad returns the gradients of the sum of outputs (each weighted by the
// matching entry of gradOutputs, or by ones where gradOutputs is nil) with
// respect to inputs, like torch.autograd.grad. With createGraph the result is
// itself recorded and can be differentiated again; otherwise it is a constant.
// An input that the outputs do not depend on gets a zero gradient.
func (tp *Tape) Grad(outputs, gradOutputs, inputs []*Var, createGraph bool) []*Var {
	res := make([]*Var, len(inputs))
	if inputs == nil {
		inputs = []*Var{}
	}
	tp.differentiate(outputs, gradOutputs, inputs, createGraph, nil, func(v, g *Var) {
		for i, in := range inputs {
			if in == v {
				res[i] = accumulate(tp, res[i], g)
			}
		}
	})
	for i, r := range res {
		if r == nil {
			res[i] = Const(tensor.New(inputs[i].Shape()...))
		}
	}
	return res
}

// passes numbers the differentiation passes of every tape: leaves such as
// parameters are shared among tapes, so a leaf's scratch marks must never
// look current to another tape's pass.
var passes atomic.Uint64

// differentiate propagates gradients from outputs back through the tape and
// calls deliver for every target with parts of its gradient that sum to the
// total: once for a variable produced by an operation, once per use for a
// leaf, so that a parameter used twice needs no intermediate sum. Targets are
// the variables in wrt, or every leaf that requires a gradient when wrt is nil.
// When sink is not nil, backward functions may add a leaf target's gradient
// to the tensor sink returns for it instead of delivering it (see Tape.sink).
func (tp *Tape) differentiate(outputs, seeds, wrt []*Var, createGraph bool, sink func(leaf *Var) *tensor.Tensor, deliver func(v, g *Var)) {
	pass := passes.Add(1)
	all := wrt == nil
	reaches := func(v *Var) bool { return v.pass == pass && v.reaches }
	set := func(v *Var, reaches, target bool) {
		v.pass, v.reaches, v.target, v.grad = pass, reaches, target, nil
	}
	// Forward sweep: mark the variables through which a target is reached.
	if all {
		for _, n := range tp.nodes {
			for _, in := range n.inputs {
				if in.node == nil && in.pass != pass {
					set(in, in.requiresGrad, in.requiresGrad)
				}
			}
		}
	} else {
		for _, v := range wrt {
			set(v, true, true)
		}
	}
	end := len(tp.nodes)
	for _, n := range tp.nodes[:end] {
		if n.out.pass == pass && n.out.target {
			continue
		}
		r := false
		for _, in := range n.inputs {
			if reaches(in) {
				r = true
				break
			}
		}
		set(n.out, r, false)
	}
	for i, o := range outputs {
		if o.pass != pass {
			set(o, all && o.requiresGrad, all && o.requiresGrad)
		}
		if !reaches(o) {
			continue
		}
		var s *Var
		if seeds != nil && seeds[i] != nil {
			s = seeds[i]
		} else {
			ones := tp.newTensor(o.Shape()...)
			ones.Fill(1)
			s = tp.newVar(ones)
		}
		o.grad = accumulate(tp, o.grad, s)
	}

	// Reverse sweep in recording order, which is topological.
	prev := tp.SetGrad(createGraph)
	defer tp.SetGrad(prev)
	for i := end - 1; i >= 0; i-- {
		n := tp.nodes[i]
		g := n.out.grad
		if g == nil || !reaches(n.out) {
			continue
		}
		n.out.grad = nil
		if n.out.target {
			deliver(n.out, g)
		}
		need, grads, sinks := tp.need[:0], tp.grads[:0], tp.sinks[:0]
		for _, in := range n.inputs {
			r := reaches(in)
			var s *tensor.Tensor
			if r && sink != nil && in.node == nil && in.target {
				s = sink(in)
			}
			need = append(need, r)
			grads = append(grads, nil)
			sinks = append(sinks, s)
		}
		tp.need, tp.grads, tp.sinks = need, grads, sinks
		n.backward(tp, n, g, need, grads)
		tp.sinks = sinks[:0]
		for j, in := range n.inputs {
			if need[j] && grads[j] != nil {
				if !grads[j].Value.SameShape(in.Value) {
					panic(fmt.Sprintf("autograd: %s's backward gave input %d a gradient of shape %v, the input is %v",
						n.name, j, grads[j].Shape(), in.Shape()))
				}
				if in.node == nil && in.target {
					deliver(in, grads[j])
				} else {
					in.grad = accumulate(tp, in.grad, grads[j])
				}
			}
		}
	}

	// Deliver the gradients gathered at leaf targets.
	collect := func(v *Var) {
		if v.pass == pass && v.target && v.grad != nil {
			deliver(v, v.grad)
			v.grad = nil
		}
	}
	if all {
		for _, n := range tp.nodes[:end] {
			for _, in := range n.inputs {
				collect(in)
			}
		}
		for _, o := range outputs {
			collect(o)
		}
		return
	}
	for _, v := range wrt {
		collect(v)
	}
}

// accumulate returns acc + g, recorded when the tape records.
func accumulate(tp *Tape, acc, g *Var) *Var {
	if acc == nil {
		return g
	}
	return tp.Add(acc, g)
}
