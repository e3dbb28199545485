// Package optim provides gradient-descent optimisers with PyTorch's exact
// update rules: Adam, SGD and RMSprop.
package optim

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
)

// Optimizer updates parameters from their accumulated gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()
	// ZeroGrad clears the parameters' gradients.
	ZeroGrad()
	// State returns the optimiser's state tensors keyed as in PyTorch's
	// optimizer state_dict ("<param index>.exp_avg", …) and its step count.
	// The tensors are the optimiser's own storage: write into them to restore.
	State() (tensors map[string]*tensor.Tensor, steps int)
	// SetSteps restores the step count saved with State.
	SetSteps(steps int)
}

// GradHook receives an optimiser's parameters, in their fixed order, at the
// start of its Step, before their gradients are read: where a distributed
// run replaces each gradient with its average over the ranks.
type GradHook func(params []*autograd.Var)

// Hookable is an optimiser whose Step calls a GradHook first; nash's
// optimisers all are.
type Hookable interface {
	// SetGradHook makes every Step call h first; nil removes the hook.
	SetGradHook(h GradHook)
}

// Clippable is an optimiser whose Step can bound the global norm of the
// gradients it applies; nash's optimisers all are.
type Clippable interface {
	// SetGradClip makes every Step scale the gradients, after the
	// GradHook, so that their global L2 norm is at most maxNorm, as
	// torch.nn.utils.clip_grad_norm_ called between the all-reduce and
	// optimizer.step(); 0 turns clipping off.
	SetGradClip(maxNorm float64)
}

type base struct {
	params  []*autograd.Var
	steps   int
	hook    GradHook
	maxNorm float64
}

// SetGradHook implements Hookable.
func (b *base) SetGradHook(h GradHook) { b.hook = h }

// SetGradClip implements Clippable.
func (b *base) SetGradClip(maxNorm float64) { b.maxNorm = maxNorm }

// runHook calls the hook, if any, with the parameters, then clips their
// gradients if a bound is set: a distributed run clips the gradient of the
// global batch, as one process would.
func (b *base) runHook() {
	if b.hook != nil {
		b.hook(b.params)
	}
	if b.maxNorm > 0 {
		ClipGradNorm(b.params, b.maxNorm)
	}
}

// ClipGradNorm scales the gradients of params so that their global L2
// norm is at most maxNorm, as torch.nn.utils.clip_grad_norm_: by
// maxNorm/(norm + 1e-6) when the norm exceeds maxNorm. It returns the norm
// before clipping.
func ClipGradNorm(params []*autograd.Var, maxNorm float64) float64 {
	var sq float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, v := range p.Grad.Data() {
			sq += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(sq)
	if norm <= maxNorm {
		return norm
	}
	scale := float32(maxNorm / (norm + 1e-6))
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for i := range p.Grad.Data() {
			p.Grad.Data()[i] *= scale
		}
	}
	return norm
}

func (b *base) ZeroGrad() {
	for _, p := range b.params {
		p.ZeroGrad()
	}
}

func (b *base) SetSteps(steps int) { b.steps = steps }

// moments allocates one zero tensor per parameter.
func moments(params []*autograd.Var) []*tensor.Tensor {
	m := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		m[i] = tensor.New(p.Shape()...)
	}
	return m
}

func stateOf(named map[string][]*tensor.Tensor) map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor)
	for name, ts := range named {
		for i, t := range ts {
			out[fmt.Sprintf("%d.%s", i, name)] = t
		}
	}
	return out
}

// Adam is torch.optim.Adam without weight decay or AMSGrad.
type Adam struct {
	base
	LR, Beta1, Beta2, Eps float32
	m, v                  []*tensor.Tensor
}

// NewAdam returns Adam over params with the given learning rate and betas
// and eps = 1e-8.
func NewAdam(params []*autograd.Var, lr, beta1, beta2 float32) *Adam {
	return &Adam{base: base{params: params}, LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8,
		m: moments(params), v: moments(params)}
}

// Step implements Optimizer with PyTorch's rule:
// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε).
func (a *Adam) Step() {
	a.runHook()
	a.steps++
	bc1 := float32(1 - math.Pow(float64(a.Beta1), float64(a.steps)))
	bc2 := float32(1 - math.Pow(float64(a.Beta2), float64(a.steps)))
	for i, p := range a.params {
		if p.Grad == nil {
			continue
		}
		kernels.Adam(p.Value.Data(), p.Grad.Data(), a.m[i].Data(), a.v[i].Data(), a.LR, a.Beta1, a.Beta2, a.Eps, bc1, bc2)
	}
}

// State implements Optimizer.
func (a *Adam) State() (map[string]*tensor.Tensor, int) {
	return stateOf(map[string][]*tensor.Tensor{"exp_avg": a.m, "exp_avg_sq": a.v}), a.steps
}

// SGD is torch.optim.SGD with optional momentum (dampening 0, not Nesterov).
type SGD struct {
	base
	LR, Momentum float32
	buf          []*tensor.Tensor
}

// NewSGD returns SGD over params.
func NewSGD(params []*autograd.Var, lr, momentum float32) *SGD {
	return &SGD{base: base{params: params}, LR: lr, Momentum: momentum, buf: moments(params)}
}

// Step implements Optimizer: b ← μb + g (b = g on the first step), p ← p − lr·b.
func (s *SGD) Step() {
	s.runHook()
	s.steps++
	for i, p := range s.params {
		if p.Grad == nil {
			continue
		}
		w, g, b := p.Value.Data(), p.Grad.Data(), s.buf[i].Data()
		for j := range w {
			d := g[j]
			if s.Momentum != 0 {
				if s.steps == 1 {
					b[j] = d
				} else {
					b[j] = s.Momentum*b[j] + d
				}
				d = b[j]
			}
			w[j] -= s.LR * d
		}
	}
}

// State implements Optimizer.
func (s *SGD) State() (map[string]*tensor.Tensor, int) {
	return stateOf(map[string][]*tensor.Tensor{"momentum_buffer": s.buf}), s.steps
}

// RMSprop is torch.optim.RMSprop without momentum or centring.
type RMSprop struct {
	base
	LR, Alpha, Eps float32
	sq             []*tensor.Tensor
}

// NewRMSprop returns RMSprop over params with alpha = 0.99 and eps = 1e-8.
func NewRMSprop(params []*autograd.Var, lr float32) *RMSprop {
	return &RMSprop{base: base{params: params}, LR: lr, Alpha: 0.99, Eps: 1e-8, sq: moments(params)}
}

// Step implements Optimizer: s ← αs + (1−α)g², p ← p − lr·g/(√s + ε).
func (r *RMSprop) Step() {
	r.runHook()
	r.steps++
	for i, p := range r.params {
		if p.Grad == nil {
			continue
		}
		w, g, s := p.Value.Data(), p.Grad.Data(), r.sq[i].Data()
		for j := range w {
			s[j] = r.Alpha*s[j] + (1-r.Alpha)*g[j]*g[j]
			w[j] -= r.LR * g[j] / (float32(math.Sqrt(float64(s[j]))) + r.Eps)
		}
	}
}

// State implements Optimizer.
func (r *RMSprop) State() (map[string]*tensor.Tensor, int) {
	return stateOf(map[string][]*tensor.Tensor{"square_avg": r.sq}), r.steps
}
