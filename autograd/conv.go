package autograd

import (
	"fmt"
	"slices"

	"github.com/nash-gan/nash/tensor"
)

// Operations for image models. Im2Col and Col2Im are adjoint, so each is
// the other's backward; Permute, Concat and Slice rearrange values; Gather
// and ScatterAdd look rows up for embeddings. The convolutions and the
// per-channel operations are composed from these and the element-wise and
// broadcasting primitives, so they are differentiable to any order.

// Im2Col returns the columns [C·KH·KW, N·OH·OW] of the images x [N, C, H, W]
// under the window g, as tensor.Im2Col.
func (tp *Tape) Im2Col(x *Var, g tensor.ConvGeom) *Var {
	rows, cols := g.ColsSize(x.Shape())
	out := tp.newTensor(rows, cols)
	tensor.Im2Col(out, x.Value, g)
	v, n := tp.record("Im2Col", out, im2ColBackward, x)
	if n != nil {
		n.geom = g
	}
	return v
}

func im2ColBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Col2Im(g, n.geom, n.inputs[0].Shape())
}

// Col2Im returns images of the given shape [N, C, H, W] holding, at each
// position, the sum of the entries of cols [C·KH·KW, N·OH·OW] that Im2Col
// under g would have copied from it, as tensor.Col2Im.
func (tp *Tape) Col2Im(cols *Var, g tensor.ConvGeom, shape []int) *Var {
	if len(shape) != 4 {
		panic(fmt.Sprintf("autograd: Col2Im into shape %v, which is not [N, C, H, W]", shape))
	}
	return tp.col2Im(cols, nil, g, shape[0], shape[1], shape[2], shape[3])
}

// col2Im is Col2Im into [n, c, h, w] with the bias b [C] added to every
// position of each channel unless b is nil.
func (tp *Tape) col2Im(cols, b *Var, g tensor.ConvGeom, n, c, h, w int) *Var {
	out := tp.newTensor(n, c, h, w)
	var v *Var
	if b != nil {
		tensor.Col2Im(out, cols.Value, b.Value, g)
		v, _ = tp.record("Col2Im", out, col2ImBackward, cols, b)
	} else {
		tensor.Col2Im(out, cols.Value, nil, g)
		v, _ = tp.record("Col2Im", out, col2ImBackward, cols)
	}
	if v.node != nil {
		v.node.geom = g
	}
	return v
}

func col2ImBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	if need[0] {
		grads[0] = tp.Im2Col(g, n.geom)
	}
	if len(need) > 1 && need[1] {
		grads[1] = tp.SumChannels(g)
	}
}

// fromChannelMajor returns z [C, N·A] as [n, c, d…] (A the product of d),
// plus the bias b [C] in each channel unless b is nil, as
// tensor.FromChannelMajor: a convolution's output in torch's layout.
func (tp *Tape) fromChannelMajor(z, b *Var, shape ...int) *Var {
	out := tp.newTensor(shape...)
	var v *Var
	if b != nil {
		tensor.FromChannelMajor(out, z.Value, b.Value)
		v, _ = tp.record("FromChannelMajor", out, fromChannelMajorBackward, z, b)
	} else {
		tensor.FromChannelMajor(out, z.Value, nil)
		v, _ = tp.record("FromChannelMajor", out, fromChannelMajorBackward, z)
	}
	return v
}

func fromChannelMajorBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	if need[0] {
		grads[0] = tp.toChannelMajor(g)
	}
	if len(need) > 1 && need[1] {
		grads[1] = tp.SumChannels(g)
	}
}

// toChannelMajor returns x [N, C, …] as the channel-major matrix
// [C, N·A], A the number of elements of one channel of one sample, as
// tensor.ToChannelMajor.
func (tp *Tape) toChannelMajor(x *Var) *Var {
	s := x.Shape()
	if len(s) < 2 {
		panic(fmt.Sprintf("autograd: ToChannelMajor of shape %v, which has no channel axis", s))
	}
	out := tp.newTensor(s[1], x.Value.Len()/max(1, s[1]))
	tensor.ToChannelMajor(out, x.Value)
	v, _ := tp.record("ToChannelMajor", out, toChannelMajorBackward, x)
	return v
}

func toChannelMajorBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.fromChannelMajor(g, nil, n.inputs[0].Shape()...)
}

// Permute returns x with its axes reordered: axis i of the result is axis
// axes[i] of x, as torch.permute.
func (tp *Tape) Permute(x *Var, axes ...int) *Var {
	s := x.Shape()
	if len(axes) != len(s) {
		panic(fmt.Sprintf("autograd: Permute of shape %v by %v", s, slices.Clone(axes)))
	}
	// tensor.Permute keeps its axes argument (in its panic message), so
	// pass it the tape's copy rather than the caller's slice.
	tp.perm = append(tp.perm[:0], axes...)
	var buf [8]int
	shape := buf[:0]
	for _, a := range tp.perm {
		if a < 0 || a >= len(s) {
			panic(fmt.Sprintf("autograd: Permute of shape %v by %v", s, slices.Clone(axes)))
		}
		shape = append(shape, s[a])
	}
	out := tp.newTensor(shape...)
	tensor.Permute(out, x.Value, tp.perm)
	v, n := tp.record("Permute", out, permuteBackward, x)
	if n != nil {
		n.ints = append(n.intBuf[:0], tp.perm...)
	}
	return v
}

func permuteBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	var buf [8]int
	inv := buf[:0]
	for range n.ints {
		inv = append(inv, 0)
	}
	for i, a := range n.ints {
		inv[a] = i
	}
	grads[0] = tp.Permute(g, inv...)
}

// Concat returns xs joined along axis, as torch.cat: they must agree on
// every other axis.
func (tp *Tape) Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("autograd: Concat of nothing")
	}
	first := xs[0].Shape()
	if axis < 0 || axis >= len(first) {
		panic(fmt.Sprintf("autograd: Concat along axis %d of shape %v", axis, first))
	}
	shape := slices.Clone(first)
	shape[axis] = 0
	vals := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		if len(x.Shape()) != len(shape) {
			panic(fmt.Sprintf("autograd: Concat of shapes %v and %v", first, x.Shape()))
		}
		shape[axis] += x.Shape()[axis]
		vals[i] = x.Value
	}
	out := tp.newTensor(shape...)
	tensor.Concat(out, vals, axis)
	v, _ := tp.record("Concat", out, func(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
		start := 0
		for i, x := range n.inputs {
			size := x.Shape()[axis]
			if need[i] {
				grads[i] = tp.Slice(g, axis, start, start+size)
			}
			start += size
		}
	}, xs...)
	return v
}

// Slice returns the part of x with indices [start, end) along axis, as
// x.narrow(axis, start, end − start) in torch.
func (tp *Tape) Slice(x *Var, axis, start, end int) *Var {
	s := x.Shape()
	if axis < 0 || axis >= len(s) || start < 0 || end < start || end > s[axis] {
		panic(fmt.Sprintf("autograd: Slice [%d, %d) along axis %d of shape %v", start, end, axis, s))
	}
	shape := slices.Clone(s)
	shape[axis] = end - start
	out := tp.newTensor(shape...)
	tensor.Slice(out, x.Value, axis, start)
	v, _ := tp.record("Slice", out, func(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
		// The gradient is g padded with zeros back to x's shape.
		in := n.inputs[0].Shape()
		parts := make([]*Var, 0, 3)
		if start > 0 {
			parts = append(parts, tp.zeros(in, axis, start))
		}
		parts = append(parts, g)
		if rest := in[axis] - end; rest > 0 {
			parts = append(parts, tp.zeros(in, axis, rest))
		}
		if len(parts) == 1 {
			grads[0] = g
			return
		}
		grads[0] = tp.Concat(axis, parts...)
	}, x)
	return v
}

// zeros returns a constant zero tensor of the given shape with its size along
// axis replaced by n.
func (tp *Tape) zeros(shape []int, axis, n int) *Var {
	s := slices.Clone(shape)
	s[axis] = n
	z := tp.newTensor(s...)
	z.Zero()
	return tp.newVar(z)
}

// Gather returns the rows of table [R, D] named by idx, which holds row
// numbers as integral values: the result has idx's shape followed by D, as
// an embedding lookup. No gradient flows to idx.
func (tp *Tape) Gather(table, idx *Var) *Var {
	ts := table.Shape()
	if len(ts) != 2 {
		panic(fmt.Sprintf("autograd: Gather from a table of shape %v", ts))
	}
	out := tp.newTensor(append(slices.Clone(idx.Shape()), ts[1])...)
	tensor.GatherRows(out, table.Value, idx.Value)
	v, _ := tp.record("Gather", out, func(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
		if need[0] {
			grads[0] = tp.ScatterAdd(g, n.inputs[1], n.inputs[0].Shape()[0])
		}
	}, table, idx)
	return v
}

// ScatterAdd returns a [rows, D] tensor whose row r is the sum of the rows i
// of src [idx…, D] with idx[i] = r: the adjoint of Gather. No gradient flows
// to idx.
func (tp *Tape) ScatterAdd(src, idx *Var, rows int) *Var {
	s := src.Shape()
	if len(s) == 0 {
		panic("autograd: ScatterAdd of a scalar")
	}
	out := tp.newTensor(rows, s[len(s)-1])
	out.Zero()
	tensor.ScatterAddRows(out, src.Value, idx.Value)
	v, _ := tp.record("ScatterAdd", out, func(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
		if need[0] {
			grads[0] = tp.Gather(g, n.inputs[1])
		}
	}, src, idx)
	return v
}

// Dropout returns x with each element zeroed with probability p and the
// others scaled by 1/(1 − p), drawing from rng, as torch's dropout in
// training mode.
func (tp *Tape) Dropout(x *Var, p float32, rng *tensor.RNG) *Var {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("autograd: Dropout probability %v outside [0, 1]", p))
	}
	mask := tp.newTensor(x.Shape()...)
	var keep float32
	if p < 1 {
		keep = 1 / (1 - p)
	}
	m := mask.Data()
	for i := range m {
		if rng.Float32() < p {
			m[i] = 0
		} else {
			m[i] = keep
		}
	}
	return tp.Mul(x, tp.newVar(mask))
}

// checkConv panics unless x [N, C, H, W] and a weight of shape w, whose
// dimension inAxis is the input channels and whose last two are the kernel,
// fit the window g.
func checkConv(op string, x, w []int, inAxis int, g tensor.ConvGeom) {
	if len(x) != 4 || len(w) != 4 || w[inAxis] != x[1] || w[2] != g.KH || w[3] != g.KW {
		panic(fmt.Sprintf("autograd: %s of input %v with weight %v and window %+v", op, x, w, g))
	}
}

// Conv2d returns the 2-D convolution (cross-correlation, as in torch) of x
// [N, C, H, W] with weights w [O, C, KH, KW] under the window g, plus the
// bias b [O] unless b is nil: [N, O, OH, OW]. It is one matrix product of
// the weights with Im2Col(x) over the whole batch, [O, N·OH·OW], brought to
// [N, O, OH, OW] with the bias added in the same pass (FromChannelMajor).
// One product over the batch is faster at the DCGAN sizes than one per
// sample writing [N, O, OH, OW] directly (tensor's BenchmarkConv2d).
func (tp *Tape) Conv2d(x, w, b *Var, g tensor.ConvGeom) *Var {
	xs, ws := x.Shape(), w.Shape()
	checkConv("Conv2d", xs, ws, 1, g)
	n, o := xs[0], ws[0]
	oh, ow := g.OutSize(xs[2], xs[3])
	z := tp.MatMul(tp.Reshape(w, o, -1), tp.Im2Col(x, g), false, false)
	return tp.fromChannelMajor(z, b, n, o, oh, ow)
}

// ConvTranspose2d returns the transposed convolution of x [N, C, H, W] with
// weights w [C, O, KH, KW], the adjoint of Conv2d under the window g, plus
// the bias b [O] unless b is nil, as torch.nn.ConvTranspose2d: the output is
// [N, O, (H − 1)·SH − 2·PH + KH + outPadH, (W − 1)·SW − 2·PW + KW + outPadW],
// where the output padding, smaller than the stride, picks among the sizes
// that a convolution under g maps to H×W. It is Col2Im of the product of the
// transposed weights with x in channel-major layout (the transpose is the
// product's flag, not a copy), with the bias added as Col2Im starts each
// channel.
func (tp *Tape) ConvTranspose2d(x, w, b *Var, g tensor.ConvGeom, outPadH, outPadW int) *Var {
	xs, ws := x.Shape(), w.Shape()
	checkConv("ConvTranspose2d", xs, ws, 0, g)
	if outPadH < 0 || outPadW < 0 || outPadH >= g.SH || outPadW >= g.SW {
		panic(fmt.Sprintf("autograd: ConvTranspose2d output padding %d×%d not below the stride %d×%d", outPadH, outPadW, g.SH, g.SW))
	}
	n, c, o := xs[0], xs[1], ws[1]
	oh := (xs[2]-1)*g.SH - 2*g.PH + g.KH + outPadH
	ow := (xs[3]-1)*g.SW - 2*g.PW + g.KW + outPadW
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("autograd: ConvTranspose2d of input %v with window %+v has no output", xs, g))
	}
	cols := tp.MatMul(tp.Reshape(w, c, -1), tp.toChannelMajor(x), true, false)
	return tp.col2Im(cols, b, g, n, o, oh, ow)
}

// checkChannels panics unless x [N, C, …] has a channel axis and v is a
// vector [C], and returns x's shape.
func checkChannels(op string, x, v *Var) []int {
	s := x.Shape()
	if len(s) < 2 {
		panic(fmt.Sprintf("autograd: %s of shape %v, which has no channel axis", op, s))
	}
	if vs := v.Shape(); len(vs) != 1 || vs[0] != s[1] {
		panic(fmt.Sprintf("autograd: %s of a %d-channel input with a vector of shape %v", op, s[1], vs))
	}
	return s
}

// AddChannels returns x [N, C, …] with b[c] added to channel c, for b [C].
func (tp *Tape) AddChannels(x, b *Var) *Var {
	out := tp.newTensor(checkChannels("AddChannels", x, b)...)
	tensor.AddChannels(out, x.Value, b.Value)
	v, _ := tp.record("AddChannels", out, addChannelsBackward, x, b)
	return v
}

func addChannelsBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	if need[0] {
		grads[0] = g
	}
	if need[1] {
		grads[1] = tp.SumChannels(g)
	}
}

// MulChannels returns x [N, C, …] with channel c multiplied by v[c], for
// v [C].
func (tp *Tape) MulChannels(x, v *Var) *Var {
	out := tp.newTensor(checkChannels("MulChannels", x, v)...)
	tensor.MulChannels(out, x.Value, v.Value)
	y, _ := tp.record("MulChannels", out, mulChannelsBackward, x, v)
	return y
}

func mulChannelsBackward(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
	x, v := n.inputs[0], n.inputs[1]
	if need[0] {
		grads[0] = tp.MulChannels(g, v)
	}
	if need[1] {
		grads[1] = tp.SumChannels(tp.Mul(g, x))
	}
}

// SumChannels returns the sum of each channel of x [N, C, …] over the
// samples and the remaining axes: [C].
func (tp *Tape) SumChannels(x *Var) *Var {
	s := x.Shape()
	if len(s) < 2 {
		panic(fmt.Sprintf("autograd: SumChannels of shape %v, which has no channel axis", s))
	}
	out := tp.newTensor(s[1])
	tensor.SumChannels(out, x.Value)
	v, _ := tp.record("SumChannels", out, sumChannelsBackward, x)
	return v
}

func sumChannelsBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.fillChannels(g, n.inputs[0].Shape())
}

// fillChannels returns a tensor of the given shape [N, C, …] whose channel
// c holds v[c] everywhere, for v [C]: the adjoint of SumChannels.
func (tp *Tape) fillChannels(v *Var, shape []int) *Var {
	out := tp.newTensor(shape...)
	tensor.FillChannels(out, v.Value)
	y, _ := tp.record("FillChannels", out, fillChannelsBackward, v)
	return y
}

func fillChannelsBackward(tp *Tape, _ *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.SumChannels(g)
}

// ReflectionPad2d returns x [N, C, H, W] padded by p on every side of its
// last two axes with its reflection, as torch.nn.ReflectionPad2d(p): a
// [N, C, H+2p, W+2p] tensor; p must be less than H and W.
func (tp *Tape) ReflectionPad2d(x *Var, p int) *Var {
	s := x.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("autograd: ReflectionPad2d of shape %v, which is not [N, C, H, W]", s))
	}
	out := tp.newTensor(s[0], s[1], s[2]+2*p, s[3]+2*p)
	tensor.ReflectPad2d(out, x.Value, p)
	v, n := tp.record("ReflectionPad2d", out, func(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
		grads[0] = tp.reflectionUnpad2d(g, n.ints[0])
	}, x)
	if n != nil {
		n.ints = append(n.intBuf[:0], p)
	}
	return v
}

// reflectionUnpad2d returns the adjoint of ReflectionPad2d by p applied to
// g [N, C, H+2p, W+2p]: [N, C, H, W], each value the sum of the values of g
// that the padding copied from it.
func (tp *Tape) reflectionUnpad2d(g *Var, p int) *Var {
	s := g.Shape()
	out := tp.newTensor(s[0], s[1], s[2]-2*p, s[3]-2*p)
	tensor.ReflectPad2dAdjoint(out, g.Value, p)
	v, n := tp.record("ReflectionUnpad2d", out, func(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
		grads[0] = tp.ReflectionPad2d(g, n.ints[0])
	}, g)
	if n != nil {
		n.ints = append(n.intBuf[:0], p)
	}
	return v
}
