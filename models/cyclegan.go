package models

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/onnx"
	"github.com/nash-gan/nash/tensor"
)

// CycleGANSpec holds the sizes of CycleGAN's networks (Zhu et al. 2017):
// the generator's width NGF and residual blocks Blocks, the PatchGAN
// discriminator's width NDF and stride-2 layers DLayers. The reference
// release's defaults are 64, 9 (6 for 128×128 images), 64 and 3.
type CycleGANSpec struct {
	NGF     int `json:"ngf"`
	Blocks  int `json:"n_blocks"`
	NDF     int `json:"ndf"`
	DLayers int `json:"n_layers_d"`
}

// The names of CycleGAN's networks, as the reference release names its
// files (latest_net_G_A.pth …): G_A translates A to B and G_B B to A; D_A
// judges domain B (real B against G_A's translations), D_B domain A.
const (
	CycleGA = "G_A"
	CycleGB = "G_B"
	CycleDA = "D_A"
	CycleDB = "D_B"
)

// MaxCycleGANWidth bounds NGF and NDF, and MaxCycleGANDepth the residual
// blocks and the discriminator's layers.
const (
	MaxCycleGANWidth = 512
	MaxCycleGANDepth = 64
)

// ResnetGenerator is the ResNet generator of CycleGAN, the reference
// release's ResnetGenerator: its layers are the child "model", so that its
// state dict has the release's names (model.1.weight,
// model.10.conv_block.1.weight, …).
type ResnetGenerator struct {
	Model *nn.Sequential
}

// NewResnetGenerator returns the generator of images [N, in, H, W] to
// [N, out, H, W] (H and W multiples of 4) with ngf feature maps and blocks
// residual blocks, equal in names and shapes to the torch.nn.Sequential
// model of the reference release's ResnetGenerator (instance
// normalisation without affine parameters, so every convolution has a
// bias; no dropout):
//
//	ReflectionPad2d(3), Conv2d(in, ngf, 7), InstanceNorm2d(ngf), ReLU(),
//	Conv2d(ngf, 2ngf, 3, 2, 1), InstanceNorm2d(2ngf), ReLU(),
//	Conv2d(2ngf, 4ngf, 3, 2, 1), InstanceNorm2d(4ngf), ReLU(),
//	blocks × ResnetBlock(4ngf),
//	ConvTranspose2d(4ngf, 2ngf, 3, 2, 1, output_padding=1), InstanceNorm2d(2ngf), ReLU(),
//	ConvTranspose2d(2ngf, ngf, 3, 2, 1, output_padding=1), InstanceNorm2d(ngf), ReLU(),
//	ReflectionPad2d(3), Conv2d(ngf, out, 7), Tanh()
//
// Weights have PyTorch's default initialisation; InitCycleGAN applies the
// release's.
func NewResnetGenerator(in, out, ngf, blocks int, rng *tensor.RNG) *ResnetGenerator {
	layers := []nn.Module{nn.ReflectionPad2d{Padding: 3}, nn.NewConv2d(in, ngf, 7, 1, 0, true, rng),
		nn.NewInstanceNorm2d(ngf, false), nn.ReLU{}}
	for i := range 2 {
		c := ngf << i
		layers = append(layers, nn.NewConv2d(c, 2*c, 3, 2, 1, true, rng), nn.NewInstanceNorm2d(2*c, false), nn.ReLU{})
	}
	for range blocks {
		layers = append(layers, nn.NewResnetBlock(4*ngf, rng))
	}
	for i := range 2 {
		c := ngf << (2 - i)
		layers = append(layers, nn.NewConvTranspose2d(c, c/2, 3, 2, 1, 1, true, rng), nn.NewInstanceNorm2d(c/2, false), nn.ReLU{})
	}
	layers = append(layers, nn.ReflectionPad2d{Padding: 3}, nn.NewConv2d(ngf, out, 7, 1, 0, true, rng), nn.Tanh{})
	return &ResnetGenerator{Model: nn.NewSequential(layers...)}
}

// Forward implements nn.Module.
func (g *ResnetGenerator) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return g.Model.Forward(tp, x)
}

// Parameters implements nn.Module: model.<i>.….
func (g *ResnetGenerator) Parameters() []nn.Parameter {
	return nn.Prefixed("model.", g.Model.Parameters())
}

// Children implements nn.Container: model.
func (g *ResnetGenerator) Children() []nn.Child { return []nn.Child{{Name: "model", Module: g.Model}} }

// SetChild implements nn.Container.
func (g *ResnetGenerator) SetChild(i int, m nn.Module) { g.Model = setModel(i, m) }

// ExportONNX implements onnx.Exporter.
func (g *ResnetGenerator) ExportONNX(gr *onnx.Graph, name, x string) (string, error) {
	return g.Model.ExportONNX(gr, onnx.Join(name, "model"), x)
}

// NLayerDiscriminator is the PatchGAN discriminator of CycleGAN and
// pix2pix, the reference release's NLayerDiscriminator: its layers are the
// child "model" (model.0.weight, …).
type NLayerDiscriminator struct {
	Model *nn.Sequential
}

// NewNLayerDiscriminator returns the PatchGAN of images [N, in, H, W] to a
// map of scores [N, 1, H', W'] with ndf feature maps in its first layer and
// layers stride-2 convolutions, equal in names and shapes to the reference
// release's torch.nn.Sequential model (for layers 3, the 70×70 PatchGAN):
//
//	Conv2d(in, ndf, 4, 2, 1), LeakyReLU(0.2),
//	for n in 1 … layers−1: Conv2d(ndf·m(n−1), ndf·m(n), 4, 2, 1), InstanceNorm2d, LeakyReLU(0.2),
//	Conv2d(ndf·m(layers−1), ndf·m(layers), 4, 1, 1), InstanceNorm2d, LeakyReLU(0.2),
//	Conv2d(ndf·m(layers), 1, 4, 1, 1)
//
// with m(n) = min(2ⁿ, 8). Weights have PyTorch's default initialisation;
// InitCycleGAN applies the release's.
func NewNLayerDiscriminator(in, ndf, layers int, rng *tensor.RNG) *NLayerDiscriminator {
	seq := []nn.Module{nn.NewConv2d(in, ndf, 4, 2, 1, true, rng), nn.LeakyReLU{Slope: 0.2}}
	mult := func(n int) int { return min(1<<min(n, 3), 8) }
	for n := 1; n < layers; n++ {
		c := ndf * mult(n)
		seq = append(seq, nn.NewConv2d(ndf*mult(n-1), c, 4, 2, 1, true, rng), nn.NewInstanceNorm2d(c, false), nn.LeakyReLU{Slope: 0.2})
	}
	c := ndf * mult(layers)
	seq = append(seq, nn.NewConv2d(ndf*mult(layers-1), c, 4, 1, 1, true, rng), nn.NewInstanceNorm2d(c, false), nn.LeakyReLU{Slope: 0.2},
		nn.NewConv2d(c, 1, 4, 1, 1, true, rng))
	return &NLayerDiscriminator{Model: nn.NewSequential(seq...)}
}

// Forward implements nn.Module.
func (d *NLayerDiscriminator) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return d.Model.Forward(tp, x)
}

// Parameters implements nn.Module: model.<i>.….
func (d *NLayerDiscriminator) Parameters() []nn.Parameter {
	return nn.Prefixed("model.", d.Model.Parameters())
}

// Children implements nn.Container: model.
func (d *NLayerDiscriminator) Children() []nn.Child {
	return []nn.Child{{Name: "model", Module: d.Model}}
}

// SetChild implements nn.Container.
func (d *NLayerDiscriminator) SetChild(i int, m nn.Module) { d.Model = setModel(i, m) }

// setModel returns m as the one child, model, of a network.
func setModel(i int, m nn.Module) *nn.Sequential {
	s, ok := m.(*nn.Sequential)
	if i != 0 || !ok {
		panic(fmt.Sprintf("models: SetChild(%d, %T): the one child, model, is a *nn.Sequential", i, m))
	}
	return s
}

// InitCycleGAN initialises m as the reference release's init_weights
// ('normal', gain 0.02): the weights of every Conv2d and ConvTranspose2d
// from N(0, 0.02²) and their biases 0; affine instance normalisation's γ
// from N(1, 0.02²) and β = 0.
func InitCycleGAN(m nn.Module, rng *tensor.RNG) {
	nn.Walk(m, func(l nn.Module) {
		switch l := l.(type) {
		case *nn.Conv2d:
			rng.Normal(l.Weight.Value, 0, 0.02)
			l.Bias.Value.Zero()
		case *nn.ConvTranspose2d:
			rng.Normal(l.Weight.Value, 0, 0.02)
			l.Bias.Value.Zero()
		case *nn.InstanceNorm2d:
			if l.Weight != nil {
				rng.Normal(l.Weight.Value, 1, 0.02)
				l.Bias.Value.Zero()
			}
		}
	})
}

func init() {
	Register(Family{
		Name:  "cyclegan",
		Help:  "CycleGAN's ResNet generators and PatchGAN discriminators, translating between two unpaired image domains",
		Data:  []data.Kind{data.Unpaired},
		Game:  "cyclegan",
		Build: buildCycleGAN,
	})
}

// CheckCycleGAN returns an error naming what of the sample shape x and
// the sizes c CycleGAN's networks cannot take.
func CheckCycleGAN(x Shape, c CycleGANSpec) error {
	switch {
	case c.NGF < 1 || c.NGF > MaxCycleGANWidth:
		return fmt.Errorf("ngf: must be 1 to %d, got %d", MaxCycleGANWidth, c.NGF)
	case c.NDF < 1 || c.NDF > MaxCycleGANWidth:
		return fmt.Errorf("ndf: must be 1 to %d, got %d", MaxCycleGANWidth, c.NDF)
	case c.Blocks < 0 || c.Blocks > MaxCycleGANDepth:
		return fmt.Errorf("n_blocks: must be 0 to %d, got %d", MaxCycleGANDepth, c.Blocks)
	case c.DLayers < 1 || c.DLayers > MaxCycleGANDepth:
		return fmt.Errorf("n_layers_d: must be 1 to %d, got %d", MaxCycleGANDepth, c.DLayers)
	case x.C != 1 && x.C != 3:
		return fmt.Errorf("images of %d channels: CycleGAN translates grey or RGB images", x.C)
	case x.H%4 != 0 || x.W%4 != 0 || x.H < 8 || x.W < 8:
		return fmt.Errorf("image_size: %d×%d images: the generator's two stride-2 stages need sides that are multiples of 4, at least 8", x.H, x.W)
	}
	// Each stride-2 layer halves a side; the last two layers take 1 each.
	h, w := x.H>>c.DLayers, x.W>>c.DLayers
	if h < 3 || w < 3 {
		return fmt.Errorf("n_layers_d: a PatchGAN of %d stride-2 layers leaves no score map of %d×%d images (use fewer layers)", c.DLayers, x.H, x.W)
	}
	return nil
}

// buildCycleGAN builds G_A, G_B, D_A and D_B for s's images with the
// reference release's initialisation.
func buildCycleGAN(s Spec, rng *tensor.RNG) (Networks, error) {
	c, x := s.CycleGAN, s.Sample
	if err := CheckCycleGAN(x, c); err != nil {
		return nil, err
	}
	nets := Networks{}
	for _, name := range []string{CycleGA, CycleGB} {
		g := NewResnetGenerator(x.C, x.C, c.NGF, c.Blocks, rng)
		InitCycleGAN(g, rng)
		nets[name] = g
	}
	for _, name := range []string{CycleDA, CycleDB} {
		d := NewNLayerDiscriminator(x.C, c.NDF, c.DLayers, rng)
		InitCycleGAN(d, rng)
		nets[name] = d
	}
	return nets, nil
}
