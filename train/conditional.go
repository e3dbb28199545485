package train

import (
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// classes is a session's conditional state: the batch's labels, as the data
// source fills them and as the game takes them, and the noise of the class
// grids. All are empty in an unconditional run.
type classes struct {
	classNames []string
	labels     []int
	labelT     *tensor.Tensor
	classZ     *tensor.Tensor
}

// initClasses prepares a conditional session for its classes, named by
// label; it does nothing for an unconditional one.
func (s *session) initClasses(names []string) {
	if !s.cfg.Conditional {
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
	if !s.cfg.Conditional {
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

// saveClassGrid writes a conditional run's class grid of the current step.
func (s *session) saveClassGrid() error {
	if !s.cfg.Conditional {
		return nil
	}
	return images.WritePNG(s.run.ClassGridPath(s.step), s.gen.ClassGridOf(s.classZ))
}
