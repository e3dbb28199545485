// Package nn provides neural-network layers as modules with named
// parameters, following PyTorch's names, layouts and default initialisation
// so that nash's weights load into the equivalent torch.nn model.
package nn

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// Module is a layer or a network of layers.
type Module interface {
	// Forward computes the module's output for input x on tape tp.
	Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var
	// Parameters returns the trainable parameters with their PyTorch
	// state-dict names, in PyTorch's registration order.
	Parameters() []Parameter
}

// Parameter is a named trainable tensor.
type Parameter struct {
	Name string
	*autograd.Var
}

// Buffer is a named tensor that is part of a module's state but not trained
// by gradients (such as BatchNorm's running statistics).
type Buffer struct {
	Name  string
	Value *tensor.Tensor
}

// BufferHolder is implemented by modules with buffers.
type BufferHolder interface {
	Buffers() []Buffer
}

// Container is a module made of other modules, its children, as a PyTorch
// module with submodules. Walk, InitDCGAN and SpectralNormAll reach every
// layer of a tree of modules through it.
type Container interface {
	Module
	// Children returns the direct submodules with their names in
	// registration order, as PyTorch's named_children: "0", "1", … for a
	// Sequential, field names such as "body" and "head" elsewhere.
	Children() []Child
	// SetChild replaces the child at index i of Children by m, for
	// instance by its spectrally normalised form. It panics if m cannot
	// take that child's place.
	SetChild(i int, m Module)
}

// Child is a named submodule of a Container.
type Child struct {
	Name   string
	Module Module
}

// StateDict returns m's parameters and buffers as tensors keyed by their
// PyTorch state-dict names. The tensors are m's own storage, not copies.
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := make(map[string]*tensor.Tensor)
	for _, p := range m.Parameters() {
		sd[p.Name] = p.Value
	}
	if bh, ok := m.(BufferHolder); ok {
		for _, b := range bh.Buffers() {
			sd[b.Name] = b.Value
		}
	}
	return sd
}

// Vars returns the variables of the parameters, for Tape.Backward and optimisers.
func Vars(ps []Parameter) []*autograd.Var {
	vs := make([]*autograd.Var, len(ps))
	for i, p := range ps {
		vs[i] = p.Var
	}
	return vs
}

// LoadStateDict copies the tensors of sd into m's parameters and buffers,
// like torch's load_state_dict(strict=True): every one of m's names must be
// present with the same shape, and sd may hold no other names.
func LoadStateDict(m Module, sd map[string]*tensor.Tensor) error {
	own := StateDict(m)
	for name, dst := range own {
		src, ok := sd[name]
		if !ok {
			return fmt.Errorf("missing tensor %q", name)
		}
		if !dst.SameShape(src) {
			return fmt.Errorf("tensor %q has shape %v, the model needs %v", name, src.Shape(), dst.Shape())
		}
	}
	for name := range sd {
		if _, ok := own[name]; !ok {
			return fmt.Errorf("unexpected tensor %q", name)
		}
	}
	for name, dst := range own {
		dst.CopyFrom(sd[name])
	}
	return nil
}
