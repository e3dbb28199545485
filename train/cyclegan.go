package train

import (
	"errors"
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// translation reports whether the configuration trains a translation
// family (CycleGAN) on two domains.
func (c Config) translation() bool {
	f, err := models.Lookup(c.Model)
	return err == nil && len(f.Data) == 1 && f.Data[0] == data.Unpaired
}

// cycleDefaults are the reference release's settings that differ from the
// recipe's, applied to a cyclegan run's settings the user did not give:
// LSGAN, batch 1, 200 epochs of which the second half decays, λ = 10,
// identity 0.5, pools of 50, ngf = ndf = 64, 9 residual blocks, the 70×70
// PatchGAN.
var cycleDefaults = map[string]any{
	"loss": "ls", "batch": 1, "epochs": 200, "lr_decay": 0.5, "lambda_cycle": 10.0, "lambda_identity": 0.5,
	"pool_size": 50, "ngf": 64, "ndf": 64, "n_blocks": 9, "n_layers_d": 3,
}

// resolveTranslation applies cycleDefaults to a translation run, and on
// mnist-printed turns the flip off (a mirrored digit is another glyph).
func (c Config) resolveTranslation(given func(key string) bool) Config {
	if !c.translation() {
		return c
	}
	c = c.applyDefaults(cycleDefaults, given)
	if c.Dataset == "mnist-printed" && !given("no_flip") {
		c.NoFlip = true
	}
	return c
}

// validateTranslation returns the problems of the translation settings,
// each "key: message".
func (c Config) validateTranslation() []string {
	var msgs []string
	bad := func(key, format string, args ...any) { msgs = append(msgs, key+": "+fmt.Sprintf(format, args...)) }
	if (c.DataA == "") != (c.DataB == "") {
		bad("data_a", "a translation dataset's two folders come together: give both --data-a and --data-b")
	}
	if c.DataA != "" && c.Dataset != "folder" {
		bad("data_a", "names a folder of images: it belongs to dataset folder, not %s", clip(c.Dataset))
	}
	if c.DataA != "" && c.Data != "" {
		bad("data", "give either --data (with trainA/ and trainB/) or --data-a and --data-b, not both")
	}
	if !c.translation() {
		if c.Dataset == "mnist-printed" || c.DataA != "" {
			bad("model", "%s has two domains: it trains a translation model (cyclegan), not %s", c.Dataset, clip(c.Model))
		}
		for _, k := range []struct {
			key string
			set bool
		}{{"ngf", c.NGF != 0}, {"ndf", c.NDF != 0}, {"n_blocks", c.NBlocks != 0}, {"n_layers_d", c.NLayersD != 0},
			{"lambda_cycle", c.LambdaCycle != 0}, {"lambda_cycle_b", c.LambdaCycleB != 0}, {"lambda_identity", c.LambdaIdentity != 0}, {"pool_size", c.PoolSize != 0},
			{"load_size", c.LoadSize != 0}, {"no_flip", c.NoFlip}} {
			if k.set {
				bad(k.key, "is a setting of translation models (cyclegan), not %s", clip(c.Model))
			}
		}
		return msgs
	}
	if c.Dataset != "mnist-printed" && c.Dataset != "folder" {
		bad("dataset", "cyclegan translates between two domains: mnist-printed, or folder (--data with trainA/ and trainB/, or --data-a and --data-b), not %s", clip(c.Dataset))
	}
	if c.Conditional {
		bad("conditional", "cyclegan is not conditional")
	}
	if c.LoadSize < 0 || c.LoadSize > 1024 {
		bad("load_size", "must be 0 (image_size) to 1024, got %d", c.LoadSize)
	}
	if c.LoadSize != 0 && c.ImageSize == 0 {
		bad("load_size", "crops to image_size, which is not set")
	}
	if c.LoadSize != 0 && c.LoadSize < c.ImageSize {
		bad("load_size", "%d is smaller than the image_size %d it is cropped to", c.LoadSize, c.ImageSize)
	}
	if c.Dataset == "mnist-printed" && (c.LoadSize != 0 || c.ImageSize != 0 && c.ImageSize != data.PrintedSide) {
		bad("image_size", "mnist-printed's images are %d×%d, neither resized nor cropped", data.PrintedSide, data.PrintedSide)
	}
	for _, w := range []struct {
		key string
		v   float64
	}{{"lambda_cycle", c.LambdaCycle}, {"lambda_cycle_b", c.LambdaCycleB}, {"lambda_identity", c.LambdaIdentity}} {
		if !(w.v >= 0 && w.v <= 1e6) {
			bad(w.key, "must be 0 to 1e6, got %g", w.v)
		}
	}
	if c.PoolSize < 0 || c.PoolSize > maxPoolSize {
		bad("pool_size", "must be 0 to %d, got %d", maxPoolSize, c.PoolSize)
	}
	s := models.CycleGANSpec{NGF: c.NGF, NDF: c.NDF, Blocks: c.NBlocks, DLayers: c.NLayersD}
	if err := models.CheckCycleGAN(models.Shape{C: 3, H: 1 << 30, W: 1 << 30}, s); err != nil {
		msgs = append(msgs, err.Error())
	}
	return msgs
}

// maxPoolSize bounds the history pools.
const maxPoolSize = 1000

// cycleSpec returns the sizes of a translation run's networks.
func (c Config) cycleSpec() models.CycleGANSpec {
	return models.CycleGANSpec{NGF: c.NGF, NDF: c.NDF, Blocks: c.NBlocks, DLayers: c.NLayersD}
}

// lambdaB returns the weight of domain B's cycle and identity terms:
// lambda_cycle_b, or lambda_cycle when it is 0.
func (c Config) lambdaB() float64 {
	if c.LambdaCycleB == 0 {
		return c.LambdaCycle
	}
	return c.LambdaCycleB
}

// cycleGame returns CycleGAN's game of the family's networks: Adam (or
// cfg's optimiser) at cfg's rates for both pairs, cfg's objective and
// weights, pools of pool_size from the seed's "pool" stream.
func cycleGame(cfg Config, spec models.Spec, nets models.Networks) (gan.Game, error) {
	loss, err := gan.ParseLoss(cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	switch loss {
	case gan.WGANGP, gan.WGAN:
		return nil, fmt.Errorf("loss: cyclegan's game has neither WGAN's weight clipping nor its gradient penalty (%s); use ls, ns, minimax or hinge", cfg.Loss)
	case gan.RSGAN:
		return nil, fmt.Errorf("loss: cyclegan's discriminators judge translations drawn from history pools, which pair with no real batch, so the relativistic rsgan does not fit; use ls, ns, minimax or hinge")
	}
	ga, gb, da, db := nets[models.CycleGA], nets[models.CycleGB], nets[models.CycleDA], nets[models.CycleDB]
	if ga == nil || gb == nil || da == nil || db == nil {
		return nil, fmt.Errorf("model: %s does not build G_A, G_B, D_A and D_B", spec.Family)
	}
	x := spec.Sample
	return gan.NewCycleGAN(ga, gb, da, db, func(p []*autograd.Var, discriminator bool) optim.Optimizer {
		if discriminator {
			return newOptimizerOf(cfg, p, cfg.lrD())
		}
		return newOptimizerOf(cfg, p, cfg.LR)
	},
		loss, float32(cfg.LambdaCycle), float32(cfg.lambdaB()), float32(cfg.LambdaIdentity), cfg.PoolSize, []int{x.C, x.H, x.W},
		tensor.NewRNG(cfg.Seed, gan.CyclePoolStream)), nil
}

// domainClassifiers names the embedded feature networks of the domains of
// each translation dataset that has them.
var domainClassifiers = map[string][2]string{"mnist-printed": {"mnist", "printed"}}

// TranslationDomains returns the two domains of cfg's translation dataset
// as the measurement of a translation run sees them (evaluate.Domain): the
// test images (the training images when the dataset has no test split)
// and the training images at side size, and the embedded feature network
// of each domain of a dataset that has them.
func TranslationDomains(cfg Config, size int) (a, b evaluate.Domain, err error) {
	trainSet, err := data.LoadDomains(cfg.Dataset, cfg.Data, cfg.DataA, cfg.DataB, "train", size)
	if err != nil {
		return a, b, err
	}
	testSet, err := data.LoadDomains(cfg.Dataset, cfg.Data, cfg.DataA, cfg.DataB, "test", size)
	if errors.Is(err, data.ErrNoTestSplit) {
		testSet = trainSet
	} else if err != nil {
		return a, b, err
	}
	a = evaluate.Domain{Name: "A", Test: testSet.A, Train: trainSet.A}
	b = evaluate.Domain{Name: "B", Test: testSet.B, Train: trainSet.B}
	if nets, ok := domainClassifiers[cfg.Dataset]; ok {
		a.Name, b.Name = nets[0], nets[1]
		if a.Model, err = classifier.Embedded(nets[0]); err != nil {
			return a, b, err
		}
		if b.Model, err = classifier.Embedded(nets[1]); err != nil {
			return a, b, err
		}
	}
	return a, b, nil
}
