package optim

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

func param(vals ...float32) *autograd.Var {
	p := autograd.NewVar(tensor.FromSlice(vals, len(vals)), true)
	p.Grad = tensor.New(len(vals))
	return p
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// Adam's first step moves every weight by lr against the sign of its
// gradient, whatever the gradient's size: m̂ = g and v̂ = g².
func TestAdamFirstStepIsSignDescent(t *testing.T) {
	p := param(1, 1, 1)
	copy(p.Grad.Data(), []float32{3, -0.001, 200})
	NewAdam([]*autograd.Var{p}, 0.01, 0.5, 0.999).Step()
	for i, want := range []float64{0.99, 1.01, 0.99} {
		if got := float64(p.Value.Data()[i]); !near(got, want, 1e-5) {
			t.Errorf("weight %d = %.7f, want %.7f", i, got, want)
		}
	}
}

// Adam against a float64 transcription of torch.optim.Adam over several
// steps with changing gradients.
func TestAdamMatchesReference(t *testing.T) {
	const lr, b1, b2, eps = 2e-4, 0.5, 0.999, 1e-8
	p := param(0.3, -0.7)
	opt := NewAdam([]*autograd.Var{p}, lr, b1, b2)
	w := []float64{0.3, -0.7}
	m, v := make([]float64, 2), make([]float64, 2)
	for step := 1; step <= 5; step++ {
		g := []float64{0.1 * float64(step), -2 + float64(step)}
		for i := range g {
			p.Grad.Data()[i] = float32(g[i])
		}
		opt.Step()
		for i := range w {
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			bc1, bc2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
			w[i] -= lr / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + eps)
			if got := float64(p.Value.Data()[i]); !near(got, w[i], 1e-6) {
				t.Fatalf("step %d weight %d = %.8f, want %.8f", step, i, got, w[i])
			}
		}
	}
	st, steps := opt.State()
	if steps != 5 || st["0.exp_avg"] == nil || st["0.exp_avg_sq"] == nil {
		t.Fatalf("State() = %v keys, %d steps", len(st), steps)
	}
}

func TestSGDMomentum(t *testing.T) {
	p := param(1)
	opt := NewSGD([]*autograd.Var{p}, 0.1, 0.9)
	p.Grad.Data()[0] = 1
	opt.Step() // b = 1, w = 0.9
	opt.Step() // b = 1.9, w = 0.71
	if got := p.Value.Data()[0]; !near(float64(got), 0.71, 1e-6) {
		t.Fatalf("w = %g, want 0.71", got)
	}
}

// RMSprop's first step: s = (1 − α)g², so the update is lr·g/(√(1−α)|g|) = 10·lr·sign(g).
func TestRMSpropFirstStep(t *testing.T) {
	p := param(0, 0)
	copy(p.Grad.Data(), []float32{4, -0.5})
	NewRMSprop([]*autograd.Var{p}, 5e-5).Step()
	for i, want := range []float64{-5e-4, 5e-4} {
		if got := float64(p.Value.Data()[i]); !near(got, want, 1e-5) {
			t.Errorf("weight %d = %g, want %g", i, got, want)
		}
	}
}

func TestStepSkipsParametersWithoutGradient(t *testing.T) {
	p := autograd.NewVar(tensor.FromSlice([]float32{1}, 1), true)
	for _, o := range []Optimizer{NewAdam([]*autograd.Var{p}, 1, 0.9, 0.999), NewSGD([]*autograd.Var{p}, 1, 0), NewRMSprop([]*autograd.Var{p}, 1)} {
		o.Step()
		o.ZeroGrad()
		if p.Value.Data()[0] != 1 {
			t.Fatalf("%T changed a parameter that has no gradient", o)
		}
	}
}

// Every optimiser's Step hands its parameters to the hook before reading
// their gradients: a hook that halves the gradient halves SGD's move.
func TestGradHookRunsBeforeTheUpdate(t *testing.T) {
	for name, mk := range map[string]func(ps []*autograd.Var) Optimizer{
		"adam":    func(ps []*autograd.Var) Optimizer { return NewAdam(ps, 0.1, 0.5, 0.999) },
		"sgd":     func(ps []*autograd.Var) Optimizer { return NewSGD(ps, 0.1, 0) },
		"rmsprop": func(ps []*autograd.Var) Optimizer { return NewRMSprop(ps, 0.1) },
	} {
		p, q := param(1, 2), param(1, 2)
		copy(p.Grad.Data(), []float32{4, -8})
		copy(q.Grad.Data(), []float32{2, -4})
		opt, ref := mk([]*autograd.Var{p}), mk([]*autograd.Var{q})
		var seen []*autograd.Var
		opt.(Hookable).SetGradHook(func(ps []*autograd.Var) {
			seen = ps
			for _, v := range ps {
				for i := range v.Grad.Data() {
					v.Grad.Data()[i] *= 0.5
				}
			}
		})
		opt.Step()
		ref.Step()
		if len(seen) != 1 || seen[0] != p {
			t.Fatalf("%s: the hook saw %v, want the optimiser's parameter", name, seen)
		}
		for i := range 2 {
			if p.Value.Data()[i] != q.Value.Data()[i] {
				t.Errorf("%s: weight %d is %v after a halved gradient, want %v", name, i, p.Value.Data()[i], q.Value.Data()[i])
			}
		}
	}
}

// ClipGradNorm scales the gradients to the bound over all parameters
// together, as torch.nn.utils.clip_grad_norm_, and leaves them when their
// norm is within it.
func TestClipGradNorm(t *testing.T) {
	p, q := param(0, 0), param(0)
	copy(p.Grad.Data(), []float32{3, 0})
	q.Grad.Data()[0] = -4
	if norm := ClipGradNorm([]*autograd.Var{p, q}, 10); norm != 5 || p.Grad.Data()[0] != 3 || q.Grad.Data()[0] != -4 {
		t.Fatalf("within the bound: norm %v, gradients %v %v; want 5 and unchanged", norm, p.Grad.Data(), q.Grad.Data())
	}
	if norm := ClipGradNorm([]*autograd.Var{p, q}, 1); norm != 5 {
		t.Fatalf("norm %v, want 5", norm)
	}
	for i, want := range []float64{0.6, 0, -0.8} {
		got := float64(append(p.Grad.Data(), q.Grad.Data()...)[i])
		if !near(got, want, 1e-6) {
			t.Errorf("gradient %d clipped to %v, want %v", i, got, want)
		}
	}
}

// Every optimiser clips after its GradHook: a hook that multiplies the
// gradient by 4 (as summing ranks' gradients can enlarge it) still gives
// the move of the gradient clipped to the bound, the same as an optimiser
// handed the clipped gradient itself.
func TestGradClipAfterTheHook(t *testing.T) {
	for name, mk := range map[string]func(ps []*autograd.Var) Optimizer{
		"adam":    func(ps []*autograd.Var) Optimizer { return NewAdam(ps, 0.1, 0.5, 0.999) },
		"sgd":     func(ps []*autograd.Var) Optimizer { return NewSGD(ps, 0.1, 0) },
		"rmsprop": func(ps []*autograd.Var) Optimizer { return NewRMSprop(ps, 0.1) },
	} {
		p, q := param(1, 2), param(1, 2)
		copy(p.Grad.Data(), []float32{0.75, -1})
		copy(q.Grad.Data(), []float32{3, -4})
		opt, ref := mk([]*autograd.Var{p}), mk([]*autograd.Var{q})
		opt.(Clippable).SetGradClip(2)
		opt.(Hookable).SetGradHook(func(ps []*autograd.Var) {
			for _, v := range ps {
				for i := range v.Grad.Data() {
					v.Grad.Data()[i] *= 4
				}
			}
		})
		ClipGradNorm([]*autograd.Var{q}, 2)
		opt.Step()
		ref.Step()
		for i := range 2 {
			if p.Grad.Data()[i] != q.Grad.Data()[i] || p.Value.Data()[i] != q.Value.Data()[i] {
				t.Errorf("%s: gradient and weight %d are %v, %v; want the clipped gradient's %v, %v", name, i,
					p.Grad.Data()[i], p.Value.Data()[i], q.Grad.Data()[i], q.Value.Data()[i])
			}
		}
	}
}
