package nn

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/onnx"
	"github.com/nash-gan/nash/tensor"
)

// InstanceNorm2d normalises every channel of every sample of its input
// [N, C, H, W] by that channel's own mean and biased variance, as
// torch.nn.InstanceNorm2d without tracked running statistics: the same in
// training and evaluation mode, so it writes nothing to the layer. With
// Affine it then scales by Weight (γ) and shifts by Bias (β), the
// parameters PyTorch names weight and bias; without (PyTorch's default, and
// CycleGAN's) it has no parameters.
type InstanceNorm2d struct {
	// Features is the number of channels C.
	Features int
	// Eps is added to the variance for stability (PyTorch's default 1e-5).
	Eps float32
	// Weight (γ) and Bias (β) are [C], initially ones and zeros; nil
	// without Affine.
	Weight, Bias *autograd.Var
	// one is the scalar 1, the numerator of 1/σ.
	one *tensor.Tensor
}

// NewInstanceNorm2d returns an InstanceNorm2d of features channels with
// PyTorch's defaults, with affine parameters when affine is set.
func NewInstanceNorm2d(features int, affine bool) *InstanceNorm2d {
	n := &InstanceNorm2d{Features: features, Eps: 1e-5, one: tensor.FromSlice([]float32{1})}
	if affine {
		n.Weight, n.Bias = autograd.NewVar(tensor.New(features), true), autograd.NewVar(tensor.New(features), true)
		n.Weight.Value.Fill(1)
	}
	return n
}

// Forward implements Module.
func (n *InstanceNorm2d) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 || s[1] != n.Features {
		panic(fmt.Sprintf("nn: InstanceNorm2d(%d) got input of shape %v, want [N %d H W]", n.Features, s, n.Features))
	}
	m := s[2] * s[3]
	if m < 2 {
		panic(fmt.Sprintf("nn: InstanceNorm2d(%d) needs more than one value per channel, got input of shape %v", n.Features, s))
	}
	// Every (sample, channel) plane is a channel of a one-sample batch.
	planes := tp.Reshape(x, 1, s[0]*s[1], m)
	xc, _, variance := moments(tp, planes, m)
	inv := tp.Div(autograd.Const(n.one), tp.Sqrt(tp.AddScalar(variance, n.Eps)))
	y := tp.Reshape(tp.MulChannels(xc, inv), s...)
	if n.Weight == nil {
		return y
	}
	return tp.AddChannels(tp.MulChannels(y, n.Weight), n.Bias)
}

// Parameters implements Module: weight and bias with Affine, else none.
func (n *InstanceNorm2d) Parameters() []Parameter {
	if n.Weight == nil {
		return nil
	}
	return []Parameter{{"weight", n.Weight}, {"bias", n.Bias}}
}

// ExportONNX implements onnx.Exporter: InstanceNormalization, with a scale
// of ones and a bias of zeros without Affine.
func (n *InstanceNorm2d) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	w, b := tensor.New(n.Features), tensor.New(n.Features)
	w.Fill(1)
	if n.Weight != nil {
		w, b = n.Weight.Value, n.Bias.Value
	}
	in := []string{x, g.Weight(onnx.Join(name, "weight"), w), g.Weight(onnx.Join(name, "bias"), b)}
	return g.Node("InstanceNormalization", name, in, onnx.FloatAttr("epsilon", n.Eps)), nil
}

// ReflectionPad2d pads its input [N, C, H, W] by Padding on every side of
// its last two axes with its reflection, as torch.nn.ReflectionPad2d(p).
type ReflectionPad2d struct{ Padding int }

// Forward implements Module.
func (p ReflectionPad2d) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 4 || p.Padding >= s[2] || p.Padding >= s[3] {
		panic(fmt.Sprintf("nn: ReflectionPad2d(%d) got input of shape %v, want [N C H W] with H and W above %d", p.Padding, s, p.Padding))
	}
	return tp.ReflectionPad2d(x, p.Padding)
}

// Parameters implements Module.
func (ReflectionPad2d) Parameters() []Parameter { return nil }

// ExportONNX implements onnx.Exporter: Pad in reflect mode.
func (p ReflectionPad2d) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	q := int64(p.Padding)
	pads := g.Int64s(onnx.Join(name, "pads"), 0, 0, q, q, 0, 0, q, q)
	return g.Node("Pad", name, []string{x, pads}, onnx.StringAttr("mode", "reflect")), nil
}

// ResnetBlock is the residual block of CycleGAN's ResNet generator (Zhu et
// al. 2017; He et al. 2016): x + ConvBlock(x), where ConvBlock is the
// torch.nn.Sequential, named conv_block,
//
//	ReflectionPad2d(1), Conv2d(dim, dim, 3), InstanceNorm2d(dim), ReLU(),
//	ReflectionPad2d(1), Conv2d(dim, dim, 3), InstanceNorm2d(dim)
//
// as built by NewResnetBlock; its parameters are named
// conv_block.1.weight, conv_block.1.bias, conv_block.5.weight, ….
type ResnetBlock struct {
	ConvBlock *Sequential
}

// NewResnetBlock returns CycleGAN's residual block of dim channels: 3×3
// convolutions with biases after reflection padding, instance
// normalisation without affine parameters, PyTorch's default
// initialisation drawn from rng.
func NewResnetBlock(dim int, rng *tensor.RNG) *ResnetBlock {
	return &ResnetBlock{ConvBlock: NewSequential(
		ReflectionPad2d{1}, NewConv2d(dim, dim, 3, 1, 0, true, rng), NewInstanceNorm2d(dim, false), ReLU{},
		ReflectionPad2d{1}, NewConv2d(dim, dim, 3, 1, 0, true, rng), NewInstanceNorm2d(dim, false))}
}

// Forward implements Module.
func (r *ResnetBlock) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return tp.Add(x, r.ConvBlock.Forward(tp, x))
}

// Parameters implements Module.
func (r *ResnetBlock) Parameters() []Parameter {
	return Prefixed("conv_block.", r.ConvBlock.Parameters())
}

// Children implements Container: conv_block.
func (r *ResnetBlock) Children() []Child { return []Child{{"conv_block", r.ConvBlock}} }

// SetChild implements Container.
func (r *ResnetBlock) SetChild(i int, m Module) {
	s, ok := m.(*Sequential)
	if i != 0 || !ok {
		panic(fmt.Sprintf("nn: ResnetBlock.SetChild(%d, %T): its one child is a *Sequential", i, m))
	}
	r.ConvBlock = s
}

// ExportONNX implements onnx.Exporter: the block, then Add.
func (r *ResnetBlock) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	y, err := r.ConvBlock.ExportONNX(g, onnx.Join(name, "conv_block"), x)
	if err != nil {
		return "", err
	}
	return g.Node("Add", onnx.Join(name, "add"), []string{x, y}), nil
}
