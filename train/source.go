package train

import (
	"encoding/json"
	"fmt"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/tensor"
)

// source serves the real batches of a run and can save its position.
type source interface {
	// next fills the first rows of dst with the next batch and, unless
	// labels is nil, the first elements of labels with its classes, and
	// describes the batch.
	next(dst *tensor.Tensor, labels []int) data.Batch
	// classNames names the classes by label; nil for data without classes.
	classNames() []string
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
	ds, err := loadImages(cfg)
	if err != nil {
		return nil, Shape{}, err
	}
	return loaderSource{data.NewLoader(ds, cfg.Batch, rng), ds.ClassNames}, Shape{C: ds.C, H: ds.H, W: ds.W}, nil
}

// loadImages loads the training images of cfg's dataset at cfg's image
// size: a folder of images is decoded once into memory, fitted to
// image_size (64 by default); an IDX dataset keeps its size unless
// image_size asks for another.
func loadImages(cfg Config) (*data.Dataset, error) {
	if cfg.Dataset == "folder" {
		size := cfg.ImageSize
		if size == 0 {
			size = defaultFolderSize
		}
		return data.LoadFolder(cfg.Data, size)
	}
	ds, err := data.Load(cfg.Dataset, cfg.Data, "train")
	if err != nil || cfg.ImageSize == 0 || (ds.H == cfg.ImageSize && ds.W == cfg.ImageSize) {
		return ds, err
	}
	return ds.Resize(cfg.ImageSize), nil
}

// defaultFolderSize is the image size of the folder dataset when
// image_size is 0: the 64×64 of the DCGAN paper and PyTorch's example.
const defaultFolderSize = 64

// loaderSource serves a finite dataset in shuffled epochs.
type loaderSource struct {
	l       *data.Loader
	classes []string
}

func (s loaderSource) next(dst *tensor.Tensor, labels []int) data.Batch { return s.l.Next(dst, labels) }
func (s loaderSource) stepsPerEpoch() int                               { return s.l.StepsPerEpoch() }
func (s loaderSource) classNames() []string                             { return s.classes }

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

func (s *mixtureSource) next(dst *tensor.Tensor, _ []int) data.Batch {
	s.m.Sample(dst, s.rng)
	b := data.Batch{N: dst.Dim(0), Epoch: s.steps / toySteps, Index: s.steps % toySteps}
	s.steps++
	return b
}

func (s *mixtureSource) stepsPerEpoch() int { return toySteps }

func (s *mixtureSource) classNames() []string { return nil }

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
