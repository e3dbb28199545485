package train

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/rundir"
)

// The checkpoint layout (docs/RUNDIR.md). Network tensors carry PyTorch
// state-dict names under a prefix, so that stripping "generator." gives a
// state dict that torch.nn.Sequential of the same layers loads strictly.
const (
	checkpointFormat = "nash-gan-checkpoint/1"
	prefixG          = "generator."
	prefixD          = "discriminator."
	prefixGEMA       = "generator_ema."
	prefixOptG       = "optim_g."
	prefixOptD       = "optim_d."
)

// Metadata keys.
const (
	metaFormat     = "format"
	metaConfig     = "config"
	metaStep       = "step"
	metaEpoch      = "epoch"
	metaOptGSteps  = "optim_g.steps"
	metaOptDSteps  = "optim_d.steps"
	metaNoiseRNG   = "rng.noise"
	metaLoader     = "loader"
	metaShape      = "sample_shape"
	metaConfigHash = "config_hash"
	metaProgress   = "gan.progress"
	// metaClasses holds a conditional run's class names, by label, as a
	// JSON array; unconditional runs do not write it.
	metaClasses = "class_names"
)

// saveCheckpoint writes everything needed to continue the session: the
// networks, the optimiser moments and step counts, the noise stream, the
// data loader's position, the step and the configuration.
func (s *session) saveCheckpoint(path string) error {
	var f checkpoint.File
	setNetwork(&f, prefixG, s.gan.G)
	setNetwork(&f, prefixD, s.gan.D)
	if s.gan.GEMA != nil {
		setNetwork(&f, prefixGEMA, s.gan.GEMA)
	}
	og, ogSteps := s.gan.OptG.State()
	od, odSteps := s.gan.OptD.State()
	f.SetStateDict(prefixOptG, og)
	f.SetStateDict(prefixOptD, od)
	noise, err := s.noise.MarshalBinary()
	if err != nil {
		return fmt.Errorf("checkpoint %s: noise RNG: %w", path, err)
	}
	progress, err := json.Marshal(s.gan.Progress())
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	loader, err := s.src.state()
	if err != nil {
		return fmt.Errorf("checkpoint %s: data source: %w", path, err)
	}
	f.Metadata = map[string]string{
		metaFormat:     checkpointFormat,
		metaConfig:     string(s.cfg.YAML()),
		metaConfigHash: configHash(s.cfg),
		metaProgress:   string(progress),
		metaStep:       strconv.Itoa(s.step),
		metaEpoch:      strconv.Itoa(s.epoch),
		metaOptGSteps:  strconv.Itoa(ogSteps),
		metaOptDSteps:  strconv.Itoa(odSteps),
		metaNoiseRNG:   base64.StdEncoding.EncodeToString(noise),
		metaLoader:     string(loader),
		metaShape:      fmt.Sprintf("[%d,%d,%d]", s.shape.C, s.shape.H, s.shape.W),
	}
	if s.cfg.Conditional {
		names, err := json.Marshal(s.classNames)
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
		f.Metadata[metaClasses] = string(names)
	}
	ev, err := s.evalMetadata()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if ev != "" {
		f.Metadata[metaEval] = ev
	}
	return checkpoint.Save(path, &f)
}

// setNetwork adds m's state dict under prefix. BatchNorm's
// num_batches_tracked is stored as an int64 scalar, as PyTorch keeps it.
func setNetwork(f *checkpoint.File, prefix string, m nn.Module) {
	for name, t := range nn.StateDict(m) {
		if strings.HasSuffix(name, ".num_batches_tracked") {
			f.SetInt64(prefix+name, []int64{int64(t.Item())})
			continue
		}
		f.Set(prefix+name, t)
	}
}

// Trained is a GAN restored from a run's checkpoint.
type Trained struct {
	GAN    *gan.GAN
	Config Config
	// Shape is the shape of one sample.
	Shape Shape
	// Step is the number of training steps behind the weights.
	Step int
	// ClassNames names a conditional GAN's classes by label; nil for an
	// unconditional one.
	ClassNames []string
	// WalkClass is the class of a conditional GAN's latent walks
	// (Interpolate), 0 unless set.
	WalkClass int
}

// LoadRun rebuilds the GAN of the run in dir from its last checkpoint: the
// configuration stored in the checkpoint and the generator's and
// discriminator's weights. Errors name the checkpoint file.
func LoadRun(dir string) (*Trained, error) {
	run, err := rundir.Open(dir)
	if err != nil {
		return nil, err
	}
	path := run.CheckpointPath("last")
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	return restoreTrained(f, path)
}

// restoreTrained rebuilds the networks saved in f, read from path.
func restoreTrained(f *checkpoint.File, path string) (*Trained, error) {
	if got := f.Metadata[metaFormat]; got != checkpointFormat {
		return nil, fmt.Errorf("%s: metadata %q is %q, want %q", path, metaFormat, got, checkpointFormat)
	}
	cfg, _, err := ReadConfig(bytes.NewReader([]byte(f.Metadata[metaConfig])), path+": metadata "+metaConfig, DefaultConfig())
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: metadata %s: %w", path, metaConfig, err)
	}
	var chw [3]int
	if err := json.Unmarshal([]byte(f.Metadata[metaShape]), &chw); err != nil || chw[0] <= 0 || chw[1] <= 0 || chw[2] <= 0 {
		return nil, fmt.Errorf("%s: metadata %s is %q, want [C,H,W]", path, metaShape, f.Metadata[metaShape])
	}
	shape := Shape{C: chw[0], H: chw[1], W: chw[2]}
	var classes []string
	if cfg.Conditional {
		if err := json.Unmarshal([]byte(f.Metadata[metaClasses]), &classes); err != nil || len(classes) < 2 {
			return nil, fmt.Errorf("%s: metadata %s is %q, want a JSON array of at least 2 class names", path, metaClasses, f.Metadata[metaClasses])
		}
	}
	g, err := BuildConditional(cfg, shape, len(classes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	nets := []struct {
		prefix string
		m      nn.Module
	}{{prefixG, g.G}, {prefixD, g.D}}
	if g.GEMA != nil {
		nets = append(nets, struct {
			prefix string
			m      nn.Module
		}{prefixGEMA, g.GEMA})
	}
	for _, net := range nets {
		sd, err := f.StateDict(net.prefix)
		if err != nil {
			return nil, err
		}
		if err := nn.LoadStateDict(net.m, sd); err != nil {
			return nil, fmt.Errorf("%s: %s*: %w", path, net.prefix, err)
		}
	}
	step, err := strconv.Atoi(f.Metadata[metaStep])
	if err != nil {
		return nil, fmt.Errorf("%s: metadata %s is %q, want a step count", path, metaStep, f.Metadata[metaStep])
	}
	return &Trained{GAN: g, Config: cfg, Shape: shape, Step: step, ClassNames: classes}, nil
}
