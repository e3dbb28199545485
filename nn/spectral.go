package nn

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// spectralEps bounds the norms that the power iteration divides by from
// below, as torch.nn.utils.spectral_norm's default eps does.
const spectralEps = 1e-12

// Weighted is a layer whose weight Spectral can normalise. The weight's
// first dimension is the number of outputs and the rest flatten into the
// columns of the matrix whose spectral norm is taken: [out, in] for Linear,
// [out, in·kh·kw] for Conv2d's [out, in, kh, kw]. (ConvTranspose2d, whose
// weight is [in, out, kh, kw] and which PyTorch normalises along its second
// dimension, is not Weighted.)
type Weighted interface {
	Module
	// WeightVar returns the layer's weight parameter.
	WeightVar() *autograd.Var
	// ForwardWeight is Forward with w, of the weight's shape, used in
	// place of the weight.
	ForwardWeight(tp *autograd.Tape, x, w *autograd.Var) *autograd.Var
}

// WeightVar implements Weighted.
func (l *Linear) WeightVar() *autograd.Var { return l.Weight }

// ForwardWeight implements Weighted.
func (l *Linear) ForwardWeight(tp *autograd.Tape, x, w *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 2 || s[1] != l.In {
		panic(fmt.Sprintf("nn: Linear(%d, %d) got input of shape %v", l.In, l.Out, s))
	}
	y := tp.MatMul(x, w, false, true)
	if l.Bias != nil {
		y = tp.Add(y, l.Bias)
	}
	return y
}

// WeightVar implements Weighted.
func (c *Conv2d) WeightVar() *autograd.Var { return c.Weight }

// ForwardWeight implements Weighted.
func (c *Conv2d) ForwardWeight(tp *autograd.Tape, x, w *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 4 || s[1] != c.In {
		panic(fmt.Sprintf("nn: Conv2d(%d, %d) got input of shape %v, want [N %d H W]", c.In, c.Out, s, c.In))
	}
	return tp.Conv2d(x, w, c.Bias, c.Geom)
}

// Spectral is a layer whose weight is divided by its spectral norm σ, the
// largest singular value of the weight as a matrix, as
// torch.nn.utils.spectral_norm does (Miyato et al., 2018). It keeps PyTorch's
// state-dict names: the wrapped layer's weight is the trained parameter
// "weight_orig", its other parameters keep their names, and the buffers
// "weight_u" [out] and "weight_v" [in·kh·kw] hold the power iteration's
// estimates of the first left and right singular vectors.
//
// When the tape is in training mode (autograd.Tape.SetTraining) every Forward
// first runs one round of power iteration on the current weight W, without
// gradient, updating the buffers in place: v = Wᵀu/‖Wᵀu‖, then u = Wv/‖Wv‖.
// Then, on the tape, σ = uᵀWv and the layer runs with W/σ; gradients flow
// through σ to W, with u and v constants. In evaluation mode, as in
// PyTorch's, the power iteration does not run and Forward writes nothing, so
// that evaluation-mode forwards may run concurrently; training-mode ones may
// not.
type Spectral struct {
	// Layer is the wrapped layer.
	Layer Weighted
	// U and V are the buffers weight_u [out] and weight_v [in·kh·kw];
	// LoadStateDict copies into them.
	U, V *tensor.Tensor

	one *tensor.Tensor // the constant 1 as [1, 1], never written
}

// SpectralNorm wraps layer in a Spectral, with U and V drawn
// from N(0, I) and normalised, as PyTorch draws them. It panics if the
// layer's weight has fewer than two dimensions.
func SpectralNorm(layer Weighted, rng *tensor.RNG) *Spectral {
	w := layer.WeightVar().Value
	if w.Dims() < 2 || w.Len() == 0 {
		panic(fmt.Sprintf("nn: SpectralNorm of a weight of shape %v, want [out, in, …]", w.Shape()))
	}
	out := w.Dim(0)
	in := w.Len() / out
	s := &Spectral{Layer: layer, U: tensor.New(out), V: tensor.New(in)}
	rng.Normal(s.U, 0, 1)
	normalize(s.U.Data())
	rng.Normal(s.V, 0, 1)
	normalize(s.V.Data())
	s.one = tensor.FromSlice([]float32{1}, 1, 1)
	return s
}

// SpectralNormAll wraps every Weighted layer (Linear, Conv2d) within m in a
// Spectral, in place through Container.SetChild, as applying
// torch.nn.utils.spectral_norm to each of them does: their state-dict names
// become weight_orig, weight_u and weight_v under the same prefixes. The
// layers are wrapped in Walk's order, each drawing its U and then its V from
// rng. Layers already normalised are left as they are, and so is m itself
// when it is a layer rather than a Container.
func SpectralNormAll(m Module, rng *tensor.RNG) {
	c, ok := m.(Container)
	if _, normalised := m.(*Spectral); !ok || normalised {
		return
	}
	for i, child := range c.Children() {
		if w, ok := child.Module.(Weighted); ok {
			c.SetChild(i, SpectralNorm(w, rng))
			continue
		}
		SpectralNormAll(child.Module, rng)
	}
}

// Forward implements Module.
func (s *Spectral) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	w := s.Layer.WeightVar()
	if tp.Training() {
		s.powerIteration(w.Value.Data())
	}
	out, in := s.U.Len(), s.V.Len()
	wm := w
	if w.Value.Dims() != 2 {
		wm = tp.Reshape(w, out, in)
	}
	// Copies of u and v in the tape's arena (scaling by 1 is exact): the
	// next training-mode Forward updates the buffers in place, and the
	// backward of this one must still see the values it used, which is why
	// PyTorch clones them too.
	u := tp.Scale(autograd.Const(s.U.Reshape(out, 1)), 1)
	v := tp.Scale(autograd.Const(s.V.Reshape(in, 1)), 1)
	sigma := tp.MatMul(u, tp.MatMul(wm, v, false, false), true, false)
	// W·(1/σ) rather than PyTorch's W/σ: a product per element, and
	// fewer passes over W in the backward, for a difference of at most
	// an ulp.
	return s.Layer.ForwardWeight(tp, x, tp.Mul(w, tp.Div(autograd.Const(s.one), sigma)))
}

// powerIteration runs one round of power iteration on the weight w, read as
// a row-major [len(U), len(V)] matrix W: v = normalize(Wᵀu), then
// u = normalize(Wv).
func (s *Spectral) powerIteration(w []float32) {
	u, v := s.U.Data(), s.V.Data()
	n := len(v)
	clear(v)
	for i, ui := range u {
		row := w[i*n : (i+1)*n]
		v := v[:len(row)]
		for j, wij := range row {
			v[j] += wij * ui
		}
	}
	normalize(v)
	for i := range u {
		u[i] = dot(w[i*n:(i+1)*n], v)
	}
	normalize(u)
}

// dot returns x·y for len(y) ≥ len(x), summed in four float32 partial sums.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// normalize divides x by max(‖x‖, spectralEps), as torch's F.normalize does.
func normalize(x []float32) {
	var sq float64
	for _, v := range x {
		sq += float64(v) * float64(v)
	}
	norm := float32(max(math.Sqrt(sq), spectralEps))
	for i := range x {
		x[i] /= norm
	}
}

// Parameters implements Module: the wrapped layer's parameters, with its
// weight renamed weight_orig and moved last, which is where PyTorch
// registers it.
func (s *Spectral) Parameters() []Parameter {
	w := s.Layer.WeightVar()
	var ps []Parameter
	for _, p := range s.Layer.Parameters() {
		if p.Var != w {
			ps = append(ps, p)
		}
	}
	return append(ps, Parameter{"weight_orig", w})
}

// Buffers implements BufferHolder: the wrapped layer's buffers, then
// weight_u and weight_v.
func (s *Spectral) Buffers() []Buffer {
	var bs []Buffer
	if bh, ok := s.Layer.(BufferHolder); ok {
		bs = append(bs, bh.Buffers()...)
	}
	return append(bs, Buffer{"weight_u", s.U}, Buffer{"weight_v", s.V})
}

// Children implements Container: the wrapped layer, named "" because its
// parameters and buffers keep their names unprefixed.
func (s *Spectral) Children() []Child { return []Child{{"", s.Layer}} }

// SetChild implements Container: m replaces the wrapped layer, keeping U and
// V. It panics unless i is 0 and m is a Weighted layer whose weight has as
// many rows and columns as the one it replaces.
func (s *Spectral) SetChild(i int, m Module) {
	w, ok := m.(Weighted)
	if i != 0 || !ok {
		panic(fmt.Sprintf("nn: Spectral.SetChild(%d, %T): a Spectral has one child, a Weighted layer", i, m))
	}
	if v := w.WeightVar().Value; v.Dims() < 2 || v.Dim(0) != s.U.Len() || v.Len() != s.U.Len()*s.V.Len() {
		panic(fmt.Sprintf("nn: Spectral.SetChild: a weight of shape %v in place of one of %d rows and %d columns", v.Shape(), s.U.Len(), s.V.Len()))
	}
	s.Layer = w
}
