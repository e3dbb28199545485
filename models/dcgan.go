package models

import (
	"fmt"

	"github.com/nash-gan/nash/data"

	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// DCGANGenerator returns a small DCGAN generator for 28×28 images of
// channels channels, mapping noise [N, zDim] to images
// [N, channels, 28, 28] in [−1, 1]. With one channel and without
// batchNorm it is the network of bench/torch_gan_step.py --model dcgan,
// equal in names and shapes to the torch.nn.Sequential
//
//	Linear(zDim, 6272), LeakyReLU(0.2), Unflatten(1, (128, 7, 7)),
//	ConvTranspose2d(128, 64, 4, 2, 1), LeakyReLU(0.2),
//	ConvTranspose2d(64, 1, 4, 2, 1), Tanh()
//
// and with batchNorm the DCGAN paper's arrangement, where a layer followed
// by BatchNorm has no bias:
//
//	Linear(zDim, 6272, bias=False), Unflatten(1, (128, 7, 7)), BatchNorm2d(128), ReLU(),
//	ConvTranspose2d(128, 64, 4, 2, 1, bias=False), BatchNorm2d(64), ReLU(),
//	ConvTranspose2d(64, 1, 4, 2, 1), Tanh()
//
// Weights have PyTorch's default initialisation; nn.InitDCGAN applies the
// paper's.
func DCGANGenerator(zDim, channels int, batchNorm bool, rng *tensor.RNG) *nn.Sequential {
	grid := nn.Unflatten{Dim: 1, Shape: []int{128, 7, 7}}
	if !batchNorm {
		return nn.NewSequential(
			nn.NewLinear(zDim, 128*7*7, true, rng), nn.LeakyReLU{Slope: 0.2}, grid,
			nn.NewConvTranspose2d(128, 64, 4, 2, 1, 0, true, rng), nn.LeakyReLU{Slope: 0.2},
			nn.NewConvTranspose2d(64, channels, 4, 2, 1, 0, true, rng), nn.Tanh{})
	}
	return nn.NewSequential(
		nn.NewLinear(zDim, 128*7*7, false, rng), grid, nn.NewBatchNorm2d(128), nn.ReLU{},
		nn.NewConvTranspose2d(128, 64, 4, 2, 1, 0, false, rng), nn.NewBatchNorm2d(64), nn.ReLU{},
		nn.NewConvTranspose2d(64, channels, 4, 2, 1, 0, true, rng), nn.Tanh{})
}

// DCGANDiscriminator returns the discriminator matching DCGANGenerator,
// mapping images [N, channels, 28, 28] to one logit per sample, [N, 1]
// (channels is a sample's channels times PacGAN's packing). With one
// channel and without batchNorm it is bench/torch_gan_step.py's
//
//	Conv2d(1, 64, 4, 2, 1), LeakyReLU(0.2), Conv2d(64, 128, 4, 2, 1), LeakyReLU(0.2),
//	Flatten(), Linear(6272, 1)
//
// and with batchNorm
//
//	Conv2d(1, 64, 4, 2, 1), LeakyReLU(0.2), Conv2d(64, 128, 4, 2, 1, bias=False),
//	BatchNorm2d(128), LeakyReLU(0.2), Flatten(), Linear(6272, 1)
func DCGANDiscriminator(channels int, batchNorm bool, rng *tensor.RNG) *nn.Sequential {
	layers := []nn.Module{nn.NewConv2d(channels, 64, 4, 2, 1, true, rng), nn.LeakyReLU{Slope: 0.2},
		nn.NewConv2d(64, 128, 4, 2, 1, !batchNorm, rng)}
	if batchNorm {
		layers = append(layers, nn.NewBatchNorm2d(128))
	}
	layers = append(layers, nn.LeakyReLU{Slope: 0.2}, nn.Flatten{}, nn.NewLinear(128*7*7, 1, true, rng))
	return nn.NewSequential(layers...)
}

// radfordBlocks returns the number of stride-2 stages between 4×4 and
// size×size, 3 for 32 and 4 for 64, panicking for other sizes.
func radfordBlocks(size int) int {
	switch size {
	case 32:
		return 3
	case 64:
		return 4
	}
	panic(fmt.Sprintf("models: DCGAN of Radford et al. for %d×%d images: the size must be 32 or 64", size, size))
}

// RadfordGenerator returns the DCGAN generator of Radford et al. as in
// PyTorch's DCGAN example, mapping noise [N, zDim] to images
// [N, channels, size, size] in [−1, 1] for size 32 or 64, with width (ngf)
// feature maps in the last hidden layer. For size 64 it equals the
// torch.nn.Sequential
//
//	Unflatten(1, (zDim, 1, 1)),
//	ConvTranspose2d(zDim, 8w, 4, 1, 0, bias=False), BatchNorm2d(8w), ReLU(),
//	ConvTranspose2d(8w, 4w, 4, 2, 1, bias=False), BatchNorm2d(4w), ReLU(),
//	ConvTranspose2d(4w, 2w, 4, 2, 1, bias=False), BatchNorm2d(2w), ReLU(),
//	ConvTranspose2d(2w, w, 4, 2, 1, bias=False), BatchNorm2d(w), ReLU(),
//	ConvTranspose2d(w, channels, 4, 2, 1, bias=False), Tanh()
//
// and size 32 starts at 4w instead, one stage shorter. Weights have
// PyTorch's default initialisation; nn.InitDCGAN applies the paper's.
func RadfordGenerator(size, zDim, channels, width int, rng *tensor.RNG) *nn.Sequential {
	blocks := radfordBlocks(size)
	layers := []nn.Module{nn.Unflatten{Dim: 1, Shape: []int{zDim, 1, 1}}}
	in := zDim
	for i := blocks - 1; i >= 0; i-- {
		out := width << i
		stride, pad := 2, 1
		if i == blocks-1 {
			stride, pad = 1, 0
		}
		layers = append(layers, nn.NewConvTranspose2d(in, out, 4, stride, pad, 0, false, rng), nn.NewBatchNorm2d(out), nn.ReLU{})
		in = out
	}
	layers = append(layers, nn.NewConvTranspose2d(in, channels, 4, 2, 1, 0, false, rng), nn.Tanh{})
	return nn.NewSequential(layers...)
}

// RadfordDiscriminator returns the DCGAN discriminator of Radford et al. as
// in PyTorch's DCGAN example, mapping images [N, channels, size, size] to
// one logit per sample, [N, 1], for size 32 or 64, with width (ndf) feature
// maps in the first layer. For size 64 it equals the torch.nn.Sequential
//
//	Conv2d(channels, w, 4, 2, 1, bias=False), LeakyReLU(0.2),
//	Conv2d(w, 2w, 4, 2, 1, bias=False), BatchNorm2d(2w), LeakyReLU(0.2),
//	Conv2d(2w, 4w, 4, 2, 1, bias=False), BatchNorm2d(4w), LeakyReLU(0.2),
//	Conv2d(4w, 8w, 4, 2, 1, bias=False), BatchNorm2d(8w), LeakyReLU(0.2),
//	Conv2d(8w, 1, 4, 1, 0, bias=False), Flatten()
//
// and size 32 ends at 4w, one stage shorter. The example's final Sigmoid is
// left to the loss, which takes logits.
func RadfordDiscriminator(size, channels, width int, rng *tensor.RNG) *nn.Sequential {
	blocks := radfordBlocks(size)
	layers := []nn.Module{nn.NewConv2d(channels, width, 4, 2, 1, false, rng), nn.LeakyReLU{Slope: 0.2}}
	in := width
	for i := 1; i < blocks; i++ {
		out := width << i
		layers = append(layers, nn.NewConv2d(in, out, 4, 2, 1, false, rng), nn.NewBatchNorm2d(out), nn.LeakyReLU{Slope: 0.2})
		in = out
	}
	layers = append(layers, nn.NewConv2d(in, 1, 4, 1, 0, false, rng), nn.Flatten{})
	return nn.NewSequential(layers...)
}

// radfordWidth is the feature-map width (ngf, ndf) of the 32×32 and 64×64
// DCGANs, PyTorch's DCGAN example's 64.
const radfordWidth = 64

func init() {
	Register(Family{
		Name:  "dcgan",
		Help:  "convolutional: 28×28, 32×32 or 64×64, grey or RGB",
		Data:  []data.Kind{data.Images},
		Build: buildDCGAN,
	})
}

// buildDCGAN builds the DCGAN for s's image size, with the paper's
// initialisation: the small DCGAN for 28×28 images (BatchNorm in G
// only, since a gradient penalty is per sample, which a batch-normalised D
// would not be), Radford et al.'s for 32×32 and 64×64; their conditional
// forms when s has classes. The discriminator takes
// s.DInput(): packed samples when s packs them.
func buildDCGAN(s Spec, rng *tensor.RNG) (Networks, error) {
	x := s.Sample
	square := x.H == x.W && (x.C == 1 || x.C == 3)
	switch {
	case x.H == 28 && x.W == 28 && (x.C == 1 || x.C == 3) && s.Classes > 0:
		cg, cd := ConditionalDCGANGenerator(s.Classes, s.ZDim, x.C, rng), ProjectionDCGANDiscriminator(s.Classes, x.C, rng)
		nn.InitDCGAN(cg.Net, rng)
		nn.InitDCGAN(cd.Body, rng)
		return Networks{"generator": cg, "discriminator": cd}, nil
	case x.H == 28 && x.W == 28 && (x.C == 1 || x.C == 3) && s.Classes == 0:
		g, d := DCGANGenerator(s.ZDim, x.C, true, rng), DCGANDiscriminator(s.DInput().C, false, rng)
		nn.InitDCGAN(g, rng)
		nn.InitDCGAN(d, rng)
		return Networks{"generator": g, "discriminator": d}, nil
	case square && (x.H == 32 || x.H == 64) && s.Classes > 0:
		cg := ConditionalRadfordGenerator(s.Classes, x.H, s.ZDim, x.C, radfordWidth, rng)
		cd := ProjectionRadfordDiscriminator(s.Classes, x.H, x.C, radfordWidth, rng)
		nn.InitDCGAN(cg.Net, rng)
		nn.InitDCGAN(cd.Body, rng)
		nn.InitDCGAN(cd.Head, rng)
		return Networks{"generator": cg, "discriminator": cd}, nil
	case square && (x.H == 32 || x.H == 64):
		g, d := RadfordGenerator(x.H, s.ZDim, x.C, radfordWidth, rng), RadfordDiscriminator(x.H, s.DInput().C, radfordWidth, rng)
		nn.InitDCGAN(g, rng)
		nn.InitDCGAN(d, rng)
		return Networks{"generator": g, "discriminator": d}, nil
	}
	return nil, fmt.Errorf("built for 28×28, 32×32 or 64×64 grey or RGB images, not %d×%d with %d channels (choose --image-size 32 or 64)", x.H, x.W, x.C)
}
