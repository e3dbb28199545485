package train

import (
	"fmt"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// Shape is the shape of one sample: channels, height, width.
type Shape struct{ C, H, W int }

// Len returns the number of values in one sample.
func (s Shape) Len() int { return s.C * s.H * s.W }

// Build returns the GAN that cfg describes for samples of the given shape,
// with freshly initialised weights drawn from the seed's "init" stream. A
// conditional configuration needs the number of classes: BuildConditional.
func Build(cfg Config, sample Shape) (*gan.GAN, error) {
	if cfg.Conditional {
		return nil, fmt.Errorf("conditional: a conditional GAN needs its number of classes")
	}
	return BuildConditional(cfg, sample, 0)
}

// BuildConditional is Build for a configuration that may be conditional:
// classes is the number of classes, which cfg.Conditional needs (at least
// 2) and an unconditional configuration ignores.
func BuildConditional(cfg Config, sample Shape, classes int) (*gan.GAN, error) {
	loss, err := gan.ParseLoss(cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	if !cfg.Conditional {
		classes = 0
	} else if classes < 2 {
		return nil, fmt.Errorf("conditional: a conditional GAN needs at least 2 classes, the dataset has %d", classes)
	}
	g, d, err := networks(cfg, sample, classes, tensor.NewRNG(cfg.Seed, "init"))
	if err != nil {
		return nil, err
	}
	if cfg.SpectralNorm {
		nn.SpectralNormAll(d, tensor.NewRNG(cfg.Seed, "spectral"))
	}
	out := gan.New(g, d, newOptimizer(cfg, g, cfg.LR), newOptimizer(cfg, d, cfg.lrD()), loss, cfg.ZDim)
	out.Options = gan.Options{
		NCritic:        cfg.NCritic,
		Clip:           float32(cfg.Clip),
		GP:             float32(cfg.GP),
		R1:             float32(cfg.R1),
		LabelSmoothing: float32(cfg.LabelSmoothing),
	}
	if cfg.EMAKimg > 0 {
		// The average starts from G's initial weights.
		ema, _, err := networks(cfg, sample, classes, tensor.NewRNG(cfg.Seed, "init"))
		if err != nil {
			return nil, err
		}
		out.GEMA = ema
		out.Options.EMABeta = gan.EMABeta(cfg.Batch, cfg.EMAKimg)
	}
	return out, nil
}

// toyHidden are the hidden layer sizes of both networks for 2-D data.
var toyHidden = []int{128, 128, 128}

// networks builds the generator and discriminator of cfg's model,
// conditional on classes classes when classes is positive. MLPs take
// samples as flat vectors, convolutional networks as [N, C, H, W].
func networks(cfg Config, sample Shape, classes int, rng *tensor.RNG) (g, d nn.Module, err error) {
	square := sample.H == sample.W && (sample.C == 1 || sample.C == 3)
	switch {
	case cfg.Model == "mlp" && isToy(cfg.Dataset):
		return models.ToyGenerator(cfg.ZDim, toyHidden, rng), models.ToyDiscriminator(toyHidden, rng), nil
	case cfg.Model == "mlp" && classes > 0:
		return models.ConditionalMLPGenerator(classes, cfg.ZDim, []int{256, 512}, sample.Len(), rng),
			models.ProjectionMLPDiscriminator(classes, sample.Len(), []int{512, 256}, rng), nil
	case cfg.Model == "mlp":
		return models.MLPGenerator(cfg.ZDim, []int{256, 512}, sample.Len(), rng),
			models.MLPDiscriminator(sample.Len(), []int{512, 256}, rng), nil
	case cfg.Model == "dcgan" && sample == (Shape{C: 1, H: 28, W: 28}) && classes > 0:
		cg, cd := models.ConditionalDCGANGenerator(classes, cfg.ZDim, rng), models.ProjectionDCGANDiscriminator(classes, rng)
		nn.InitDCGAN(cg.Net, rng)
		nn.InitDCGAN(cd.Body, rng)
		return cg, cd, nil
	case cfg.Model == "dcgan" && sample == (Shape{C: 1, H: 28, W: 28}):
		// BatchNorm in G only: a gradient penalty is per sample, which a
		// batch-normalised D would not be.
		g, d := models.DCGANGenerator(cfg.ZDim, true, rng), models.DCGANDiscriminator(false, rng)
		nn.InitDCGAN(g, rng)
		nn.InitDCGAN(d, rng)
		return g, d, nil
	case cfg.Model == "dcgan" && square && (sample.H == 32 || sample.H == 64) && classes > 0:
		cg := models.ConditionalRadfordGenerator(classes, sample.H, cfg.ZDim, sample.C, radfordWidth, rng)
		cd := models.ProjectionRadfordDiscriminator(classes, sample.H, sample.C, radfordWidth, rng)
		nn.InitDCGAN(cg.Net, rng)
		nn.InitDCGAN(cd.Body, rng)
		nn.InitDCGAN(cd.Head, rng)
		return cg, cd, nil
	case cfg.Model == "dcgan" && square && (sample.H == 32 || sample.H == 64):
		g, d := models.RadfordGenerator(sample.H, cfg.ZDim, sample.C, radfordWidth, rng), models.RadfordDiscriminator(sample.H, sample.C, radfordWidth, rng)
		nn.InitDCGAN(g, rng)
		nn.InitDCGAN(d, rng)
		return g, d, nil
	case cfg.Model == "dcgan":
		return nil, nil, fmt.Errorf("model: dcgan is built for 28×28 grey images and 32×32 or 64×64 grey or RGB images, not %d×%d with %d channels (choose --image-size 32 or 64)", sample.H, sample.W, sample.C)
	}
	return nil, nil, fmt.Errorf("model: unknown model %q", cfg.Model)
}

// radfordWidth is the feature-map width (ngf, ndf) of the 32×32 and 64×64
// DCGANs, PyTorch's DCGAN example's 64.
const radfordWidth = 64

func newOptimizer(cfg Config, m nn.Module, lr float64) optim.Optimizer {
	params := nn.Vars(m.Parameters())
	switch cfg.Optimizer {
	case "rmsprop":
		return optim.NewRMSprop(params, float32(lr))
	case "sgd":
		return optim.NewSGD(params, float32(lr), 0)
	}
	return optim.NewAdam(params, float32(lr), float32(cfg.Beta1), float32(cfg.Beta2))
}
