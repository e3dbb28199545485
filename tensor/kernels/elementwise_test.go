package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// lengths cover empty input, the scalar tail alone, whole 8-element blocks,
// the unrolled 32-element loop and every remainder.
var lengths = []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 100, 1029}

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// near reports whether got and want agree to within the rounding of one
// fused multiply-add on values of magnitude scale: the vector kernels never
// fuse, the scalar loop may (arm64, GOAMD64=v3).
func near(got, want, scale float32) bool {
	if math.IsNaN(float64(want)) {
		return math.IsNaN(float64(got))
	}
	return math.Abs(float64(got-want)) <= 0x1p-21*float64(scale)
}

func TestAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range lengths {
		for _, alpha := range []float32{0, 1, -0.3, 2.5} {
			x, y := randSlice(rng, n), randSlice(rng, n)
			want := slices.Clone(y)
			axpyScalar(alpha, x, want)
			got := slices.Clone(y)
			Axpy(alpha, x, got)
			for i := range got {
				if !near(got[i], want[i], abs32(alpha*x[i])+abs32(y[i])) {
					t.Fatalf("n=%d alpha=%g: y[%d] = %g, scalar loop gives %g", n, alpha, i, got[i], want[i])
				}
				if exact := float64(y[i]) + float64(alpha)*float64(x[i]); !near(got[i], float32(exact), 2*(abs32(alpha*x[i])+abs32(y[i]))) {
					t.Fatalf("n=%d alpha=%g: y[%d] = %g, want %g", n, alpha, i, got[i], exact)
				}
			}
		}
	}
}

func TestLeakyReLU(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range lengths {
		for _, slope := range []float32{0.2, 0, 1, -0.5} {
			x := randSlice(rng, n)
			copy(x, special)
			g := randSlice(rng, n)
			want, got := make([]float32, n), make([]float32, n)
			leakyReLUScalar(want, x, slope)
			LeakyReLU(got, x, slope)
			wantG, gotG := make([]float32, n), make([]float32, n)
			leakyReLUGradScalar(wantG, x, g, slope)
			LeakyReLUGrad(gotG, x, g, slope)
			for i := range x {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("LeakyReLU n=%d slope=%g: dst[%d] = %g for x = %g, scalar loop gives %g", n, slope, i, got[i], x[i], want[i])
				}
				if math.Float32bits(gotG[i]) != math.Float32bits(wantG[i]) {
					t.Fatalf("LeakyReLUGrad n=%d slope=%g: dst[%d] = %g for x = %g, g = %g, scalar loop gives %g", n, slope, i, gotG[i], x[i], g[i], wantG[i])
				}
				wantX, wantG := slope*x[i], slope*g[i]
				if x[i] > 0 {
					wantX, wantG = x[i], g[i]
				}
				if !same(got[i], wantX) {
					t.Fatalf("LeakyReLU slope=%g: %g ↦ %g, want %g", slope, x[i], got[i], wantX)
				}
				if !same(gotG[i], wantG) {
					t.Fatalf("LeakyReLUGrad slope=%g: x = %g, g = %g ↦ %g, want %g", slope, x[i], g[i], gotG[i], wantG)
				}
			}
		}
	}
}

func TestAdam(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var lr, b1, b2, eps float32 = 2e-4, 0.5, 0.999, 1e-8
	for _, n := range lengths {
		p, m, v := randSlice(rng, n), make([]float32, n), make([]float32, n)
		pRef, mRef, vRef := slices.Clone(p), slices.Clone(m), slices.Clone(v)
		p64, m64, v64 := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range p {
			p64[i] = float64(p[i])
		}
		for step := 1; step <= 5; step++ {
			g := randSlice(rng, n)
			bc1, bc2 := 1-math.Pow(float64(b1), float64(step)), 1-math.Pow(float64(b2), float64(step))
			Adam(p, g, m, v, lr, b1, b2, eps, float32(bc1), float32(bc2))
			c := adamConsts{b1: b1, c1: 1 - b1, b2: b2, c2: 1 - b2, step: lr / float32(bc1), sbc2: float32(math.Sqrt(bc2)), eps: eps}
			adamScalar(pRef, g, mRef, vRef, &c)
			for i := range p {
				gi := float64(g[i])
				m64[i] = float64(b1)*m64[i] + (1-float64(b1))*gi
				v64[i] = float64(b2)*v64[i] + (1-float64(b2))*gi*gi
				update := float64(lr) / bc1 * m64[i] / (math.Sqrt(v64[i])/math.Sqrt(bc2) + float64(eps))
				p64[i] -= update
				if !near(m[i], mRef[i], abs32(m[i])+abs32(g[i])) || !near(v[i], vRef[i], abs32(v[i])+g[i]*g[i]) ||
					!near(p[i], pRef[i], abs32(p[i])+float32(math.Abs(update))) {
					t.Fatalf("n=%d step %d, element %d: p, m, v = %g, %g, %g; scalar loop gives %g, %g, %g",
						n, step, i, p[i], m[i], v[i], pRef[i], mRef[i], vRef[i])
				}
				if math.Abs(float64(p[i])-p64[i]) > 1e-6*(math.Abs(p64[i])+float64(lr)) {
					t.Fatalf("n=%d step %d, element %d: p = %g, float64 rule gives %g", n, step, i, p[i], p64[i])
				}
			}
		}
	}
}

// TestBinary checks Add, Sub, Mul and Div bit for bit against Go's
// arithmetic, special values included, at every length.
func TestBinary(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3, -7}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range lengths {
		x, y := randSlice(rng, n), randSlice(rng, n)
		copy(x, special)
		copy(y[min(n, 2):], special)
		for _, tc := range []struct {
			name string
			f    func(dst, x, y []float32)
			op   func(x, y float32) float32
		}{
			{"Add", Add, func(x, y float32) float32 { return x + y }},
			{"Sub", Sub, func(x, y float32) float32 { return x - y }},
			{"Mul", Mul, func(x, y float32) float32 { return x * y }},
			{"Div", Div, func(x, y float32) float32 { return x / y }},
		} {
			got := make([]float32, n)
			tc.f(got, x, y)
			for i := range got {
				want := tc.op(x[i], y[i])
				if math.Float32bits(got[i]) != math.Float32bits(want) && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
					t.Fatalf("%s n=%d: %g, %g gives %g, want %g", tc.name, n, x[i], y[i], got[i], want)
				}
			}
		}
	}
}

func TestAccumulateFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, n := range lengths {
		acc, x := make([]float64, n), randSlice(rng, n)
		for i := range acc {
			acc[i] = rng.NormFloat64()
		}
		want := slices.Clone(acc)
		AccumulateFloat64(acc, x)
		for i := range want {
			if want[i] += float64(x[i]); acc[i] != want[i] {
				t.Fatalf("n=%d: acc[%d] = %g, want %g", n, i, acc[i], want[i])
			}
		}
	}
}

// ulps returns the distance between a and b in units in the last place.
func ulps(a, b float32) int64 {
	key := func(x float32) int64 {
		i := int64(math.Float32bits(x) &^ (1 << 31))
		if math.Signbit(float64(x)) {
			return -i
		}
		return i
	}
	d := key(a) - key(b)
	return max(d, -d)
}

// TestTanh checks Tanh against the scalar loop bit for bit and against
// math.Tanh to within its documented error, on special values and a sweep
// of every magnitude.
func TestTanh(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 3e-4, 5e-4, 0.5, -1, 3.857, 7.9, 8, -9, 20,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	x := slices.Clone(special)
	for bits := uint32(0); bits < 0x7f800000; bits += 0x1001 {
		v := math.Float32frombits(bits)
		x = append(x, v, -v)
	}
	for _, n := range append(lengths, len(x)) {
		got, want := make([]float32, n), make([]float32, n)
		Tanh(got, x[:n])
		tanhScalar(want, x[:n])
		for i, v := range x[:n] {
			exact := float32(math.Tanh(float64(v)))
			if math.IsNaN(float64(v)) {
				if !math.IsNaN(float64(got[i])) {
					t.Fatalf("tanh(NaN) = %g", got[i])
				}
				continue
			}
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: tanh(%g) = %g, scalar loop gives %g", n, v, got[i], want[i])
			}
			if u := ulps(got[i], exact); u > 6 {
				t.Fatalf("tanh(%g) = %g, want %g (%d ulps off)", v, got[i], exact, u)
			}
		}
	}
}

// TestAdamGoroutines checks that Adam gives bit-identical results however
// many goroutines share the slices, at lengths that split unevenly, on a
// quiet machine and on a contended one, where it runs alone and shared
// out in turn (choose times both ways).
func TestAdamGoroutines(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{minParallelElements - 1, 2*minParallelElements + 5, 3*minParallelElements + 17} {
		p0, m0, v0, g := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		for i := range v0 {
			v0[i] *= v0[i]
		}
		var first []float32
		for _, procs := range []int{1, 2, 3, 4} {
			runtime.GOMAXPROCS(procs)
			for _, state := range []int32{quiet, contended} {
				withContention(state, func() {
					for range 2 * minTries {
						p, m, v := slices.Clone(p0), slices.Clone(m0), slices.Clone(v0)
						Adam(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.19, 0.002)
						got := slices.Concat(p, m, v)
						if first == nil {
							first = got
							continue
						}
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
								t.Fatalf("n=%d: value %d is %g with GOMAXPROCS=%d (machine state %d), %g with 1", n, i, got[i], procs, state, first[i])
							}
						}
					}
					if state == contended && elementwiseParts(n) > 1 {
						choices.mu.Lock()
						c := *choices.slot(adamKey ^ uint64(n))
						choices.mu.Unlock()
						if c.n[alone] < minTries || c.n[shared] < minTries {
							t.Errorf("n=%d, GOMAXPROCS=%d: contended Adam ran %d times alone and %d shared, want ≥ %d each", n, procs, c.n[alone], c.n[shared], minTries)
						}
					}
				})
			}
		}
	}
}

func TestElementwisePanics(t *testing.T) {
	a, b := make([]float32, 4), make([]float32, 5)
	for name, f := range map[string]func(){
		"Axpy":          func() { Axpy(1, a, b) },
		"LeakyReLU":     func() { LeakyReLU(a, b, 0.2) },
		"Tanh":          func() { Tanh(a, b) },
		"Add":           func() { Add(a, a, b) },
		"Div":           func() { Div(a, b, a) },
		"Accumulate":    func() { AccumulateFloat64(make([]float64, 4), b) },
		"LeakyReLUGrad": func() { LeakyReLUGrad(a, a, b, 0.2) },
		"Adam":          func() { Adam(a, a, a, b, 1, 0.9, 0.999, 1e-8, 1, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s accepted slices of different lengths", name)
				}
			}()
			f()
		})
	}
}

// same reports whether x and y are equal or both NaN.
func same(x, y float32) bool { return x == y || x != x && y != y }

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }
