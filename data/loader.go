package data

import (
	"fmt"

	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// permutationStream names the RNG stream an epoch's permutation is drawn from.
const permutationStream = "data.Loader permutation"

// Loader serves a Dataset in shuffled batches, as PyTorch's DataLoader does
// with shuffle=True and drop_last=False: every epoch visits each image once
// in a fresh random order, in StepsPerEpoch batches of which only the last
// may be smaller.
//
// The loader owns its RNG: each epoch it draws one value from it to seed that
// epoch's permutation. Its position, RNG included, is saved by State and
// restored by SetState.
type Loader struct {
	ds    *Dataset
	batch int
	rng   *tensor.RNG
	perm  []int
	epoch int    // current epoch, from 0
	pos   int    // images of the current epoch already served
	seed  uint64 // seed of the current epoch's permutation, valid when pos > 0
}

// Batch describes the batch that Loader.Next filled.
type Batch struct {
	// N is the number of images filled: the batch size, or fewer in the
	// last batch of an epoch.
	N int
	// Epoch is the epoch the batch belongs to, from 0.
	Epoch int
	// Index is the batch's position in its epoch, from 0 to
	// StepsPerEpoch()-1.
	Index int
}

// LoaderState is a Loader's position: enough to make another loader over
// the same dataset with the same batch size yield the same batches from
// there on. Its fields marshal to JSON.
type LoaderState struct {
	// Images and BatchSize identify the loader the state belongs to.
	Images    int `json:"images"`
	BatchSize int `json:"batch_size"`
	// Epoch is the current epoch, from 0.
	Epoch int `json:"epoch"`
	// Position counts the images of the current epoch already served; it
	// is a multiple of BatchSize below Images.
	Position int `json:"position"`
	// Seed is the seed of the current epoch's permutation, meaningful when
	// Position is above 0.
	Seed uint64 `json:"seed"`
	// RNG is the state of the loader's RNG.
	RNG []byte `json:"rng"`
}

// NewLoader returns a loader serving ds in batches of batch images, shuffled
// with rng, which it then owns. It panics if batch is not positive or ds is
// empty.
func NewLoader(ds *Dataset, batch int, rng *tensor.RNG) *Loader {
	if batch <= 0 {
		panic(fmt.Sprintf("data: NewLoader: batch size %d", batch))
	}
	if ds.N <= 0 {
		panic(fmt.Sprintf("data: NewLoader: dataset %s %s is empty", ds.Name, ds.Split))
	}
	return &Loader{ds: ds, batch: batch, rng: rng, perm: make([]int, ds.N)}
}

// BatchSize returns the number of images in a full batch.
func (l *Loader) BatchSize() int { return l.batch }

// StepsPerEpoch returns the number of batches in an epoch, ⌈N/batch⌉.
func (l *Loader) StepsPerEpoch() int { return (l.ds.N + l.batch - 1) / l.batch }

// Next fills dst with the next batch's images, scaled from [0, 255] to
// [-1, 1] by images.ToValues, and labels, unless it is nil, with their labels,
// and describes the batch. dst must have BatchSize() rows of C*H*W values,
// shaped for instance [batch, C*H*W] or [batch, C, H, W]; labels must have
// BatchSize() elements. In the last batch of an epoch only the first N rows
// and labels are written. Next allocates only when an epoch starts.
func (l *Loader) Next(dst *tensor.Tensor, labels []int) Batch {
	size := l.ds.ImageSize()
	if dst.Dims() < 2 || dst.Dim(0) != l.batch || dst.Len() != l.batch*size {
		panic(fmt.Sprintf("data: Loader.Next: destination shape %v, want %d rows of %d values", dst.Shape(), l.batch, size))
	}
	if labels != nil && len(labels) != l.batch {
		panic(fmt.Sprintf("data: Loader.Next: %d labels, want %d", len(labels), l.batch))
	}
	if l.pos == 0 {
		l.seed = l.rng.Uint64()
		l.permute()
	}
	b := Batch{N: min(l.batch, l.ds.N-l.pos), Epoch: l.epoch, Index: l.pos / l.batch}
	out := dst.Data()
	for i, idx := range l.perm[l.pos : l.pos+b.N] {
		row := out[i*size : (i+1)*size]
		images.ToValues(row, l.ds.Pixels[idx*size:(idx+1)*size])
		if labels != nil {
			labels[i] = int(l.ds.Labels[idx])
		}
	}
	l.pos += b.N
	if l.pos == l.ds.N {
		l.pos = 0
		l.epoch++
	}
	return b
}

// permute sets the current epoch's permutation from its seed.
func (l *Loader) permute() {
	tensor.NewRNG(l.seed, permutationStream).Perm(l.perm)
}

// State returns the loader's position.
func (l *Loader) State() (LoaderState, error) {
	rng, err := l.rng.MarshalBinary()
	if err != nil {
		return LoaderState{}, fmt.Errorf("data: loader state: %w", err)
	}
	return LoaderState{
		Images:    l.ds.N,
		BatchSize: l.batch,
		Epoch:     l.epoch,
		Position:  l.pos,
		Seed:      l.seed,
		RNG:       rng,
	}, nil
}

// SetState moves the loader, RNG included, to a position returned by State
// of a loader over a dataset of the same size with the same batch size. On
// error the loader is unchanged.
func (l *Loader) SetState(s LoaderState) error {
	switch {
	case s.Images != l.ds.N:
		return fmt.Errorf("data: loader state is for %d images, the dataset has %d", s.Images, l.ds.N)
	case s.BatchSize != l.batch:
		return fmt.Errorf("data: loader state is for batch size %d, the loader's is %d", s.BatchSize, l.batch)
	case s.Epoch < 0:
		return fmt.Errorf("data: loader state: epoch %d is negative", s.Epoch)
	case s.Position < 0 || s.Position >= s.Images || s.Position%s.BatchSize != 0:
		return fmt.Errorf("data: loader state: position %d is not a multiple of %d below %d", s.Position, s.BatchSize, s.Images)
	}
	if err := l.rng.UnmarshalBinary(s.RNG); err != nil {
		return fmt.Errorf("data: loader state: %w", err)
	}
	l.epoch, l.pos, l.seed = s.Epoch, s.Position, s.Seed
	if l.pos > 0 {
		l.permute()
	}
	return nil
}
