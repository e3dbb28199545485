package tensor

import (
	"errors"
	"fmt"
	"slices"
)

// Arena hands out tensors and takes them all back at once, so that a loop
// that builds the same computation every iteration (a training step)
// allocates nothing once warm. Tensors from an arena are valid until its
// next Reset; their contents are unspecified when handed out.
//
// An Arena is not safe for concurrent use.
type Arena struct {
	free  map[int][]*Tensor // by element count
	used  []*Tensor
	views []*Tensor // headers for Reshape, the first nview in use
	nview int
}

// Get returns a tensor of the given shape whose contents are unspecified.
func (a *Arena) Get(shape ...int) *Tensor {
	n := checkShape(shape)
	var t *Tensor
	if list := a.free[n]; len(list) > 0 {
		t = list[len(list)-1]
		a.free[n] = list[:len(list)-1]
		t.shape = append(t.shape[:0], shape...)
	} else {
		t = &Tensor{shape: append(make([]int, 0, 4), shape...), data: make([]float32, n)}
	}
	a.used = append(a.used, t)
	return t
}

// Reshape returns a tensor sharing t's storage with a new shape of the same
// size, as t.Reshape, but whose header comes from the arena: it is valid
// until the next Reset.
func (a *Arena) Reshape(t *Tensor, shape ...int) *Tensor {
	if a.nview == len(a.views) {
		a.views = append(a.views, &Tensor{shape: make([]int, 0, 4)})
	}
	v := a.views[a.nview]
	a.nview++
	v.shape = append(v.shape[:0], shape...)
	v.data = t.data
	if err := inferShape(v.shape, len(t.data)); err != nil {
		panic(fmt.Sprintf("tensor: cannot reshape %v to %v: %v", t.shape, slices.Clone(shape), err))
	}
	return v
}

// inferShape replaces the one −1 in shape, if any, by the dimension that
// makes its size n, and reports an error if shape cannot have size n.
func inferShape(shape []int, n int) error {
	infer, size := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer >= 0:
			return errors.New("more than one -1")
		case d == -1:
			infer = i
		case d < 0:
			return errors.New("negative dimension")
		default:
			size *= d
		}
	}
	if infer >= 0 && size > 0 {
		shape[infer] = n / size
		size *= shape[infer]
	}
	if size != n {
		return fmt.Errorf("size %d, want %d", size, n)
	}
	return nil
}

// Reset takes back every tensor handed out since the last Reset.
func (a *Arena) Reset() {
	if a.free == nil {
		a.free = make(map[int][]*Tensor)
	}
	for _, t := range a.used {
		a.free[len(t.data)] = append(a.free[len(t.data)], t)
	}
	clear(a.used)
	a.used = a.used[:0]
	for _, v := range a.views[:a.nview] {
		v.data = nil
	}
	a.nview = 0
}
