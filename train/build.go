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
// with freshly initialised weights drawn from the seed's "init" stream.
func Build(cfg Config, sample Shape) (*gan.GAN, error) {
	loss, err := gan.ParseLoss(cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	rng := tensor.NewRNG(cfg.Seed, "init")
	var g, d nn.Module
	switch cfg.Model {
	case "mlp":
		g = models.MLPGenerator(cfg.ZDim, []int{256, 512}, sample.Len(), rng)
		d = models.MLPDiscriminator(sample.Len(), []int{512, 256}, rng)
	default:
		return nil, fmt.Errorf("model: unknown model %q", cfg.Model)
	}
	newAdam := func(m nn.Module) optim.Optimizer {
		return optim.NewAdam(nn.Vars(m.Parameters()), float32(cfg.LR), float32(cfg.Beta1), float32(cfg.Beta2))
	}
	return gan.New(g, d, newAdam(g), newAdam(d), loss, cfg.ZDim), nil
}
