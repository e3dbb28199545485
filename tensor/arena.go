package tensor

// Arena hands out tensors and takes them all back at once, so that a loop
// that builds the same computation every iteration (a training step)
// allocates nothing once warm. Tensors from an arena are valid until its
// next Reset; their contents are unspecified when handed out.
//
// An Arena is not safe for concurrent use.
type Arena struct {
	free map[int][]*Tensor // by element count
	used []*Tensor
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
}
