// Package infer puts a trained generator to use on its own, and is nash's
// Go API for programs that embed one. It loads from a run's checkpoint
// (LoadRun) or from a file (Load: a checkpoint, or a generator written by
// nash export --format safetensors) only what sampling needs — the
// generator (or its moving average) and the few settings that describe it,
// not the discriminator, the optimisers or the run directory — and
// samples from it from seeds (Samples), latent vectors (Sample, SampleEach)
// and classes, draws latent walks (Interpolate) and exports it (WriteONNX,
// WriteSafetensors). A Generator is safe for concurrent use: evaluation
// mode belongs to each call, never to the shared network.
package infer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// The checkpoint metadata a generator is described by (docs/RUNDIR.md).
const (
	// MetaModel holds the models.Spec of the run's networks, as JSON.
	MetaModel = "model"
	// MetaGenerator names the network that sampling uses: the prefix of
	// its tensors without the dot (in an exported file, MetaExported names
	// the network its unprefixed tensors came from).
	MetaGenerator = "generator"
	// MetaClasses holds a conditional run's class names, by label, as a
	// JSON array.
	MetaClasses = "class_names"
	// MetaStep holds the number of training steps behind the weights.
	MetaStep = "step"
)

// Metadata written by nash before the training core, from which the
// generator of an older checkpoint is described (legacySpec).
const (
	metaConfig = "config"
	metaShape  = "sample_shape"
)

// Generator is a trained generator with what describes it.
type Generator struct {
	// Net is the network: noise [n, ZDim] (and classes) to samples.
	Net nn.Module
	// Spec describes the networks of the run: the family, the data, the
	// shape of a sample, the noise length and the number of classes.
	Spec models.Spec
	// ClassNames names a conditional generator's classes by label; nil
	// for an unconditional one.
	ClassNames []string
	// EMA says that Net holds the moving average of the generator's
	// weights.
	EMA bool
	// Step is the number of training steps behind the weights.
	Step int
	// Dataset and Data name the data the generator was trained on (the
	// run's --dataset and --data), the reference of its evaluation.
	Dataset, Data string
	// Config is the run's configuration (config.yaml), as the checkpoint
	// carries it; exports keep it as the model's description.
	Config string
	// Truncation truncates the noise Noise draws (Truncated); the zero
	// value draws plain noise.
	Truncation Truncation
	// file and path are the checkpoint a translation run's generator was
	// loaded from, whose other networks Network loads.
	file *checkpoint.File
	path string
	// name is a translation run's generator's network in the checkpoint:
	// G_A or G_B.
	name string
}

// ErrNoCheckpoint is returned (wrapped) by LoadRun for a run that has not
// written the checkpoint asked for yet.
var ErrNoCheckpoint = errors.New("no checkpoint yet")

// LoadRun loads the generator of the run in dir from its checkpoint
// checkpoints/<name>.safetensors: "last", or "best" (the lowest FID of the
// evaluation during training). A run that has not written that checkpoint
// yet gives an error wrapping ErrNoCheckpoint that says so in words.
func LoadRun(dir, name string) (*Generator, error) {
	path, err := RunCheckpoint(dir, name)
	if err != nil {
		return nil, err
	}
	return Load(path)
}

// RunCheckpoint returns the path of the checkpoint checkpoints/<name>.safetensors
// of the run in dir, or an error wrapping ErrNoCheckpoint when the run has
// not written it yet.
func RunCheckpoint(dir, name string) (string, error) {
	run, err := rundir.Open(dir)
	if err != nil {
		return "", err
	}
	path := run.CheckpointPath(name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("run %s: %w: %s has not been written (a run writes it every --sample-every steps%s)",
			dir, ErrNoCheckpoint, path, bestNote(name))
	}
	return path, nil
}

// bestNote explains when the best checkpoint is written.
func bestNote(name string) string {
	if name == "best" {
		return "; best only at an evaluation during training that improves on the earlier ones"
	}
	return ""
}

// Load loads the generator saved in the checkpoint at path, or written
// alone by WriteSafetensors (nash export --format safetensors). Errors
// name the file.
func Load(path string) (*Generator, error) {
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	return FromCheckpoint(f, path)
}

// FromCheckpoint rebuilds the generator saved in f, read from path (which
// errors name).
func FromCheckpoint(f *checkpoint.File, path string) (*Generator, error) {
	return fromCheckpoint(f, path, "")
}

// Network returns the network called network of the checkpoint g was
// loaded from, without reading the file again: G_B of the translation run
// whose G_A Load gives. Only a translation run's generator keeps its file.
func (g *Generator) Network(network string) (*Generator, error) {
	if g.file == nil {
		return nil, fmt.Errorf("infer: this generator is not a translation run's: it keeps no checkpoint to load %s from", network)
	}
	return fromCheckpoint(g.file, g.path, network)
}

// fromCheckpoint is FromCheckpoint of the network called network, or
// when network is empty of the one the metadata names.
func fromCheckpoint(f *checkpoint.File, path, network string) (*Generator, error) {
	spec, err := describe(f.Metadata)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var names []string
	if spec.Classes > 0 {
		if err := json.Unmarshal([]byte(f.Metadata[MetaClasses]), &names); err != nil || len(names) != spec.Classes {
			return nil, fmt.Errorf("%s: metadata %s is %.80q, want a JSON array of the %d class names", path, MetaClasses, f.Metadata[MetaClasses], spec.Classes)
		}
	}
	step, err := strconv.Atoi(f.Metadata[MetaStep])
	if err != nil || step < 0 {
		return nil, fmt.Errorf("%s: metadata %s is %.80q, want a step count", path, MetaStep, f.Metadata[MetaStep])
	}
	name, prefix, exported := f.Metadata[MetaGenerator], "", false
	if v, ok := f.Metadata[MetaExported]; ok {
		if v != gan.GeneratorName && v != gan.GeneratorEMAName {
			return nil, fmt.Errorf("%s: metadata %s is %.80q, want %s or %s", path, MetaExported, v, gan.GeneratorName, gan.GeneratorEMAName)
		}
		name, exported = v, true
	}
	if network != "" {
		name = network
	}
	if name == "" {
		name = gan.GeneratorName
		for _, t := range f.Names() {
			if strings.HasPrefix(t, gan.GeneratorEMAName+".") {
				name = gan.GeneratorEMAName
			}
		}
	}
	// An exported generator's tensors have no prefix.
	if !exported {
		prefix = name + "."
	}
	if err := checkTensors(f, prefix, spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	nets, err := models.Build(spec, tensor.NewRNG(0, "init"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The moving average has the generator's architecture: the family
	// builds it as the generator.
	built := name
	if name == gan.GeneratorEMAName {
		built = gan.GeneratorName
	}
	net := nets[built]
	if net == nil {
		return nil, fmt.Errorf("%s: metadata %s: model %s builds no %s network", path, MetaGenerator, spec.Family, built)
	}
	sd, err := f.StateDict(prefix)
	if err != nil {
		return nil, err
	}
	if err := nn.LoadStateDict(net, sd); err != nil {
		if exported {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("%s: %s*: %w", path, prefix, err)
	}
	var cfg struct {
		Dataset string `yaml:"dataset"`
		Data    string `yaml:"data"`
	}
	if err := yaml.Unmarshal([]byte(f.Metadata[metaConfig]), &cfg); err != nil {
		return nil, fmt.Errorf("%s: metadata %s: %w", path, metaConfig, err)
	}
	g := &Generator{Net: net, Spec: spec, ClassNames: names, EMA: name == gan.GeneratorEMAName, Step: step, Dataset: cfg.Dataset, Data: cfg.Data, Config: f.Metadata[metaConfig]}
	if spec.Data == data.Unpaired && !exported {
		g.file, g.path, g.name = f, path, name
	}
	return g, nil
}

// describe returns the spec of the checkpoint's networks: its model
// metadata, or for a checkpoint written before the training core, the one
// derived from its configuration.
func describe(meta map[string]string) (models.Spec, error) {
	v, ok := meta[MetaModel]
	if !ok {
		return legacySpec(meta)
	}
	var s models.Spec
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return models.Spec{}, fmt.Errorf("metadata %s is %.80q: %w", MetaModel, v, err)
	}
	return s, checkSpec(s, MetaModel)
}

// legacySpec derives the spec from the configuration, sample shape and
// class names that checkpoints carried before the model metadata.
func legacySpec(meta map[string]string) (models.Spec, error) {
	var cfg struct {
		Dataset     string `yaml:"dataset"`
		Model       string `yaml:"model"`
		ZDim        int    `yaml:"z_dim"`
		Conditional bool   `yaml:"conditional"`
	}
	if err := yaml.Unmarshal([]byte(meta[metaConfig]), &cfg); err != nil {
		return models.Spec{}, fmt.Errorf("metadata %s: %w", metaConfig, err)
	}
	var chw [3]int
	if err := json.Unmarshal([]byte(meta[metaShape]), &chw); err != nil {
		return models.Spec{}, fmt.Errorf("metadata %s is %.80q, want [C,H,W]", metaShape, meta[metaShape])
	}
	s := models.Spec{Family: cfg.Model, Data: data.Images, Sample: models.Shape{C: chw[0], H: chw[1], W: chw[2]}, ZDim: cfg.ZDim}
	if err := checkShape(s.Sample, metaShape); err != nil {
		return models.Spec{}, err
	}
	if data.IsToy(cfg.Dataset) {
		s.Data = data.Points
	}
	if cfg.Conditional {
		var names []string
		if err := json.Unmarshal([]byte(meta[MetaClasses]), &names); err != nil || len(names) < 2 {
			return models.Spec{}, fmt.Errorf("metadata %s is %.80q, want a JSON array of at least 2 class names", MetaClasses, meta[MetaClasses])
		}
		s.Classes = len(names)
	}
	return s, checkSpec(s, metaConfig)
}

// Bounds on a described generator, checked before anything is allocated.
const (
	maxSide    = 4096
	maxChannel = 64
)

// checkTensors rejects a spec that the generator's tensors in f (those
// whose names start with prefix) cannot hold, before its networks are
// built: every family's
// generator has a weight for each noise value and each class, and a flat
// family's a value for each output value, so a spec that asks for more than the tensors hold
// describes networks the file does not contain.
func checkTensors(f *checkpoint.File, prefix string, s models.Spec) error {
	family, err := models.Lookup(s.Family)
	if err != nil {
		return fmt.Errorf("metadata %s: %w", MetaModel, err)
	}
	held := 0
	for _, t := range f.Names() {
		if strings.HasPrefix(t, prefix) {
			_, shape, _ := f.Info(t)
			n := 1
			for _, d := range shape {
				n *= d
			}
			held += n
		}
	}
	if s.Data != data.Unpaired && held < s.ZDim || held < s.Classes || family.Flat && held < s.Sample.Len() {
		return fmt.Errorf("metadata %s: a generator of z_dim %d, %d classes and samples of %d×%d×%d does not fit the %d values of the tensors %s*",
			MetaModel, s.ZDim, s.Classes, s.Sample.C, s.Sample.H, s.Sample.W, held, prefix)
	}
	return nil
}

// checkSpec rejects a spec whose sizes no nash model has, naming the
// metadata key it came from.
func checkSpec(s models.Spec, key string) error {
	if err := checkShape(s.Sample, key); err != nil {
		return err
	}
	switch {
	case s.Data == data.Unpaired && s.ZDim != s.Sample.Len():
		return fmt.Errorf("metadata %s: a translator's input length %d is not its images' %d×%d×%d", key, s.ZDim, s.Sample.C, s.Sample.H, s.Sample.W)
	case s.Data == data.Unpaired:
	case s.ZDim < 1 || s.ZDim > models.MaxZDim:
		return fmt.Errorf("metadata %s: z_dim %d out of range [1, %d]", key, s.ZDim, models.MaxZDim)
	case s.Classes < 0 || s.Classes == 1 || s.Classes > models.MaxClasses:
		return fmt.Errorf("metadata %s: %d classes, want 0 or 2 to %d", key, s.Classes, models.MaxClasses)
	case len(s.Clusters) > 0 && len(s.Clusters) != s.Classes:
		return fmt.Errorf("metadata %s: %d cluster sizes for %d classes", key, len(s.Clusters), s.Classes)
	}
	total := 0
	for _, n := range s.Clusters {
		if n < 0 || n > models.MaxClusterTotal {
			return fmt.Errorf("metadata %s: a cluster of %d samples, want 0 to %d", key, n, models.MaxClusterTotal)
		}
		total += n
	}
	if len(s.Clusters) > 0 && (total < 1 || total > models.MaxClusterTotal) {
		return fmt.Errorf("metadata %s: clusters of %d samples in all, want 1 to %d", key, total, models.MaxClusterTotal)
	}
	return nil
}

// checkShape rejects a sample shape no nash model has, naming the metadata
// key it came from.
func checkShape(x models.Shape, key string) error {
	if x.C < 1 || x.C > maxChannel || x.H < 1 || x.H > maxSide || x.W < 1 || x.W > maxSide || x.Len() > models.MaxSampleValues {
		return fmt.Errorf("metadata %s: sample shape %d×%d×%d out of range", key, x.C, x.H, x.W)
	}
	return nil
}
