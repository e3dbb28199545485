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

	"go.yaml.in/yaml/v3"

	"github.com/nash-gan/nash/gan"
)

// Config is a run's fully resolved configuration, as written to config.yaml.
// Its YAML keys are also the command-line flag names, with '-' for '_'.
type Config struct {
	// Dataset is mnist, fashion-mnist or idx.
	Dataset string `yaml:"dataset"`
	// Data is the folder holding the dataset's IDX files; empty for the
	// embedded MNIST.
	Data string `yaml:"data"`
	// Model is the network family; mlp is the reference recipe.
	Model string `yaml:"model"`
	// ZDim is the length of the generator's noise vector.
	ZDim int `yaml:"z_dim"`
	// Epochs is the number of passes over the training set.
	Epochs int `yaml:"epochs"`
	// Steps, when positive, stops training after that many steps.
	Steps int `yaml:"steps"`
	// Batch is the number of real (and generated) samples per step.
	Batch int `yaml:"batch"`
	// LR, Beta1 and Beta2 configure Adam for both networks.
	LR    float64 `yaml:"lr"`
	Beta1 float64 `yaml:"beta1"`
	Beta2 float64 `yaml:"beta2"`
	// Loss is the generator objective: ns (non-saturating) or minimax.
	Loss string `yaml:"loss"`
	// Seed selects every random stream: initialisation, noise, data order.
	Seed uint64 `yaml:"seed"`
	// SampleEvery is the step interval of sample grids and checkpoints;
	// 0 means once per epoch.
	SampleEvery int `yaml:"sample_every"`
	// LogEvery is the step interval of metrics.jsonl records.
	LogEvery int `yaml:"log_every"`
	// Threads bounds the goroutines doing arithmetic; 0 uses every core.
	// Results do not depend on it.
	Threads int `yaml:"threads"`
}

// DefaultConfig returns the reference recipe of the texts: the MLP GAN on
// MNIST, batch 64, Adam 2e-4 with β = (0.5, 0.999), non-saturating loss, 50
// epochs.
func DefaultConfig() Config {
	return Config{
		Dataset:  "mnist",
		Model:    "mlp",
		ZDim:     100,
		Epochs:   50,
		Batch:    64,
		LR:       2e-4,
		Beta1:    0.5,
		Beta2:    0.999,
		Loss:     string(gan.NonSaturating),
		Seed:     1,
		LogEvery: 10,
	}
}

// Validate reports the first setting that cannot be used, naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	switch c.Dataset {
	case "mnist", "fashion-mnist", "idx":
	default:
		bad("dataset", "unknown dataset %q (want mnist, fashion-mnist or idx)", c.Dataset)
	}
	if c.Dataset != "mnist" && c.Data == "" {
		bad("data", "dataset %s needs a data folder", c.Dataset)
	}
	if c.Model != "mlp" {
		bad("model", "unknown model %q (want mlp)", c.Model)
	}
	if _, err := gan.ParseLoss(c.Loss); err != nil {
		bad("loss", "%v", err)
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
	for _, b := range []struct {
		key string
		v   float64
	}{{"beta1", c.Beta1}, {"beta2", c.Beta2}} {
		if !(b.v >= 0 && b.v < 1) {
			bad(b.key, "must be in [0, 1), got %g", b.v)
		}
	}
	return errors.Join(errs...)
}

// ReadConfig decodes a YAML configuration from r over base: keys present
// replace base's values, unknown keys are errors that name them.
func ReadConfig(r io.Reader, name string, base Config) (Config, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	c := base
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// LoadConfig reads a YAML configuration file over base.
func LoadConfig(path string, base Config) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	return ReadConfig(f, path, base)
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
