package train

import (
	"cmp"
	"fmt"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/seq"
	"github.com/nash-gan/nash/tensor"
)

// The games of token sequences, by the names their families give.
func init() {
	games["mle"] = mleGame
	games["seqgan"] = seqganGame
	games["relgan"] = relganGame
}

// seqNetworks returns the sequence generator and, when withD, the
// discriminator of nets, the generator loaded from cfg's pretrained
// checkpoint when it names one.
func seqNetworks(cfg Config, spec models.Spec, nets models.Networks, withD bool) (*seq.Generator, *seq.Discriminator, error) {
	g, _ := nets[gan.GeneratorName].(*seq.Generator)
	d, _ := nets[gan.DiscriminatorName].(*seq.Discriminator)
	if g == nil || withD && d == nil {
		return nil, nil, fmt.Errorf("model: %s does not build a sequence generator and discriminator", spec.Family)
	}
	if cfg.Pretrained != "" {
		saved, err := infer.Load(cfg.Pretrained)
		if err != nil {
			return nil, nil, fmt.Errorf("pretrained: %w", err)
		}
		pg, ok := saved.Net.(*seq.Generator)
		if !ok || saved.Spec.Vocab != spec.Vocab || saved.Spec.Sample != spec.Sample || saved.Spec.Words != spec.Words {
			return nil, nil, fmt.Errorf("pretrained: %s holds a generator of %s sequences of %d tokens over %d, not of this run's %d over %d",
				cfg.Pretrained, saved.Spec.Family, saved.Spec.Sample.W, saved.Spec.Vocab, spec.Sample.W, spec.Vocab)
		}
		seq.CopyWeights(g, pg)
	}
	return g, d, nil
}

// mleGame returns maximum-likelihood training of the generator.
func mleGame(cfg Config, spec models.Spec, nets models.Networks) (gan.Game, error) {
	g, _, err := seqNetworks(cfg, spec, nets, false)
	if err != nil {
		return nil, err
	}
	return seq.NewMLE(g, newOptimizer(cfg, g, cfg.LR)), nil
}

// seqganGame returns SeqGAN's game with cfg's schedule; the roll-out
// network starts as a copy of G.
func seqganGame(cfg Config, spec models.Spec, nets models.Networks) (gan.Game, error) {
	g, d, err := seqNetworks(cfg, spec, nets, true)
	if err != nil {
		return nil, err
	}
	again, err := models.Build(spec, tensor.NewRNG(cfg.Seed, "init"))
	if err != nil {
		return nil, err
	}
	rollout := again[gan.GeneratorName].(*seq.Generator)
	seq.CopyWeights(rollout, g)
	o := seq.SeqGANOptions{PretrainSteps: cfg.PretrainSteps, DPretrainSteps: cfg.DPretrainSteps,
		DSteps: cmp.Or(cfg.DSteps, defaultDSteps), Rollouts: cmp.Or(cfg.Rollouts, defaultRollouts),
		RolloutDelay: float32(cfg.RolloutDelay), OutputL2: seq.OutputL2Lambda}
	return seq.NewSeqGAN(g, rollout, d, newOptimizer(cfg, g, cfg.LR), newOptimizer(cfg, d, cfg.lrD()),
		tensor.NewRNG(cfg.Seed, gan.NoiseStream), tensor.NewRNG(cfg.Seed, "dropout"), o), nil
}

// relganGame returns the Gumbel-softmax game under cfg's objective, the
// inverse temperature reaching max_beta after anneal_steps.
func relganGame(cfg Config, spec models.Spec, nets models.Networks) (gan.Game, error) {
	loss, err := gan.ParseLoss(cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	g, d, err := seqNetworks(cfg, spec, nets, true)
	if err != nil {
		return nil, err
	}
	return seq.NewRelGAN(g, d, newOptimizer(cfg, g, cfg.LR), newOptimizer(cfg, d, cfg.lrD()), loss,
		tensor.NewRNG(cfg.Seed, gan.NoiseStream), tensor.NewRNG(cfg.Seed, "dropout"), cmp.Or(cfg.MaxBeta, defaultMaxBeta), cmp.Or(cfg.AnnealSteps, defaultAnnealSteps)), nil
}
