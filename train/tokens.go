package train

import (
	"cmp"
	"encoding/json"
	"fmt"
	"image"
	"slices"
	"strings"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/seq"
	"github.com/nash-gan/nash/tensor"
)

// isSequenceDataset reports whether the dataset is of token sequences.
func isSequenceDataset(name string) bool { return name == "oracle" || name == "text" }

// textSamples is the number of generated lines of a text run that are
// written and measured at each sample step.
const textSamples = 2000

// textShown is the number of generated sequences written to a run's
// samples/step-NNNNNNN.txt.
const textShown = 100

// tokenSource serves token sequences in shuffled epochs of full batches
// (the last partial batch of an epoch is dropped, as SeqGAN's 156 batches
// of 64 of its 10,000 sequences), and measures generated sequences against
// the held-out ones.
type tokenSource struct {
	train, test *tensor.Tensor
	// oracle is the oracle benchmark's oracle; nil for text.
	oracle *seq.Generator
	words  []string
	sep    string
	batch  int
	rng    *tensor.RNG
	perm   []int
	tokenPosition
	// samples is the number of the oracle's sequences of each set, and
	// of those generated at each sample step.
	samples int
	// gen is the generator being trained, whose NLL of the held-out
	// sequences is measured (set by the session).
	gen *seq.Generator
}

// tokenPosition is a tokenSource's place: the epoch, the sequences of it
// already served and the seed of its permutation.
type tokenPosition struct {
	Epoch int    `json:"epoch"`
	Pos   int    `json:"position"`
	Seed  uint64 `json:"seed"`
	RNG   []byte `json:"rng"`
}

// openTokens returns the source of an oracle or text dataset.
func openTokens(cfg Config, rng *tensor.RNG) (*tokenSource, error) {
	s := &tokenSource{batch: cfg.Batch, rng: rng}
	if cfg.Dataset == "oracle" {
		o, err := evaluate.Oracle()
		if err != nil {
			return nil, err
		}
		n, err := oracleSamples()
		if err != nil {
			return nil, err
		}
		s.oracle, s.samples = o, n
		s.train, s.test = evaluate.OracleData(o, cfg.Seed, n)
	} else {
		t, err := data.LoadText(cfg.Data, cmp.Or(cfg.Tokens, "char"), cfg.MaxLen)
		if err != nil {
			return nil, err
		}
		s.train, s.test, s.words, s.sep = t.Train, t.Test, t.Words, t.Sep
	}
	if n := s.train.Dim(0); cfg.Batch > n {
		return nil, fmt.Errorf("batch: %d is more than the %d training sequences of dataset %s", cfg.Batch, n, cfg.Dataset)
	}
	s.perm = make([]int, s.train.Dim(0))
	return s, nil
}

func (s *tokenSource) kind() data.Kind { return data.Tokens }

func (s *tokenSource) shape() models.Shape { return models.Shape{C: 1, H: 1, W: s.train.Dim(1)} }

// vocab returns the size of the vocabulary.
func (s *tokenSource) vocab() int {
	if s.oracle != nil {
		return s.oracle.Vocab
	}
	return len(s.words)
}

// pictureSamples is the number of sequences generated at each sample
// step: the oracle protocol's 10,000, or textSamples.
func (s *tokenSource) pictureSamples() int {
	if s.oracle != nil {
		return s.samples
	}
	return textSamples
}

// picture is never drawn: token runs write text (writeText).
func (s *tokenSource) picture(*tensor.Tensor, int) image.Image { return nil }

// measure returns NLL_oracle and NLL_test, or BLEU, Self-BLEU and NLL_test
// of the generated sequences x.
func (s *tokenSource) measure(x *tensor.Tensor) (rundir.Record, error) {
	x = x.Reshape(x.Dim(0), s.train.Dim(1))
	return evaluate.MeasureTokens(s.gen, s.oracle, x, s.test, 1).Record(), nil
}

// writeText writes the first textShown sequences of x to path, one a line.
func (s *tokenSource) writeText(path string, x *tensor.Tensor) error {
	return atomicfile.WriteFile(path, []byte(data.SequencesText(x, s.words, s.sep, textShown)), 0o644)
}

func (s *tokenSource) next(dst *tensor.Tensor, _ []int) data.Batch {
	t := s.train.Dim(1)
	if s.Pos == 0 {
		s.Seed = s.rng.Uint64()
		s.permute()
	}
	b := data.Batch{N: s.batch, Epoch: s.Epoch, Index: s.Pos / s.batch}
	for i, idx := range s.perm[s.Pos : s.Pos+s.batch] {
		copy(dst.Data()[i*t:(i+1)*t], s.train.Data()[idx*t:(idx+1)*t])
	}
	s.Pos += s.batch
	if s.Pos+s.batch > len(s.perm) {
		s.Pos = 0
		s.Epoch++
	}
	return b
}

func (s *tokenSource) permute() {
	for i := range s.perm {
		s.perm[i] = i
	}
	tensor.NewRNG(s.Seed, "token permutation").Perm(s.perm)
}

func (s *tokenSource) stepsPerEpoch() int     { return s.train.Dim(0) / s.batch }
func (s *tokenSource) classNames() []string   { return nil }
func (s *tokenSource) dataset() *data.Dataset { return nil }

func (s *tokenSource) state() ([]byte, error) {
	rng, err := s.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	p := s.tokenPosition
	p.RNG = rng
	return json.Marshal(p)
}

func (s *tokenSource) setState(b []byte) error {
	var p tokenPosition
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.Epoch < 0 || p.Pos < 0 || p.Pos%s.batch != 0 || p.Pos+s.batch > len(s.perm) {
		return fmt.Errorf("token position epoch %d, sequence %d does not fit %d sequences in batches of %d", p.Epoch, p.Pos, len(s.perm), s.batch)
	}
	if err := s.rng.UnmarshalBinary(p.RNG); err != nil {
		return err
	}
	s.tokenPosition = p
	s.RNG = nil
	if p.Pos > 0 {
		s.permute()
	}
	return nil
}

// oracleSamples returns the number of sequences of the oracle benchmark's
// sets: the protocol's evaluate.OracleSamples, unless NASH_MAX_SAMPLES
// bounds a test's work.
func oracleSamples() (int, error) {
	limit, ok, err := testlimit.Get(testlimit.Samples, 2)
	if err != nil || !ok {
		return evaluate.OracleSamples, err
	}
	return min(limit, evaluate.OracleSamples), nil
}

// The defaults of the sequence settings left at 0.
const (
	defaultDSteps   = 5
	defaultRollouts = 16
	defaultMaxBeta  = 100
	// defaultAnnealSteps is relgan's annealing length: the temperature
	// does not depend on the run's length, so that a run resumed with more
	// steps continues exactly.
	defaultAnnealSteps = 1000
)

// sequenceProblems returns the problems of the sequence settings: each
// belongs to token data (tokens and max_len to text) or to the games that
// read it, and none is negative.
func (c Config) sequenceProblems() []string {
	var msgs []string
	bad := func(key, format string, args ...any) { msgs = append(msgs, key+": "+fmt.Sprintf(format, args...)) }
	if c.Dataset != "text" {
		if c.Tokens != "" {
			bad("tokens", "splits the lines of the text dataset, not dataset %s", clip(c.Dataset))
		}
		if c.MaxLen != 0 {
			bad("max_len", "is the length of the text dataset's sequences, not dataset %s's", clip(c.Dataset))
		}
	}
	if c.Tokens != "" && c.Tokens != "char" && c.Tokens != "word" {
		bad("tokens", "unknown tokens %s (want char or word)", clip(c.Tokens))
	}
	if c.MaxLen < 0 || c.MaxLen == 1 || c.MaxLen > data.MaxSeqLen {
		bad("max_len", "must be between 2 and %d (0: the longest line), got %d", data.MaxSeqLen, c.MaxLen)
	}
	games := map[string][]string{
		"pretrained": {"seqgan", "relgan"}, "pretrain_steps": {"seqgan"}, "d_pretrain_steps": {"seqgan"},
		"d_steps": {"seqgan"}, "rollouts": {"seqgan"}, "rollout_delay": {"seqgan"}, "max_beta": {"relgan"}, "anneal_steps": {"relgan"},
	}
	for _, o := range []struct {
		key string
		set bool
		v   float64
	}{{"pretrained", c.Pretrained != "", 0}, {"pretrain_steps", c.PretrainSteps != 0, float64(c.PretrainSteps)},
		{"d_pretrain_steps", c.DPretrainSteps != 0, float64(c.DPretrainSteps)}, {"d_steps", c.DSteps != 0, float64(c.DSteps)},
		{"rollouts", c.Rollouts != 0, float64(c.Rollouts)}, {"rollout_delay", c.RolloutDelay != 0, c.RolloutDelay},
		{"max_beta", c.MaxBeta != 0, c.MaxBeta},
		{"anneal_steps", c.AnnealSteps != 0, float64(c.AnnealSteps)}} {
		if !o.set {
			continue
		}
		if !slices.Contains(games[o.key], c.Model) {
			bad(o.key, "is a setting of model %s, not %s", strings.Join(games[o.key], " or "), clip(c.Model))
		}
		if !(o.v >= 0) {
			bad(o.key, "must not be negative, got %g", o.v)
		}
	}
	if slices.Contains([]string{"mle", "seqgan", "relgan"}, c.Model) {
		for _, o := range []struct {
			key string
			set bool
		}{{"spectral_norm", c.SpectralNorm}, {"ema_kimg", c.EMAKimg != 0}, {"r1", c.R1 != 0}, {"gp", c.GP != 0},
			{"clip", c.Clip != 0}, {"label_smoothing", c.LabelSmoothing != 0}, {"n_critic", c.NCritic != 1},
			{"loss", c.Model == "mle" && c.Loss != string(gan.NonSaturating)}} {
			if o.set {
				bad(o.key, "is not a setting of model %s", c.Model)
			}
		}
	}
	if c.Model == "seqgan" && c.Loss != string(gan.NonSaturating) {
		bad("loss", "seqgan's discriminator learns by cross-entropy (ns) and its probabilities are G's rewards, so it takes no other objective (%s); relgan takes any", clip(c.Loss))
	}
	if c.MaxBeta != 0 && !(c.MaxBeta >= 1) {
		bad("max_beta", "is an inverse temperature rising from 1: must be at least 1, got %g", c.MaxBeta)
	}
	if c.RolloutDelay >= 1 {
		bad("rollout_delay", "is the share of the roll-out network's own weights kept after each generator step: must be below 1 (0: G itself), got %g", c.RolloutDelay)
	}
	if c.Rollouts > maxRollouts {
		bad("rollouts", "must be at most %d, got %d", maxRollouts, c.Rollouts)
	}
	return msgs
}

// maxRollouts bounds SeqGAN's roll-outs per prefix.
const maxRollouts = 256

// resolvedSequences returns c with the defaults of its sequence settings
// filled in, for sequences of length tokens: z_dim is the length (one
// noise value per token), tokens is char for text, and the game's settings
// their defaults.
func (c Config) resolvedSequences(length int) Config {
	c.ZDim = length
	if c.Dataset == "text" && c.Tokens == "" {
		c.Tokens = "char"
	}
	switch c.Model {
	case "seqgan":
		if c.DSteps == 0 {
			c.DSteps = defaultDSteps
		}
		if c.Rollouts == 0 {
			c.Rollouts = defaultRollouts
		}
	case "relgan":
		if c.MaxBeta == 0 {
			c.MaxBeta = defaultMaxBeta
		}
		if c.AnnealSteps == 0 {
			c.AnnealSteps = defaultAnnealSteps
		}
	}
	return c
}
