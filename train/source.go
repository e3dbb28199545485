package train

import (
	"encoding/json"
	"fmt"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/tensor"
)

// source serves the real batches of a run and can save its position.
type source interface {
	// next fills the first rows of dst with the next batch and describes it.
	next(dst *tensor.Tensor) data.Batch
	// stepsPerEpoch returns the number of batches in an epoch.
	stepsPerEpoch() int
	// state returns the position as JSON; setState restores it.
	state() ([]byte, error)
	setState([]byte) error
}

// toySteps is the length of an "epoch" of a 2-D mixture, which has no
// finite training set: every batch is fresh.
const toySteps = 1000

// isToy reports whether the dataset is a 2-D mixture.
func isToy(dataset string) bool {
	for _, n := range data.ToyNames {
		if n == dataset {
			return true
		}
	}
	return false
}

// openSource returns the source of cfg's dataset and the shape of one
// sample. Randomness comes from the seed's "data" stream.
func openSource(cfg Config) (source, Shape, error) {
	rng := tensor.NewRNG(cfg.Seed, "data")
	if isToy(cfg.Dataset) {
		m, err := data.Toy(cfg.Dataset)
		if err != nil {
			return nil, Shape{}, err
		}
		return &mixtureSource{m: m, rng: rng}, Shape{C: 1, H: 1, W: 2}, nil
	}
	ds, err := data.Load(cfg.Dataset, cfg.Data, "train")
	if err != nil {
		return nil, Shape{}, err
	}
	return loaderSource{data.NewLoader(ds, cfg.Batch, rng)}, Shape{C: ds.C, H: ds.H, W: ds.W}, nil
}

// loaderSource serves a finite dataset in shuffled epochs.
type loaderSource struct{ l *data.Loader }

func (s loaderSource) next(dst *tensor.Tensor) data.Batch { return s.l.Next(dst, nil) }
func (s loaderSource) stepsPerEpoch() int                 { return s.l.StepsPerEpoch() }

func (s loaderSource) state() ([]byte, error) {
	st, err := s.l.State()
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

func (s loaderSource) setState(b []byte) error {
	var st data.LoaderState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	return s.l.SetState(st)
}

// mixtureSource draws fresh batches from a 2-D mixture.
type mixtureSource struct {
	m     *data.Mixture
	rng   *tensor.RNG
	steps int
}

func (s *mixtureSource) next(dst *tensor.Tensor) data.Batch {
	s.m.Sample(dst, s.rng)
	b := data.Batch{N: dst.Dim(0), Epoch: s.steps / toySteps, Index: s.steps % toySteps}
	s.steps++
	return b
}

func (s *mixtureSource) stepsPerEpoch() int { return toySteps }

type mixtureState struct {
	Steps int    `json:"steps"`
	RNG   []byte `json:"rng"`
}

func (s *mixtureSource) state() ([]byte, error) {
	rng, err := s.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return json.Marshal(mixtureState{Steps: s.steps, RNG: rng})
}

func (s *mixtureSource) setState(b []byte) error {
	var st mixtureState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	if st.Steps < 0 {
		return fmt.Errorf("negative step count %d", st.Steps)
	}
	if err := s.rng.UnmarshalBinary(st.RNG); err != nil {
		return err
	}
	s.steps = st.Steps
	return nil
}
