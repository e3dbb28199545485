package nn

import (
	"github.com/nash-gan/nash/onnx"
	"github.com/nash-gan/nash/tensor"
)

// The layers write their evaluation-mode forward pass as ONNX nodes
// (onnx.Exporter), their weights named by their PyTorch state-dict names.

// ExportONNX implements onnx.Exporter: Gemm with the weight transposed.
func (l *Linear) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	in := []string{x, g.Weight(onnx.Join(name, "weight"), l.Weight.Value)}
	if l.Bias != nil {
		in = append(in, g.Weight(onnx.Join(name, "bias"), l.Bias.Value))
	}
	return g.Node("Gemm", name, in, onnx.IntAttr("transB", 1)), nil
}

// convAttrs returns the attributes of a convolution of geometry c.
func convAttrs(c tensor.ConvGeom) []onnx.Attr {
	return []onnx.Attr{
		onnx.IntsAttr("kernel_shape", int64(c.KH), int64(c.KW)),
		onnx.IntsAttr("strides", int64(c.SH), int64(c.SW)),
		onnx.IntsAttr("pads", int64(c.PH), int64(c.PW), int64(c.PH), int64(c.PW)),
	}
}

// convInputs returns the inputs of a convolution node: x, the weight and
// the bias if any.
func convInputs(g *onnx.Graph, name, x string, w, b *tensor.Tensor) []string {
	in := []string{x, g.Weight(onnx.Join(name, "weight"), w)}
	if b != nil {
		in = append(in, g.Weight(onnx.Join(name, "bias"), b))
	}
	return in
}

// ExportONNX implements onnx.Exporter: Conv.
func (c *Conv2d) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	var b *tensor.Tensor
	if c.Bias != nil {
		b = c.Bias.Value
	}
	return g.Node("Conv", name, convInputs(g, name, x, c.Weight.Value, b), convAttrs(c.Geom)...), nil
}

// ExportONNX implements onnx.Exporter: ConvTranspose.
func (c *ConvTranspose2d) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	var b *tensor.Tensor
	if c.Bias != nil {
		b = c.Bias.Value
	}
	attrs := append(convAttrs(c.Geom), onnx.IntsAttr("output_padding", int64(c.OutPadH), int64(c.OutPadW)))
	return g.Node("ConvTranspose", name, convInputs(g, name, x, c.Weight.Value, b), attrs...), nil
}

// ExportONNX implements onnx.Exporter: BatchNormalization over the running
// statistics, as in evaluation mode.
func (b *BatchNorm) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	in := []string{x,
		g.Weight(onnx.Join(name, "weight"), b.Weight.Value), g.Weight(onnx.Join(name, "bias"), b.Bias.Value),
		g.Weight(onnx.Join(name, "running_mean"), b.RunningMean), g.Weight(onnx.Join(name, "running_var"), b.RunningVar)}
	return g.Node("BatchNormalization", name, in, onnx.FloatAttr("epsilon", b.Eps), onnx.FloatAttr("momentum", 1-b.Momentum)), nil
}

// ExportONNX implements onnx.Exporter: LeakyRelu.
func (a LeakyReLU) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	return g.Node("LeakyRelu", name, []string{x}, onnx.FloatAttr("alpha", a.Slope)), nil
}

// ExportONNX implements onnx.Exporter: Relu.
func (ReLU) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	return g.Node("Relu", name, []string{x}), nil
}

// ExportONNX implements onnx.Exporter: Tanh.
func (Tanh) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	return g.Node("Tanh", name, []string{x}), nil
}

// ExportONNX implements onnx.Exporter: Sigmoid.
func (Sigmoid) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	return g.Node("Sigmoid", name, []string{x}), nil
}

// ExportONNX implements onnx.Exporter: nothing, as in evaluation mode.
func (*Dropout) ExportONNX(_ *onnx.Graph, _, x string) (string, error) { return x, nil }

// ExportONNX implements onnx.Exporter: Gather of the rows of the weight
// indexed by x, which must be int64.
func (e *Embedding) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	return g.Node("Gather", name, []string{g.Weight(onnx.Join(name, "weight"), e.Weight.Value), x}, onnx.IntAttr("axis", 0)), nil
}

// ExportONNX implements onnx.Exporter: Flatten from dimension 1.
func (Flatten) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	return g.Node("Flatten", name, []string{x}, onnx.IntAttr("axis", 1)), nil
}

// ExportONNX implements onnx.Exporter: a Reshape that keeps the dimensions
// before Dim and expands the last one, Dim, to Shape (Unflatten of an
// input's last dimension, as nash's networks use it).
func (u Unflatten) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	shape := make([]int64, u.Dim, u.Dim+len(u.Shape))
	for _, d := range u.Shape {
		shape = append(shape, int64(d))
	}
	return g.Node("Reshape", name, []string{x, g.Int64s(onnx.Join(name, "shape"), shape...)}), nil
}

// ExportONNX implements onnx.Exporter: the layers in order, named by their
// indices.
func (s *Sequential) ExportONNX(g *onnx.Graph, name, x string) (string, error) {
	for _, c := range s.Children() {
		var err error
		if x, err = onnx.Export(g, c.Module, onnx.Join(name, c.Name), x); err != nil {
			return "", err
		}
	}
	return x, nil
}
