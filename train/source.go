package train

import (
	"encoding/json"
	"fmt"
	"image"
	"io"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// source serves the real batches of a run and can save its position. Its
// kind of data says how samples are shown and measured.
type source interface {
	// kind is the kind of the samples, and shape the shape of one.
	kind() data.Kind
	shape() models.Shape
	// pictureSamples is the number of samples of a sample picture.
	pictureSamples() int
	// picture shows samples x [n, …shape] of the given step.
	picture(x *tensor.Tensor, step int) image.Image
	// measure returns what is logged with a sample picture of x; nil when
	// nothing is.
	measure(x *tensor.Tensor) (rundir.Record, error)
	// next fills the first rows of dst with the next batch and, unless
	// labels is nil, the first elements of labels with its classes, and
	// describes the batch.
	next(dst *tensor.Tensor, labels []int) data.Batch
	// classNames names the classes by label; nil for data without classes.
	classNames() []string
	// dataset is the finite training set, which the evaluation on pixels
	// compares with; nil for data drawn afresh at every step.
	dataset() *data.Dataset
	// stepsPerEpoch returns the number of batches in an epoch.
	stepsPerEpoch() int
	// state returns the position as JSON; setState restores it.
	state() ([]byte, error)
	setState([]byte) error
}

// toySteps is the length of an "epoch" of a 2-D mixture, which has no
// finite training set: every batch is fresh.
const toySteps = 1000

// openSource returns the source of cfg's dataset, writing to log a warning
// for each change made to the images on loading (resizing, cropping).
// Randomness comes from the seed's "data" stream.
func openSource(cfg Config, log io.Writer) (source, error) {
	rng := tensor.NewRNG(cfg.Seed, "data")
	if isSequenceDataset(cfg.Dataset) {
		return openTokens(cfg, rng)
	}
	if data.IsToy(cfg.Dataset) {
		m, err := data.Toy(cfg.Dataset)
		if err != nil {
			return nil, err
		}
		return &mixtureSource{m: m, rng: rng}, nil
	}
	if cfg.translation() {
		return openUnpaired(cfg, log, rng)
	}
	ds, err := loadImages(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Batch > ds.N {
		return nil, fmt.Errorf("batch: %d is more than the %d images of dataset %s", cfg.Batch, ds.N, cfg.Dataset)
	}
	if last := ds.N % cfg.Batch; cfg.Pack > 1 && last%cfg.Pack != 0 {
		return nil, fmt.Errorf("pack: %d does not divide the last batch of an epoch, %d of the %d images of dataset %s", cfg.Pack, last, ds.N, cfg.Dataset)
	}
	for _, note := range ds.Notes {
		fmt.Fprintf(log, "nash: warning: %s\n", note)
	}
	if cfg.Clusters > 0 {
		if ds, err = clustered(ds, cfg); err != nil {
			return nil, err
		}
	}
	return loaderSource{data.NewLoader(ds, cfg.Batch, rng), ds, ds.ClassNames, models.Shape{C: ds.C, H: ds.H, W: ds.W}}, nil
}

// loadImages loads the training images of cfg's dataset at cfg's image
// size: a folder of images is decoded once into memory, fitted to
// image_size (64 by default); an IDX dataset keeps its size unless
// image_size asks for another. Stacked MNIST's images are drawn from the
// seed's "data/stacked-mnist" stream (at most NASH_MAX_SAMPLES of them
// when a test sets it).
func loadImages(cfg Config) (*data.Dataset, error) {
	if cfg.Dataset == data.StackedMNISTName {
		n := stackedImages
		if limit, ok, err := testlimit.Get(testlimit.Samples, 1); err != nil {
			return nil, err
		} else if ok {
			n = min(n, limit)
		}
		return data.StackedMNIST(cfg.Data, n, tensor.NewRNG(cfg.Seed, "data/stacked-mnist"))
	}
	size := cfg.ImageSize
	if size == 0 && cfg.Dataset == "folder" {
		size = defaultFolderSize
	}
	return data.LoadImages(cfg.Dataset, cfg.Data, "train", size)
}

// clustered returns ds labelled by its clusters, the classes of a
// self-conditioned GAN: data.Cluster of its images into cfg.Clusters
// groups, from the seed's "clusters" stream, named "cluster 0", "cluster
// 1", ….
func clustered(ds *data.Dataset, cfg Config) (*data.Dataset, error) {
	labels, _, err := data.Cluster(ds, cfg.Clusters, tensor.NewRNG(cfg.Seed, "clusters"))
	if err != nil {
		return nil, fmt.Errorf("clusters: %w", err)
	}
	out := *ds
	out.Labels, out.ClassNames = labels, make([]string, cfg.Clusters)
	for j := range out.ClassNames {
		out.ClassNames[j] = fmt.Sprintf("cluster %d", j)
	}
	return &out, nil
}

// clusterSizes returns the number of images of each of the k clusters
// that label ds.
func clusterSizes(ds *data.Dataset, k int) []int {
	sizes := make([]int, k)
	for _, l := range ds.Labels {
		sizes[l]++
	}
	return sizes
}

// stackedImages is the number of Stacked MNIST training images: the
// benchmark's 128,000 (tests make it smaller).
var stackedImages = data.StackedMNISTImages

// defaultFolderSize is the image size of the folder dataset when
// image_size is 0: the 64×64 of the DCGAN paper and PyTorch's example.
const defaultFolderSize = 64

// loaderSource serves a finite dataset of images in shuffled epochs.
type loaderSource struct {
	l       *data.Loader
	ds      *data.Dataset
	classes []string
	sample  models.Shape
}

// gridSize is the number of samples in an image grid: 8 rows of 8.
const gridSize = 64

func (s loaderSource) kind() data.Kind                               { return data.Images }
func (s loaderSource) shape() models.Shape                           { return s.sample }
func (s loaderSource) pictureSamples() int                           { return gridSize }
func (s loaderSource) measure(*tensor.Tensor) (rundir.Record, error) { return nil, nil }

func (s loaderSource) picture(x *tensor.Tensor, _ int) image.Image {
	return images.Grid(x.Reshape(x.Dim(0), s.sample.C, s.sample.H, s.sample.W), 8, 2)
}

func (s loaderSource) next(dst *tensor.Tensor, labels []int) data.Batch { return s.l.Next(dst, labels) }
func (s loaderSource) stepsPerEpoch() int                               { return s.l.StepsPerEpoch() }
func (s loaderSource) classNames() []string                             { return s.classes }
func (s loaderSource) dataset() *data.Dataset                           { return s.ds }

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

// toySamples is the number of generated points drawn in a 2-D scatter
// picture and scored for mode coverage, as the papers' protocol has it.
const toySamples = 2500

func (s *mixtureSource) kind() data.Kind     { return data.Points }
func (s *mixtureSource) shape() models.Shape { return models.Shape{C: 1, H: 1, W: 2} }
func (s *mixtureSource) pictureSamples() int { return toySamples }

// picture draws the points over the mixture's modes.
func (s *mixtureSource) picture(x *tensor.Tensor, step int) image.Image {
	sc := images.Scatter{Title: fmt.Sprintf("%s, step %d", s.m.Name, step), Means: s.m.Means,
		Radius: 3 * s.m.Sigma, Extent: s.m.Extent, Size: 480}
	return sc.Draw(x.Reshape(x.Dim(0), 2))
}

// measure returns the mode coverage of the points (modes covered,
// high-quality fraction, KL of the mode histogram to uniform).
func (s *mixtureSource) measure(x *tensor.Tensor) (rundir.Record, error) {
	m, err := metrics.MixtureModes(x.Reshape(x.Dim(0), 2), s.m)
	if err != nil {
		return nil, err
	}
	return rundir.Record{"modes": float64(m.Covered), "hq": m.HighQuality, "mode_kl": m.KL}, nil
}

func (s *mixtureSource) classNames() []string   { return nil }
func (s *mixtureSource) dataset() *data.Dataset { return nil }

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
