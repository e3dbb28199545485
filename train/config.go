// Package train turns a configuration into a training run: it loads the
// data, builds the networks and optimisers, runs the GAN step in a loop and
// writes the run directory (config.yaml, metrics.jsonl, sample grids and
// checkpoints) described in docs/RUNDIR.md. It also times the step for
// nash bench.
package train

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/internal/nearest"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
)

// Config is a run's fully resolved configuration, as written to config.yaml.
// Its YAML keys are also the command-line flag names, with '-' for '_'.
type Config struct {
	// Dataset is mnist, fashion-mnist, idx or folder (images),
	// stacked-mnist (three MNIST digits in the channels of an RGB image,
	// 1,000 modes), or ring8 or grid25 (2-D Gaussian mixtures).
	Dataset string `yaml:"dataset"`
	// Data is the folder holding the dataset's IDX files, or the images of
	// the folder dataset; empty for the embedded MNIST.
	Data string `yaml:"data"`
	// ImageSize, when positive, is the side of the square images trained
	// on: each image is resized (its shorter side to ImageSize) and
	// centre-cropped. 0 keeps an IDX dataset's size and means 64 for the
	// folder dataset.
	ImageSize int `yaml:"image_size,omitempty"`
	// Conditional trains a class-conditional GAN: G receives the class
	// with the noise, D (a projection discriminator) the class with the
	// image.
	Conditional bool `yaml:"conditional,omitempty"`
	// Clusters, when at least 2, trains a self-conditioned GAN (Liu et al.
	// 2020): the training images are grouped into this many clusters by
	// k-means on their pixels (data.Cluster, from the seed's "clusters"
	// stream), and the GAN is trained conditionally on them, G drawing
	// the clusters in their proportions. No labels are used: it is an
	// unconditional GAN to its user.
	Clusters int `yaml:"clusters,omitempty"`
	// Model is the network family, a name in the model registry
	// (models.Names): mlp (the reference recipe; a smaller MLP for 2-D
	// data) or dcgan (convolutional: 28×28 grey images, or Radford et
	// al.'s nets for 32×32 and 64×64, grey or RGB).
	Model string `yaml:"model"`
	// ZDim is the length of the generator's noise vector.
	ZDim int `yaml:"z_dim"`
	// Epochs is the number of passes over the training set.
	Epochs int `yaml:"epochs"`
	// Steps, when positive, stops training after that many steps.
	Steps int `yaml:"steps"`
	// Batch is the number of real (and generated) samples per step.
	Batch int `yaml:"batch"`
	// Optimizer is adam, rmsprop or sgd, for both networks.
	Optimizer string `yaml:"optimizer"`
	// LR is the learning rate of both networks; LRD, when positive, is the
	// discriminator's own (the two time-scale update rule, TTUR).
	LR  float64 `yaml:"lr"`
	LRD float64 `yaml:"lr_d"`
	// LRDecay is the fraction of the run, at its end, over which both
	// learning rates fall linearly to 0; 0 keeps them constant (and is not
	// written, so runs made before the setting existed keep their hash).
	LRDecay float64 `yaml:"lr_decay,omitempty"`
	// Beta1 and Beta2 are Adam's moment decays.
	Beta1 float64 `yaml:"beta1"`
	Beta2 float64 `yaml:"beta2"`
	// Loss is the objective: minimax, ns, ls, wgan, wgan-gp, hinge or rsgan.
	Loss string `yaml:"loss"`
	// NCritic is the number of discriminator updates per generator update.
	NCritic int `yaml:"n_critic"`
	// Clip is WGAN's weight-clipping bound (wgan only).
	Clip float64 `yaml:"clip"`
	// GP is WGAN-GP's gradient-penalty weight λ (wgan-gp only).
	GP float64 `yaml:"gp"`
	// R1 is the weight γ of the R1 penalty on real samples; 0 is off.
	R1 float64 `yaml:"r1"`
	// LabelSmoothing is one-sided label smoothing of the real target of the
	// cross-entropy objectives; 0 is off.
	LabelSmoothing float64 `yaml:"label_smoothing"`
	// SpectralNorm wraps every linear and convolutional layer of the
	// discriminator in spectral normalisation.
	SpectralNorm bool `yaml:"spectral_norm"`
	// Pack is PacGAN's packing: the discriminator judges Pack samples at
	// once, concatenated along their channels; 0 and 1 are off.
	Pack int `yaml:"pack,omitempty"`
	// EMAKimg is the half-life, in thousands of images, of the generator's
	// exponential moving average, used for sampling; 0 is off.
	EMAKimg float64 `yaml:"ema_kimg"`
	// ModeSeeking is the weight λ of MSGAN's mode-seeking term in G's loss
	// (gan.ModeSeeking); 0 is off (and is not written).
	ModeSeeking float64 `yaml:"mode_seeking,omitempty"`
	// Seed selects every random stream: initialisation, noise, data order.
	Seed uint64 `yaml:"seed"`
	// SampleEvery is the step interval of sample grids and checkpoints;
	// 0 means once per epoch.
	SampleEvery int `yaml:"sample_every"`
	// EvalEvery is the step interval of the evaluation during training of
	// image runs (MNIST and Fashion-MNIST: FID of 2,000 samples, class
	// histogram, feature diversity; others: SWD and MS-SSIM on pixels; and
	// the best checkpoint); 0 means once per epoch, −1 off.
	EvalEvery int `yaml:"eval_every,omitempty"`
	// LogEvery is the step interval of metrics.jsonl records.
	LogEvery int `yaml:"log_every"`
	// Threads bounds the goroutines doing arithmetic; 0 uses every core.
	// Results do not depend on it.
	Threads int `yaml:"threads"`
	// The settings of token sequences (datasets oracle and text), written
	// only when set. Tokens splits the text dataset's lines into char or
	// word tokens (default char); MaxLen is the length of its sequences,
	// end token included (0: the longest line's).
	Tokens string `yaml:"tokens,omitempty"`
	MaxLen int    `yaml:"max_len,omitempty"`
	// Pretrained is a checkpoint whose generator initialises a sequence
	// GAN's (an mle run's checkpoints/last.safetensors).
	Pretrained string `yaml:"pretrained,omitempty"`
	// SeqGAN's schedule: maximum-likelihood steps of G, then D steps,
	// before the adversarial phase, whose every G step is followed by
	// DSteps D steps (default 5), and the Monte-Carlo roll-outs of each
	// prefix (default 16), drawn by a copy of G that keeps RolloutDelay
	// of its own weights after each G step (default 0: G itself, as
	// SeqGAN's release samples them; see seq.SeqGANOptions).
	PretrainSteps  int     `yaml:"pretrain_steps,omitempty"`
	DPretrainSteps int     `yaml:"d_pretrain_steps,omitempty"`
	DSteps         int     `yaml:"d_steps,omitempty"`
	Rollouts       int     `yaml:"rollouts,omitempty"`
	RolloutDelay   float64 `yaml:"rollout_delay,omitempty"`
	// MaxBeta is relgan's final inverse temperature of the Gumbel-softmax
	// (default 100), reached after AnnealSteps steps (default 1,000).
	MaxBeta     float64 `yaml:"max_beta,omitempty"`
	AnnealSteps int     `yaml:"anneal_steps,omitempty"`
	// DataA and DataB are the folders of the two domains of a translation
	// run on the folder dataset, instead of data's trainA and trainB.
	DataA string `yaml:"data_a,omitempty"`
	DataB string `yaml:"data_b,omitempty"`
	// LoadSize is the side translation images are resized to before a
	// random image_size crop (the reference's load_size); 0 is
	// image_size, no crop.
	LoadSize int `yaml:"load_size,omitempty"`
	// NoFlip turns off the random horizontal flip of translation images.
	NoFlip bool `yaml:"no_flip,omitempty"`
	// NGF and NDF are the widths of CycleGAN's generators and
	// discriminators, NBlocks the generators' residual blocks and NLayersD
	// the discriminators' stride-2 layers.
	NGF      int `yaml:"ngf,omitempty"`
	NDF      int `yaml:"ndf,omitempty"`
	NBlocks  int `yaml:"n_blocks,omitempty"`
	NLayersD int `yaml:"n_layers_d,omitempty"`
	// LambdaCycle is CycleGAN's cycle-consistency weight λ (the release's
	// lambda_A), LambdaCycleB the weight of domain B's cycle and identity
	// terms when it differs (the release's lambda_B; 0: λ), and
	// LambdaIdentity the identity loss's weight relative to them (0: off).
	LambdaCycle    float64 `yaml:"lambda_cycle,omitempty"`
	LambdaCycleB   float64 `yaml:"lambda_cycle_b,omitempty"`
	LambdaIdentity float64 `yaml:"lambda_identity,omitempty"`
	// PoolSize is the number of generated images in each discriminator's
	// history (0: none).
	PoolSize int `yaml:"pool_size,omitempty"`
}

// DefaultConfig returns the reference recipe of the texts: the MLP GAN on
// MNIST, batch 64, Adam 2e-4 with β = (0.5, 0.999), non-saturating loss, 50
// epochs.
func DefaultConfig() Config {
	return Config{
		Dataset:   "mnist",
		Model:     "mlp",
		ZDim:      100,
		Epochs:    50,
		Batch:     64,
		Optimizer: "adam",
		LR:        2e-4,
		Beta1:     0.5,
		Beta2:     0.999,
		Loss:      string(gan.NonSaturating),
		NCritic:   1,
		Seed:      1,
		LogEvery:  10,
	}
}

// MaxBatch bounds the batch size of any dataset; an image dataset's own
// size bounds it further, and the memory a configuration needs is checked
// against the machine's before training starts.
const MaxBatch = 1 << 16

// MaxPack bounds PacGAN's packing: the paper packs 2 to 4 samples.
const MaxPack = 16

// Validate reports every setting that cannot be used, naming its key, in
// one line.
func (c Config) Validate() error {
	var msgs []string
	bad := func(key string, format string, args ...any) {
		msgs = append(msgs, key+": "+fmt.Sprintf(format, args...))
	}
	switch {
	case c.Dataset == "mnist", c.Dataset == data.StackedMNISTName, data.IsToy(c.Dataset), c.Dataset == "oracle", c.Dataset == "mnist-printed":
	case c.Dataset == "folder" && c.DataA != "":
	case c.Dataset == "fashion-mnist", c.Dataset == "idx", c.Dataset == "folder":
		if c.Data == "" {
			bad("data", "dataset %s needs a data folder", c.Dataset)
		}
	case c.Dataset == "text":
		if c.Data == "" {
			bad("data", "dataset text needs a text file, one sequence a line")
		}
	default:
		bad("dataset", "unknown dataset %s (want mnist, fashion-mnist, idx, folder, stacked-mnist, ring8, grid25, oracle, text or mnist-printed)", clip(c.Dataset))
	}
	msgs = append(msgs, c.sequenceProblems()...)
	msgs = append(msgs, c.validateTranslation()...)
	if c.Conditional && data.IsToy(c.Dataset) {
		bad("conditional", "the 2-D dataset %s has no classes", c.Dataset)
	}
	if c.Conditional && c.Dataset == data.StackedMNISTName {
		bad("conditional", "stacked-mnist's 1,000 digit triples are its modes, not classes to train on")
	}
	if c.Dataset == data.StackedMNISTName && c.ImageSize != 0 && c.ImageSize != 28 {
		bad("image_size", "stacked-mnist's images are 28×28, got %d", c.ImageSize)
	}
	if c.Pack < 0 || c.Pack > MaxPack {
		bad("pack", "must be between 0 and %d (0, 1: off), got %d", MaxPack, c.Pack)
	} else if c.Pack > 1 && c.Batch > 0 && c.Batch%c.Pack != 0 {
		bad("pack", "%d does not divide the batch of %d", c.Pack, c.Batch)
	}
	if c.Pack > 1 && c.Conditional {
		bad("pack", "packing judges samples of different classes together: not for a conditional GAN")
	}
	switch {
	case c.Clusters < 0 || c.Clusters == 1 || c.Clusters > data.MaxClusters:
		bad("clusters", "must be 2 to %d (0: off), got %d", data.MaxClusters, c.Clusters)
	case c.Clusters == 0:
	case c.Conditional:
		bad("clusters", "clusters the images to condition on; --conditional uses the dataset's classes: choose one")
	case c.Pack > 1:
		bad("pack", "packing judges samples of different clusters together: not with --clusters")
	case c.kind() != data.Images:
		bad("clusters", "clusters images; dataset %s has none", clip(c.Dataset))
	}
	if c.ImageSize < 0 || c.ImageSize > 1024 {
		bad("image_size", "must be between 1 and 1024 (0: the dataset's own, 64 for folder), got %d", c.ImageSize)
	}
	if c.ImageSize != 0 && data.IsToy(c.Dataset) {
		bad("image_size", "the 2-D dataset %s has no images", c.Dataset)
	}
	if f, err := models.Lookup(c.Model); err != nil {
		bad("model", "unknown model %s (want one of %s)", clip(c.Model), strings.Join(models.Names(), ", "))
	} else if kind := c.kind(); !slices.Contains(f.Data, kind) {
		bad("model", "%s trains on %v, not the %s of dataset %s", c.Model, f.Data, kind, c.Dataset)
	}
	if f, err := models.Lookup(c.Model); err == nil && f.Game != "" {
		if c.Pack > 1 {
			bad("pack", "packing belongs to the classic game, and %s plays %s", c.Model, f.Game)
		}
		if c.ModeSeeking != 0 {
			bad("mode_seeking", "the mode-seeking term belongs to the classic game, and %s plays %s", c.Model, f.Game)
		}
	}
	if c.ModeSeeking != 0 && c.Batch == 1 {
		bad("mode_seeking", "compares the two halves of a batch: needs a batch of at least 2, got 1")
	}
	loss, err := gan.ParseLoss(c.Loss)
	if err != nil {
		bad("loss", "unknown loss %s (want one of %v)", clip(c.Loss), gan.Losses)
	}
	switch c.Optimizer {
	case "adam", "rmsprop", "sgd":
	default:
		bad("optimizer", "unknown optimizer %s (want adam, rmsprop or sgd)", clip(c.Optimizer))
	}
	if c.NCritic < 1 {
		bad("n_critic", "must be at least 1, got %d", c.NCritic)
	}
	if c.Clip != 0 && loss != gan.WGAN {
		bad("clip", "weight clipping belongs to the wgan loss, not %s", c.Loss)
	}
	if c.Clip < 0 {
		bad("clip", "must be positive, got %g", c.Clip)
	}
	if c.GP != 0 && loss != gan.WGANGP {
		bad("gp", "the gradient penalty belongs to the wgan-gp loss, not %s", c.Loss)
	}
	if loss == gan.WGANGP && !(c.GP > 0) {
		bad("gp", "wgan-gp needs a positive penalty weight, got %g", c.GP)
	}
	if c.LabelSmoothing != 0 && !loss.Probabilistic() {
		bad("label_smoothing", "smooths the cross-entropy objectives' labels (minimax, ns), not %s", c.Loss)
	}
	if !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1) {
		bad("label_smoothing", "must be in [0, 1), got %g", c.LabelSmoothing)
	}
	for _, p := range []struct {
		key string
		v   float64
	}{{"lr_d", c.LRD}, {"r1", c.R1}, {"ema_kimg", c.EMAKimg}, {"mode_seeking", c.ModeSeeking}} {
		if !(p.v >= 0) {
			bad(p.key, "must not be negative, got %g", p.v)
		}
	}
	positive := []struct {
		key string
		v   int
	}{{"z_dim", c.ZDim}, {"batch", c.Batch}, {"log_every", c.LogEvery}}
	for _, p := range positive {
		if p.v <= 0 {
			bad(p.key, "must be positive, got %d", p.v)
		}
	}
	if c.ZDim > models.MaxZDim {
		bad("z_dim", "must be at most %d, got %d", models.MaxZDim, c.ZDim)
	}
	if c.Batch > MaxBatch {
		bad("batch", "must be at most %d, got %d", MaxBatch, c.Batch)
	}
	if c.EvalEvery < -1 {
		bad("eval_every", "must be −1 (off), 0 (once per epoch) or a step interval, got %d", c.EvalEvery)
	}
	nonNegative := []struct {
		key string
		v   int
	}{{"epochs", c.Epochs}, {"steps", c.Steps}, {"sample_every", c.SampleEvery}, {"threads", c.Threads}}
	for _, p := range nonNegative {
		if p.v < 0 {
			bad(p.key, "must not be negative, got %d", p.v)
		}
	}
	if c.Epochs == 0 && c.Steps == 0 {
		bad("epochs", "epochs and steps are both 0: nothing to train")
	}
	if !(c.LR > 0) {
		bad("lr", "must be positive, got %g", c.LR)
	}
	if !(c.LRDecay >= 0 && c.LRDecay <= 1) {
		bad("lr_decay", "is the fraction of the run over which the learning rates fall to 0: must be in [0, 1], got %g", c.LRDecay)
	}
	for _, b := range []struct {
		key string
		v   float64
	}{{"beta1", c.Beta1}, {"beta2", c.Beta2}} {
		if !(b.v >= 0 && b.v < 1) {
			bad(b.key, "must be in [0, 1), got %g", b.v)
		}
	}
	// One line, whatever the number of problems.
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// resolved returns c with every setting whose zero stands for another
// value given that value, for training on the data of src, so that a new
// run's config.yaml says what it used (runs resumed from checkpoints made
// before keep their zeros, which would otherwise change their
// configuration's hash, so the loop still reads a zero as its value): the discriminator's learning rate,
// the intervals of samples and evaluations (an epoch), the threads (every
// core this process may use) and the image size of square images.
func (c Config) resolved(src source) Config {
	if c.LRD == 0 {
		c.LRD = c.LR
	}
	if c.SampleEvery == 0 {
		c.SampleEvery = src.stepsPerEpoch()
	}
	if c.Threads == 0 {
		c.Threads = runtime.GOMAXPROCS(0)
	}
	if src.kind() == data.Tokens {
		c = c.resolvedSequences(src.shape().W)
	}
	if (src.kind() == data.Images || src.kind() == data.Unpaired) && c.EvalEvery == 0 {
		c.EvalEvery = src.stepsPerEpoch()
	}
	if src.kind() == data.Images {
		if shape := src.shape(); c.ImageSize == 0 && shape.H == shape.W {
			c.ImageSize = shape.H
		}
	}
	return c
}

// kind returns the kind of the samples of the configuration's dataset.
// labelled says whether the GAN trains on labels: the dataset's classes
// (conditional) or the clusters found in its images (clusters).
func (c Config) labelled() bool { return c.Conditional || c.Clusters > 0 }

func (c Config) kind() data.Kind {
	if isSequenceDataset(c.Dataset) {
		return data.Tokens
	}
	if data.IsToy(c.Dataset) {
		return data.Points
	}
	if c.translation() {
		return data.Unpaired
	}
	return data.Images
}

// ReadConfig decodes a YAML configuration from r over base: keys present
// replace base's values, unknown keys are errors that name them. It also
// returns the keys present. The input must be one YAML document whose
// values have the keys' types (an integer key refuses 2.9) and are at most
// maxValueLen bytes long; errors are one line naming name, the key and its
// line.
func ReadConfig(r io.Reader, name string, base Config) (Config, []string, error) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return base, nil, nil
		}
		return Config{}, nil, fmt.Errorf("%s: %w", name, rundir.YAMLError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return Config{}, nil, fmt.Errorf("%s: %w", name, rundir.YAMLError(err))
		}
		return Config{}, nil, fmt.Errorf("%s: line %d: a second YAML document; a configuration is one document", name, extra.Line)
	}
	var keys []string
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0].Content
		known := ConfigKeys()
		for i := 0; i+1 < len(m); i += 2 {
			if k := m[i].Value; !slices.Contains(known, k) {
				return Config{}, nil, fmt.Errorf("%s: line %d: unknown key %q%s", name, m[i].Line, k, Suggest(k, known))
			}
			if err := checkValue(m[i].Value, m[i+1]); err != nil {
				return Config{}, nil, fmt.Errorf("%s: line %d: %w", name, m[i+1].Line, err)
			}
			keys = append(keys, m[i].Value)
		}
	}
	// Decoding the node would not reject unknown keys: re-encode it and
	// decode strictly.
	b, err := yaml.Marshal(&doc)
	if err != nil {
		return Config{}, nil, fmt.Errorf("%s: %w", name, rundir.YAMLError(err))
	}
	strict := yaml.NewDecoder(bytes.NewReader(b))
	strict.KnownFields(true)
	c := base
	if err := strict.Decode(&c); err != nil {
		return Config{}, nil, fmt.Errorf("%s: %w", name, rundir.YAMLError(err))
	}
	return c, keys, nil
}

// ConfigKeys returns the YAML keys of Config: what a configuration file
// (and a sweep's grid) may set.
func ConfigKeys() []string {
	t := reflect.TypeFor[Config]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = YAMLKey(t.Field(i))
	}
	return keys
}

// Suggest returns " (did you mean K?)" for the key K of known that key is
// likely a typo of, and "" when there is none.
func Suggest(key string, known []string) string {
	if k, ok := nearest.Name(key, known); ok {
		return fmt.Sprintf(" (did you mean %s?)", k)
	}
	return ""
}

// maxValueLen bounds a configuration value's length in bytes: a path is
// at most 4096 bytes on Linux.
const maxValueLen = 4096

// checkValue refuses a value of key that is too long or not of the key's
// type: a number where an integer is due that is not one, for instance.
func checkValue(key string, v *yaml.Node) error {
	if len(v.Value) > maxValueLen {
		return fmt.Errorf("%s: a value of %d bytes, at most %d", key, len(v.Value), maxValueLen)
	}
	if v.Kind != yaml.ScalarNode {
		return nil // the strict decoding names wrong kinds
	}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if YAMLKey(t.Field(i)) != key {
			continue
		}
		switch kind := t.Field(i).Type.Kind(); {
		case (kind == reflect.Int || kind == reflect.Uint64) && v.ShortTag() != "!!int":
			return fmt.Errorf("%s: %s is not an integer", key, clip(v.Value))
		case kind == reflect.Float64 && v.ShortTag() != "!!int" && v.ShortTag() != "!!float":
			return fmt.Errorf("%s: %s is not a number", key, clip(v.Value))
		case kind == reflect.Bool && v.ShortTag() != "!!bool":
			return fmt.Errorf("%s: %s is not true or false", key, clip(v.Value))
		}
	}
	return nil
}

// clip quotes s, cut to its first 40 bytes when it is longer, for messages.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:n], len(s))
}

// LoadConfig reads a YAML configuration file over base and returns the keys
// it sets.
func LoadConfig(path string, base Config) (Config, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, nil, err
	}
	defer f.Close()
	return ReadConfig(f, path, base)
}

// lossDefaults are the settings each objective's paper uses where they
// differ from the recipe's: WGAN trains with RMSprop 5e-5, five critic
// updates per generator update and clipping at 0.01; WGAN-GP with Adam 1e-4,
// β = (0, 0.9), five critic updates and λ = 10.
var lossDefaults = map[gan.Loss]map[string]any{
	gan.WGAN:   {"optimizer": "rmsprop", "lr": 5e-5, "n_critic": 5, "clip": 0.01},
	gan.WGANGP: {"lr": 1e-4, "beta1": 0.0, "beta2": 0.9, "n_critic": 5, "gp": 10.0},
}

// Resolve returns c with its objective's defaults (lossDefaults) applied to
// every setting the user did not give; given reports whether a key was
// given (on the command line or in a config file).
func (c Config) Resolve(given func(key string) bool) Config {
	c = c.resolveTranslation(given)
	return c.applyDefaults(lossDefaults[gan.Loss(c.Loss)], given)
}

// applyDefaults returns c with defaults, by YAML key, applied to every
// setting not given.
func (c Config) applyDefaults(defaults map[string]any, given func(key string) bool) Config {
	v := reflect.ValueOf(&c).Elem()
	for i := 0; i < v.NumField(); i++ {
		key := YAMLKey(v.Type().Field(i))
		if d, ok := defaults[key]; ok && !given(key) {
			v.Field(i).Set(reflect.ValueOf(d).Convert(v.Field(i).Type()))
		}
	}
	return c
}

// YAML returns the configuration as config.yaml holds it.
func (c Config) YAML() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		panic(fmt.Sprintf("train: encoding config: %v", err))
	}
	return b.Bytes()
}
