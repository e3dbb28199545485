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
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
)

// The checkpoint layout (docs/RUNDIR.md). Each of the game's networks is
// stored under its name and a dot, with PyTorch state-dict names, so that
// stripping "generator." gives a state dict that torch.nn.Sequential of the
// same layers loads strictly; each optimiser likewise, with its step count
// in the metadata "<name>.steps"; each random stream in "rng.<name>".
const checkpointFormat = "nash-gan-checkpoint/1"

// Metadata keys.
const (
	metaFormat     = "format"
	metaConfig     = "config"
	metaStep       = infer.MetaStep
	metaEpoch      = "epoch"
	metaLoader     = "loader"
	metaShape      = "sample_shape"
	metaConfigHash = "config_hash"
	// metaGameState holds the game's own state (Game.State).
	metaGameState = "gan.progress"
	// metaClasses holds a conditional run's class names, by label, as a
	// JSON array; unconditional runs do not write it.
	metaClasses = infer.MetaClasses
)

// stepsKey is the metadata key of an optimiser's step count, and rngKey
// that of a random stream's state.
func stepsKey(optimizer string) string { return optimizer + ".steps" }
func rngKey(stream string) string      { return "rng." + stream }

// saveCheckpoint writes everything needed to continue the session: the
// game's networks, optimiser state, random streams and own state, the data
// loader's position, the step, the configuration, and what describes the
// generator to inference (infer.MetaModel, infer.MetaGenerator).
func (s *session) saveCheckpoint(path string) error {
	s.settle()
	var f checkpoint.File
	f.Metadata = map[string]string{
		metaFormat:     checkpointFormat,
		metaConfig:     string(s.cfg.YAML()),
		metaConfigHash: configHash(s.cfg),
		metaStep:       strconv.Itoa(s.step),
		metaEpoch:      strconv.Itoa(s.epoch),
		metaShape:      fmt.Sprintf("[%d,%d,%d]", s.spec.Sample.C, s.spec.Sample.H, s.spec.Sample.W),
	}
	for _, n := range s.game.Networks() {
		setNetwork(&f, n.Name+".", n.Module)
		if n.Module == s.game.Generator() {
			f.Metadata[infer.MetaGenerator] = n.Name
		}
	}
	for _, o := range s.game.Optimizers() {
		st, steps := o.State()
		f.SetStateDict(o.Name+".", st)
		f.Metadata[stepsKey(o.Name)] = strconv.Itoa(steps)
	}
	for _, r := range s.game.Streams() {
		b, err := r.MarshalBinary()
		if err != nil {
			return fmt.Errorf("checkpoint %s: %s RNG: %w", path, r.Name, err)
		}
		f.Metadata[rngKey(r.Name)] = base64.StdEncoding.EncodeToString(b)
	}
	state, err := s.game.State()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	f.Metadata[metaGameState] = string(state)
	s.saveRanks(f.Metadata)
	model, err := json.Marshal(s.spec)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	f.Metadata[infer.MetaModel] = string(model)
	loader, err := s.src.state()
	if err != nil {
		return fmt.Errorf("checkpoint %s: data source: %w", path, err)
	}
	f.Metadata[metaLoader] = string(loader)
	if s.cfg.labelled() {
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

// readConfig returns the configuration saved in f, read from path.
func readConfig(f *checkpoint.File, path string) (Config, error) {
	if got := f.Metadata[metaFormat]; got != checkpointFormat {
		return Config{}, fmt.Errorf("%s: metadata %q is %.80q, want %q", path, metaFormat, got, checkpointFormat)
	}
	cfg, _, err := ReadConfig(bytes.NewReader([]byte(f.Metadata[metaConfig])), path+": metadata "+metaConfig, DefaultConfig())
	if err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: metadata %s: %w", path, metaConfig, err)
	}
	return cfg, nil
}

// Checkpoint is a run's whole game restored from a checkpoint: every
// network with its weights, for tools that need more than the generator
// (infer loads the generator alone).
type Checkpoint struct {
	Game   gan.Game
	Config Config
	Spec   models.Spec
	Step   int
}

// LoadCheckpoint restores the game of the run in dir from its checkpoint
// checkpoints/<name>.safetensors ("last" or "best"): the configuration
// saved in it and every network's weights. The data is not loaded.
func LoadCheckpoint(dir, name string) (*Checkpoint, error) {
	path, err := infer.RunCheckpoint(dir, name)
	if err != nil {
		return nil, err
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	g, err := infer.FromCheckpoint(f, path)
	if err != nil {
		return nil, err
	}
	cfg, err := readConfig(f, path)
	if err != nil {
		return nil, err
	}
	game, err := Build(cfg, g.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := loadNetworks(game, f, path); err != nil {
		return nil, err
	}
	return &Checkpoint{Game: game, Config: cfg, Spec: g.Spec, Step: g.Step}, nil
}

// loadNetworks copies every network of the game from f, strictly.
func loadNetworks(game gan.Game, f *checkpoint.File, path string) error {
	for _, n := range game.Networks() {
		sd, err := f.StateDict(n.Name + ".")
		if err != nil {
			return err
		}
		if err := nn.LoadStateDict(n.Module, sd); err != nil {
			return fmt.Errorf("%s: %s.*: %w", path, n.Name, err)
		}
	}
	return nil
}
