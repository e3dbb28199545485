package models

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/onnx"
	"github.com/nash-gan/nash/tensor"
)

// ConditionalGenerator is a class-conditional generator: the embedding of
// the class is concatenated to the noise and the result goes through Net,
// G(z, y) = Net(cat(z, Embed(y))). Its state dict is that of the PyTorch
// module
//
//	class ConditionalGenerator(nn.Module):
//	    def __init__(self): self.embed = nn.Embedding(classes, dim); self.net = <Net>
//	    def forward(self, z, y): return self.net(torch.cat([z, self.embed(y)], 1))
//
// ("embed.weight", "net.0.weight", …).
type ConditionalGenerator struct {
	Embed *nn.Embedding
	Net   nn.Module
}

// NewConditionalGenerator returns the conditional generator of classes
// classes over net, whose input is the noise followed by an embedding of
// embedDim values, initialised from N(0, 1) as PyTorch's nn.Embedding.
func NewConditionalGenerator(classes, embedDim int, net nn.Module, rng *tensor.RNG) *ConditionalGenerator {
	return &ConditionalGenerator{Embed: nn.NewEmbedding(classes, embedDim, rng), Net: net}
}

// Forward implements nn.Module; a conditional generator needs its labels,
// so Forward panics: use ForwardClasses.
func (g *ConditionalGenerator) Forward(*autograd.Tape, *autograd.Var) *autograd.Var {
	panic("models: ConditionalGenerator.Forward without labels: use ForwardClasses")
}

// ForwardClasses implements gan.Conditional.
func (g *ConditionalGenerator) ForwardClasses(tp *autograd.Tape, z, y *autograd.Var) *autograd.Var {
	return g.Net.Forward(tp, tp.Concat(1, z, g.Embed.Forward(tp, y)))
}

// Classes implements gan.Conditional.
func (g *ConditionalGenerator) Classes() int { return g.Embed.Num }

// Parameters implements nn.Module.
func (g *ConditionalGenerator) Parameters() []nn.Parameter {
	return concatParameters([]string{"embed", "net"}, g.Embed, g.Net)
}

// Buffers implements nn.BufferHolder.
func (g *ConditionalGenerator) Buffers() []nn.Buffer { return concatBuffers([]string{"net"}, g.Net) }

// Children implements nn.Container: embed and net.
func (g *ConditionalGenerator) Children() []nn.Child {
	return []nn.Child{{Name: "embed", Module: g.Embed}, {Name: "net", Module: g.Net}}
}

// SetChild implements nn.Container. It panics if i is 0 and m is not an
// *nn.Embedding, or if i is not 0 or 1.
func (g *ConditionalGenerator) SetChild(i int, m nn.Module) {
	switch i {
	case 0:
		g.Embed = embedding("ConditionalGenerator", m)
	case 1:
		g.Net = m
	default:
		panic(fmt.Sprintf("models: ConditionalGenerator.SetChild(%d): it has 2 children", i))
	}
}

// ProjectionDiscriminator is the projection discriminator of Miyato and
// Koyama (cGANs with projection discriminator, 2018): features φ(x) = Body(x),
// an unconditional score ψ(φ(x)) = Head(φ(x)), and the inner product of the
// class embedding with the flattened features,
//
//	D(x, y) = ψ(φ(x)) + ⟨Embed(y), φ(x)⟩,
//
// one logit (or score) per sample, [N, 1]. Its state dict is that of the
// PyTorch module with submodules body, head and embed ("body.0.weight",
// "head.weight", "embed.weight"), whose forward is
// head(h) + (embed(y) * h.flatten(1)).sum(1, keepdim=True) with h = body(x).
type ProjectionDiscriminator struct {
	Body, Head nn.Module
	Embed      *nn.Embedding
}

// NewProjectionDiscriminator returns the projection discriminator of
// classes classes made of an unconditional discriminator d: its last
// headLayers layers are the head ψ (a Sequential if more than one), the
// others the body φ, whose output has features values per sample. The
// embedding is initialised from U(−1/√features, 1/√features), as a linear
// layer of that fan-in, so that the projection starts on the head's scale.
func NewProjectionDiscriminator(classes int, d *nn.Sequential, headLayers, features int, rng *tensor.RNG) *ProjectionDiscriminator {
	if headLayers < 1 || headLayers >= len(d.Layers) {
		panic(fmt.Sprintf("models: a projection head of %d of %d layers", headLayers, len(d.Layers)))
	}
	cut := len(d.Layers) - headLayers
	var head nn.Module = nn.NewSequential(d.Layers[cut:]...)
	if headLayers == 1 {
		head = d.Layers[cut]
	}
	e := nn.NewEmbedding(classes, features, rng)
	bound := float32(1 / math.Sqrt(float64(features)))
	rng.Uniform(e.Weight.Value, -bound, bound)
	return &ProjectionDiscriminator{Body: nn.NewSequential(d.Layers[:cut]...), Head: head, Embed: e}
}

// Forward implements nn.Module; a conditional discriminator needs its
// labels, so Forward panics: use ForwardClasses.
func (d *ProjectionDiscriminator) Forward(*autograd.Tape, *autograd.Var) *autograd.Var {
	panic("models: ProjectionDiscriminator.Forward without labels: use ForwardClasses")
}

// ForwardClasses implements gan.Conditional.
func (d *ProjectionDiscriminator) ForwardClasses(tp *autograd.Tape, x, y *autograd.Var) *autograd.Var {
	h := d.Body.Forward(tp, x)
	flat := tp.Reshape(h, h.Shape()[0], -1)
	if f := flat.Shape()[1]; f != d.Embed.Dim {
		panic(fmt.Sprintf("models: ProjectionDiscriminator: %d features, the embedding has %d", f, d.Embed.Dim))
	}
	return tp.Add(d.Head.Forward(tp, h), tp.SumRows(tp.Mul(d.Embed.Forward(tp, y), flat)))
}

// Classes implements gan.Conditional.
func (d *ProjectionDiscriminator) Classes() int { return d.Embed.Num }

// Parameters implements nn.Module.
func (d *ProjectionDiscriminator) Parameters() []nn.Parameter {
	return concatParameters([]string{"body", "head", "embed"}, d.Body, d.Head, d.Embed)
}

// Buffers implements nn.BufferHolder.
func (d *ProjectionDiscriminator) Buffers() []nn.Buffer {
	return concatBuffers([]string{"body", "head"}, d.Body, d.Head)
}

// Children implements nn.Container: body, head and embed.
func (d *ProjectionDiscriminator) Children() []nn.Child {
	return []nn.Child{{Name: "body", Module: d.Body}, {Name: "head", Module: d.Head}, {Name: "embed", Module: d.Embed}}
}

// SetChild implements nn.Container. It panics if i is 2 and m is not an
// *nn.Embedding, or if i is not 0, 1 or 2.
func (d *ProjectionDiscriminator) SetChild(i int, m nn.Module) {
	switch i {
	case 0:
		d.Body = m
	case 1:
		d.Head = m
	case 2:
		d.Embed = embedding("ProjectionDiscriminator", m)
	default:
		panic(fmt.Sprintf("models: ProjectionDiscriminator.SetChild(%d): it has 3 children", i))
	}
}

// embedding returns m as the class embedding of the module named owner,
// panicking if it is not an *nn.Embedding.
func embedding(owner string, m nn.Module) *nn.Embedding {
	e, ok := m.(*nn.Embedding)
	if !ok {
		panic(fmt.Sprintf("models: %s's embed must be an *nn.Embedding, not %T", owner, m))
	}
	return e
}

// concatParameters returns the parameters of ms, each name prefixed with
// its module's name, in order.
func concatParameters(names []string, ms ...nn.Module) []nn.Parameter {
	var ps []nn.Parameter
	for i, m := range ms {
		for _, p := range m.Parameters() {
			ps = append(ps, nn.Parameter{Name: names[i] + "." + p.Name, Var: p.Var})
		}
	}
	return ps
}

// concatBuffers returns the buffers of ms, each name prefixed with its
// module's name, in order.
func concatBuffers(names []string, ms ...nn.Module) []nn.Buffer {
	var bs []nn.Buffer
	for i, m := range ms {
		if bh, ok := m.(nn.BufferHolder); ok {
			for _, b := range bh.Buffers() {
				bs = append(bs, nn.Buffer{Name: names[i] + "." + b.Name, Value: b.Value})
			}
		}
	}
	return bs
}

// ConditionalMLPGenerator returns the recipe's MLP generator made
// conditional: a classes-dimensional class embedding concatenated to the
// noise, as in PyTorch-GAN's cgan.
func ConditionalMLPGenerator(classes, zDim int, hidden []int, out int, rng *tensor.RNG) *ConditionalGenerator {
	return NewConditionalGenerator(classes, classes, MLPGenerator(zDim+classes, hidden, out, rng), rng)
}

// ProjectionMLPDiscriminator returns the recipe's MLP discriminator as a
// projection discriminator: the body is every layer but the last Linear,
// whose input (the last hidden layer's activations) is φ(x).
func ProjectionMLPDiscriminator(classes, in int, hidden []int, rng *tensor.RNG) *ProjectionDiscriminator {
	return NewProjectionDiscriminator(classes, MLPDiscriminator(in, hidden, rng), 1, hidden[len(hidden)-1], rng)
}

// ConditionalDCGANGenerator returns DCGANGenerator (with BatchNorm) for
// 28×28 images of channels channels made conditional: a
// classes-dimensional class embedding concatenated to the noise.
func ConditionalDCGANGenerator(classes, zDim, channels int, rng *tensor.RNG) *ConditionalGenerator {
	return NewConditionalGenerator(classes, classes, DCGANGenerator(zDim+classes, channels, true, rng), rng)
}

// ProjectionDCGANDiscriminator returns DCGANDiscriminator (without
// BatchNorm) for images of channels channels as a projection
// discriminator: φ(x) is the flattened 128×7×7 feature map, the head the
// final Linear(6272, 1).
func ProjectionDCGANDiscriminator(classes, channels int, rng *tensor.RNG) *ProjectionDiscriminator {
	return NewProjectionDiscriminator(classes, DCGANDiscriminator(channels, false, rng), 1, 128*7*7, rng)
}

// ConditionalRadfordGenerator returns RadfordGenerator made conditional: a
// classes-dimensional class embedding concatenated to the noise, so the
// first transposed convolution has zDim + classes input channels.
func ConditionalRadfordGenerator(classes, size, zDim, channels, width int, rng *tensor.RNG) *ConditionalGenerator {
	return NewConditionalGenerator(classes, classes, RadfordGenerator(size, zDim+classes, channels, width, rng), rng)
}

// ProjectionRadfordDiscriminator returns RadfordDiscriminator as a
// projection discriminator: φ(x) is the last 4×4 feature map (8·width
// channels for size 64, 4·width for 32), the head the final Conv2d to one
// logit and the Flatten ("head.0.weight").
func ProjectionRadfordDiscriminator(classes, size, channels, width int, rng *tensor.RNG) *ProjectionDiscriminator {
	features := (width << (radfordBlocks(size) - 1)) * 4 * 4
	return NewProjectionDiscriminator(classes, RadfordDiscriminator(size, channels, width, rng), 2, features, rng)
}

// ExportONNXClasses implements onnx.ConditionalExporter: the embedding of
// the classes y (int64) concatenated to the noise z, then Net.
func (g *ConditionalGenerator) ExportONNXClasses(gr *onnx.Graph, name, z, y string) (string, error) {
	e, err := g.Embed.ExportONNX(gr, onnx.Join(name, "embed"), y)
	if err != nil {
		return "", err
	}
	x := gr.Node("Concat", name, []string{z, e}, onnx.IntAttr("axis", 1))
	return onnx.Export(gr, g.Net, onnx.Join(name, "net"), x)
}
