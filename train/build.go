package train

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// Spec returns the spec of cfg's networks for data of the given kind and
// sample shape, with classes classes when cfg is conditional or clusters
// the images (which needs at least 2; an unconditional configuration
// ignores classes). A self-conditioned spec's cluster sizes are the
// caller's to set.
func Spec(cfg Config, kind data.Kind, sample models.Shape, classes int) (models.Spec, error) {
	if sample.Len() > models.MaxSampleValues {
		return models.Spec{}, fmt.Errorf("image_size: samples of %d×%d×%d are %d values, at most %d can be trained on", sample.C, sample.H, sample.W, sample.Len(), models.MaxSampleValues)
	}
	s := models.Spec{Family: cfg.Model, Data: kind, Sample: sample, ZDim: cfg.ZDim}
	if cfg.Pack > 1 {
		s.Pack = cfg.Pack
	}
	if kind == data.Unpaired {
		// A translator's input is an image of the other domain.
		s.ZDim, s.CycleGAN = sample.Len(), cfg.cycleSpec()
	}
	if cfg.labelled() {
		if classes < 2 {
			return models.Spec{}, fmt.Errorf("conditional: a conditional GAN needs at least 2 classes, the dataset has %d", classes)
		}
		if classes > models.MaxClasses {
			return models.Spec{}, fmt.Errorf("conditional: a conditional GAN has at most %d classes, the dataset has %d", models.MaxClasses, classes)
		}
		s.Classes = classes
	}
	return s, nil
}

// Build returns the game that cfg describes for networks of spec, with
// freshly initialised weights drawn from the seed's "init" stream and the
// game's random streams from the seed.
func Build(cfg Config, spec models.Spec) (gan.Game, error) {
	f, err := models.Lookup(spec.Family)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	build, ok := games[f.Game]
	if !ok {
		return nil, fmt.Errorf("model: %s plays the game %q, which nash does not know", f.Name, f.Game)
	}
	nets, err := models.Build(spec, tensor.NewRNG(cfg.Seed, "init"))
	if err != nil {
		return nil, err
	}
	return build(cfg, spec, nets)
}

// games builds each game, by the name a model family gives (Family.Game),
// from the configuration and the family's networks.
var games = map[string]func(cfg Config, spec models.Spec, nets models.Networks) (gan.Game, error){
	"":         classicGame,
	"cyclegan": cycleGame,
}

// classicGame returns the classic game of the generator against the
// discriminator: cfg's objective, tricks and optimisers, and the generator's
// moving average when cfg keeps one (starting from G's initial weights).
func classicGame(cfg Config, spec models.Spec, nets models.Networks) (gan.Game, error) {
	loss, err := gan.ParseLoss(cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	g, d := nets[gan.GeneratorName], nets[gan.DiscriminatorName]
	if g == nil || d == nil {
		return nil, fmt.Errorf("model: %s does not build a generator and a discriminator", spec.Family)
	}
	if cfg.SpectralNorm {
		nn.SpectralNormAll(d, tensor.NewRNG(cfg.Seed, "spectral"))
	}
	out := gan.New(g, d, newOptimizer(cfg, g, cfg.LR), newOptimizer(cfg, d, cfg.lrD()), loss, cfg.ZDim,
		tensor.NewRNG(cfg.Seed, gan.NoiseStream))
	out.Options = gan.Options{
		NCritic:        cfg.NCritic,
		Clip:           float32(cfg.Clip),
		GP:             float32(cfg.GP),
		R1:             float32(cfg.R1),
		LabelSmoothing: float32(cfg.LabelSmoothing),
		Pack:           spec.Pack,
		ClassSizes:     spec.Clusters,
		ModeSeeking:    float32(cfg.ModeSeeking),
	}
	if cfg.EMAKimg > 0 {
		again, err := models.Build(spec, tensor.NewRNG(cfg.Seed, "init"))
		if err != nil {
			return nil, err
		}
		out.GEMA = again[gan.GeneratorName]
		out.Options.EMABeta = gan.EMABeta(cfg.Batch, cfg.EMAKimg)
	}
	return out, nil
}

func newOptimizer(cfg Config, m nn.Module, lr float64) optim.Optimizer {
	return newOptimizerOf(cfg, nn.Vars(m.Parameters()), lr)
}

// newOptimizerOf returns cfg's optimiser of params at the learning rate lr.
func newOptimizerOf(cfg Config, params []*autograd.Var, lr float64) optim.Optimizer {
	switch cfg.Optimizer {
	case "rmsprop":
		return optim.NewRMSprop(params, float32(lr))
	case "sgd":
		return optim.NewSGD(params, float32(lr), 0)
	}
	return optim.NewAdam(params, float32(lr), float32(cfg.Beta1), float32(cfg.Beta2))
}
