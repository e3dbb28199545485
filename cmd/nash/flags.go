package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/train"
)

// Upper bounds of the sampling commands' sizes: nash sample's --n for a
// grid, made in memory, and for the formats written in batches as they
// are drawn, nash interpolate's --steps and --gif's --scale, and the
// pixels of all of a GIF's frames together.
const (
	maxSamples         = 4096
	maxStreamedSamples = 10_000_000
	maxWalkSteps       = 256
	maxGIFScale        = 16
	maxGIFPixels       = 1 << 25
)

// Upper bounds of nash bench's and nash toybench's counts.
const (
	maxBenchSteps   = 100_000
	maxBenchRepeats = 1000
	maxToySeeds     = 100
)

// configFlags binds a command-line flag to fields of train.Config: the flag
// is the field's YAML key with '-' for '_', its default is the field's
// default, and its usage comes from configUsage (keyed by YAML key).
type configFlags struct {
	values train.Config
	fs     *pflag.FlagSet
}

var configUsage = map[string]string{
	"dataset":          "dataset: mnist (embedded), fashion-mnist, idx or folder (these three need --data), stacked-mnist (3 MNIST digits in R, G, B: 1,000 modes), ring8 or grid25 (2-D mixtures), oracle or text (token sequences); translation (cyclegan): mnist-printed, or folder with trainA/ and trainB/",
	"data":             "folder with the dataset's IDX files (train-images-idx3-ubyte[.gz], …), or with the folder dataset's PNG/JPEG images (class sub-folders optional)",
	"image_size":       "side of the square training images: resized and centre-cropped (0: the dataset's own; folder: 64)",
	"conditional":      "class-conditional GAN: G gets the class with the noise, D (a projection discriminator) with the image",
	"clusters":         "self-conditioned GAN: group the images into this many clusters (k-means on pixels) and condition on them, no labels used (0: off)",
	"model":            models.Help(),
	"z_dim":            "length of the generator's noise vector",
	"epochs":           "passes over the training set",
	"steps":            "stop after this many steps (0: no limit)",
	"batch":            "batch size",
	"optimizer":        "optimizer of both networks: adam, rmsprop or sgd (wgan: rmsprop)",
	"lr":               "learning rate of both networks (wgan: 5e-5, wgan-gp: 1e-4)",
	"lr_d":             "discriminator's own learning rate, for TTUR (0: --lr)",
	"lr_decay":         "fraction of the run, at its end, over which both learning rates fall linearly to 0 (0: constant)",
	"beta1":            "Adam β₁ (wgan-gp: 0)",
	"beta2":            "Adam β₂ (wgan-gp: 0.9)",
	"loss":             "objective: minimax, ns (non-saturating), ls, wgan, wgan-gp, hinge or rsgan (relativistic)",
	"n_critic":         "discriminator updates per generator update (wgan, wgan-gp: 5)",
	"clip":             "WGAN weight clipping bound (wgan only; default 0.01)",
	"gp":               "WGAN-GP gradient-penalty weight λ (wgan-gp only; default 10)",
	"r1":               "R1 penalty weight γ on real samples (0: off)",
	"label_smoothing":  "one-sided label smoothing of the real target, e.g. 0.1 (minimax, ns)",
	"spectral_norm":    "spectral normalisation of the discriminator's layers",
	"pack":             "PacGAN packing: the discriminator judges this many samples at once, concatenated along channels; must divide --batch (0, 1: off)",
	"ema_kimg":         "half-life in thousands of images of the generator's moving average used for sampling (0: off)",
	"mode_seeking":     "weight λ of MSGAN's mode-seeking term in G's loss, against a conditional G that ignores its noise (0: off)",
	"seed":             "seed of every random stream (init, noise, data order)",
	"sample_every":     "steps between sample grids and checkpoints (0: once per epoch)",
	"eval_every":       "steps between evaluations during training of image runs (0: once per epoch, -1: off)",
	"log_every":        "steps between metrics.jsonl records",
	"threads":          "goroutines doing arithmetic (0: all cores); results do not depend on it",
	"tokens":           "text dataset: split lines into char or word tokens (default char)",
	"max_len":          "text dataset: sequence length, end token included (0: the longest line's; a longer line is refused)",
	"pretrained":       "seqgan, relgan: start G from this mle run's checkpoint (checkpoints/last.safetensors)",
	"pretrain_steps":   "seqgan: maximum-likelihood steps of G before anything else (default 0: none, as with --pretrained)",
	"d_pretrain_steps": "seqgan: discriminator steps before the adversarial phase (default 0)",
	"d_steps":          "seqgan: discriminator steps after each generator step (default 5)",
	"rollouts":         "seqgan: Monte-Carlo roll-outs of each prefix (default 16)",
	"rollout_delay":    "seqgan: share of its own weights the roll-out network keeps after each generator step (0: G itself, as SeqGAN's release)",
	"max_beta":         "relgan: final inverse temperature of the Gumbel-softmax (default 100)",
	"anneal_steps":     "relgan: steps over which the inverse temperature rises from 1 to --max-beta (default 1000)",
	"data_a":           "translation (cyclegan, dataset folder): the folder of domain A's images, instead of --data's trainA/",
	"data_b":           "translation (cyclegan, dataset folder): the folder of domain B's images, instead of --data's trainB/",
	"load_size":        "translation: side images are resized to before a random --image-size crop (0: no crop)",
	"no_flip":          "translation: no random horizontal flip (default on mnist-printed)",
	"ngf":              "cyclegan: generator width (default 64)",
	"ndf":              "cyclegan: discriminator width (default 64)",
	"n_blocks":         "cyclegan: residual blocks of the generators (default 9; the reference uses 6 at 128×128)",
	"n_layers_d":       "cyclegan: stride-2 layers of the PatchGAN discriminators (default 3, the 70×70 PatchGAN)",
	"lambda_cycle":     "cyclegan: cycle-consistency weight λ (default 10), the release's lambda_A",
	"lambda_cycle_b":   "cyclegan: weight of domain B's cycle and identity terms, the release's lambda_B (0: --lambda-cycle); lower it when B's images hold what A's cannot, such as colour",
	"lambda_identity":  "cyclegan: identity loss weight relative to λ (default 0.5; 0: off)",
	"pool_size":        "cyclegan: generated images in each discriminator's history pool (default 50; 0: none)",
}

// bindConfig binds the fields named by keys, or every field when keys is empty.
func bindConfig(fs *pflag.FlagSet, defaults train.Config, keys ...string) *configFlags {
	cf := &configFlags{values: defaults, fs: fs}
	v := reflect.ValueOf(&cf.values).Elem()
	for i := 0; i < v.NumField(); i++ {
		key := train.YAMLKey(v.Type().Field(i))
		if len(keys) > 0 && !slices.Contains(keys, key) {
			continue
		}
		name, usage := flagName(key), configUsage[key]
		switch p := v.Field(i).Addr().Interface().(type) {
		case *string:
			fs.StringVar(p, name, *p, usage)
		case *int:
			fs.IntVar(p, name, *p, usage)
		case *uint64:
			fs.Uint64Var(p, name, *p, usage)
		case *float64:
			fs.Float64Var(p, name, *p, usage)
		case *bool:
			fs.BoolVar(p, name, *p, usage)
		default:
			panic(fmt.Sprintf("nash: config field %s has no flag type", key))
		}
	}
	return cf
}

// over returns base with every flag that was set on the command line applied.
func (cf *configFlags) over(base train.Config) train.Config {
	dst := reflect.ValueOf(&base).Elem()
	src := reflect.ValueOf(cf.values)
	changed := cf.changed()
	for i := 0; i < dst.NumField(); i++ {
		if slices.Contains(changed, train.YAMLKey(dst.Type().Field(i))) {
			dst.Field(i).Set(src.Field(i))
		}
	}
	return base
}

func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// changed returns the YAML keys of the flags set on the command line.
func (cf *configFlags) changed() []string {
	var keys []string
	t := reflect.TypeOf(cf.values)
	for i := 0; i < t.NumField(); i++ {
		key := train.YAMLKey(t.Field(i))
		if f := cf.fs.Lookup(flagName(key)); f != nil && f.Changed {
			keys = append(keys, key)
		}
	}
	return keys
}
