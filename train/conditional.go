package train

import (
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// classes is the state of a session that trains on labels (classes, or
// clusters): the batch's labels, as the data source fills them and as the
// game takes them, and the noise of the class grids. All are empty in an
// unconditional run.
type classes struct {
	classNames []string
	labels     []int
	labelT     *tensor.Tensor
	classZ     *tensor.Tensor
}

// initClasses prepares a session that trains on labels for its classes (or
// clusters), named by label; it does nothing for an unconditional one.
func (s *session) initClasses(names []string) {
	if !s.cfg.labelled() {
		return
	}
	s.classNames = names
	s.gen.ClassNames = names
	s.labels = make([]int, s.cfg.Batch)
	s.labelT = tensor.New(s.cfg.Batch)
	s.classZ = s.gen.ClassGridNoise(tensor.NewRNG(s.cfg.Seed, "class grid"))
}

// labelTensor returns the classes of the batch's first n samples as the
// game takes them, nil in an unconditional run.
func (s *session) labelTensor(n int) *tensor.Tensor {
	if !s.cfg.labelled() {
		return nil
	}
	y := s.labelT
	if n != y.Len() {
		y = tensor.New(n)
	}
	for i, l := range s.labels[:n] {
		y.Data()[i] = float32(l)
	}
	return y
}

// saveClassGrid writes the class (or cluster) grid of the current step of
// a run that trains on labels.
func (s *session) saveClassGrid() error {
	if !s.cfg.labelled() {
		return nil
	}
	return images.WritePNG(s.run.ClassGridPath(s.step), s.gen.ClassGridOf(s.classZ))
}
