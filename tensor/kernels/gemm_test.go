package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// matrix is a row-major test matrix with a leading dimension that may
// exceed its width; padding holds a sentinel.
type matrix struct {
	rows, cols, ld int
	data           []float32
}

// sentinel fills padding: reading it into a product poisons the result,
// and writing over it is detected.
var sentinel = float32(math.NaN())

func newMatrix(rng *rand.Rand, rows, cols, pad int) matrix {
	ld := max(cols, 1) + pad
	x := matrix{rows: rows, cols: cols, ld: ld, data: make([]float32, rows*ld)}
	for i := range x.data {
		if i%ld < cols {
			x.data[i] = float32(rng.NormFloat64())
		} else {
			x.data[i] = sentinel
		}
	}
	return x
}

// at returns element (i, j) of op(x).
func (x matrix) at(trans bool, i, j int) float32 {
	if trans {
		i, j = j, i
	}
	return x.data[i*x.ld+j]
}

// gemmCase is one Sgemm call to check.
type gemmCase struct {
	transA, transB   bool
	m, n, k          int
	alpha, beta      float32
	padA, padB, padC int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d/%d/%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// operands returns random A, B and C for tc. When beta == 0, C holds NaN,
// which Sgemm must ignore.
func (tc gemmCase) operands(rng *rand.Rand) (a, b, c matrix) {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	a = newMatrix(rng, ar, ac, tc.padA)
	b = newMatrix(rng, br, bc, tc.padB)
	c = newMatrix(rng, tc.m, tc.n, tc.padC)
	if tc.beta == 0 {
		for i := range c.data {
			if i%c.ld < tc.n {
				c.data[i] = float32(math.NaN())
			}
		}
	}
	return a, b, c
}

// sgemm calls Sgemm on the test matrices.
func (tc gemmCase) sgemm(a, b, c matrix) {
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.data, a.ld, b.data, b.ld, tc.beta, c.data, c.ld)
}

// check compares got, the result of tc on a, b and the original c0, with a
// float64 reference. Each element may differ from the exact value by the
// float32 error bound of a k-term dot product plus the final scaling:
// (k+3)·2⁻²³ times |alpha|·Σ|a·b| + |beta·c|.
func (tc gemmCase) check(t *testing.T, a, b, c0, got matrix) {
	t.Helper()
	bad := 0
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, mag float64
			for p := 0; p < tc.k; p++ {
				x := float64(a.at(tc.transA, i, p)) * float64(b.at(tc.transB, p, j))
				s += x
				mag += math.Abs(x)
			}
			want := float64(tc.alpha) * s
			bound := math.Abs(float64(tc.alpha)) * mag
			if tc.beta != 0 {
				cv := float64(tc.beta) * float64(c0.data[i*c0.ld+j])
				want += cv
				bound += math.Abs(cv)
			}
			bound *= float64(tc.k+3) * 0x1p-23
			g := float64(got.data[i*got.ld+j])
			if !(math.Abs(g-want) <= bound) {
				if bad++; bad <= 3 {
					t.Errorf("%v: C[%d,%d] = %g, want %g ± %.3g", tc, i, j, g, want, bound)
				}
			}
		}
		for j := tc.n; j < got.ld; j++ {
			if v := got.data[i*got.ld+j]; !math.IsNaN(float64(v)) {
				t.Fatalf("%v: padding C[%d,%d] overwritten with %g", tc, i, j, v)
			}
		}
	}
}

// run checks tc with fresh random operands.
func (tc gemmCase) run(t *testing.T, rng *rand.Rand) {
	t.Helper()
	a, b, c := tc.operands(rng)
	c0 := matrix{rows: c.rows, cols: c.cols, ld: c.ld, data: slices.Clone(c.data)}
	tc.sgemm(a, b, c)
	tc.check(t, a, b, c0, c)
}

// withKernel runs f with Sgemm forced to use ker.
func withKernel(t *testing.T, ker *microKernel, f func(t *testing.T)) {
	t.Run(ker.name, func(t *testing.T) {
		saved := activeKernel
		activeKernel = ker
		defer func() { activeKernel = saved }()
		f(t)
	})
}

// edgeSizes straddle the micro-tile and block sizes of every kernel.
var edgeSizes = []int{1, 7, 15, 17, 63, 65, 127}

var scalars = [][2]float32{{1, 0}, {1, 1}, {0, 1}, {0, 0}, {-0.75, 0}, {1, -2.5}, {1.5, 0.5}, {0, -3}, {-2, 1}}

func TestSgemmShapes(t *testing.T) {
	for _, ker := range testKernels() {
		withKernel(t, ker, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			i := 0
			for _, m := range edgeSizes {
				for _, n := range edgeSizes {
					for _, k := range edgeSizes {
						ab := scalars[i%len(scalars)]
						tc := gemmCase{
							transA: i%2 == 1, transB: i/2%2 == 1,
							m: m, n: n, k: k, alpha: ab[0], beta: ab[1],
							padA: i % 3, padB: i % 5, padC: i % 2,
						}
						tc.run(t, rng)
						i++
					}
				}
			}
		})
	}
}

func TestSgemmFlagsAndScalars(t *testing.T) {
	shapes := [][3]int{{6, 16, 8}, {13, 35, 300}, {64, 100, 256}, {130, 33, 17}, {14, 32, 4}, {28, 64, 641}, {211, 1050, 9}}
	for _, ker := range testKernels() {
		withKernel(t, ker, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for _, s := range shapes {
				for flags := 0; flags < 4; flags++ {
					for _, ab := range scalars {
						tc := gemmCase{
							transA: flags&1 != 0, transB: flags&2 != 0,
							m: s[0], n: s[1], k: s[2], alpha: ab[0], beta: ab[1],
							padA: 3, padB: 1, padC: 5,
						}
						tc.run(t, rng)
					}
				}
			}
		})
	}
}

// TestSgemmTiles checks every tile size of every kernel: products no larger
// than one micro-tile, with A read in place and packed, and C's rows wider
// than the tile.
func TestSgemmTiles(t *testing.T) {
	for _, ker := range testKernels() {
		withKernel(t, ker, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(15, 16))
			for m := 1; m <= ker.mr; m++ {
				for n := 1; n <= ker.nr; n++ {
					for _, transA := range []bool{false, true} {
						ab := scalars[(m+n)%len(scalars)]
						tc := gemmCase{transA: transA, transB: n%2 == 0, m: m, n: n, k: 5 + m%4, alpha: ab[0], beta: ab[1], padC: 3}
						tc.run(t, rng)
					}
				}
			}
		})
	}
}

// TestSgemmColumn checks that a product into a contiguous column, which
// Sgemm computes as its transpose, is bit-identical to the same product
// into a strided column, which it computes directly.
func TestSgemmColumn(t *testing.T) {
	for _, ker := range testKernels() {
		withKernel(t, ker, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(25, 26))
			for _, s := range [][2]int{{64, 256}, {7, 17}, {130, 700}, {1, 5}} {
				for flags := 0; flags < 4; flags++ {
					for _, ab := range scalars {
						tc := gemmCase{transA: flags&1 != 0, transB: flags&2 != 0, m: s[0], n: 1, k: s[1], alpha: ab[0], beta: ab[1], padA: 1, padB: 2}
						a, b, c := tc.operands(rng)
						strided := matrix{rows: c.rows, cols: 1, ld: 2, data: make([]float32, 2*c.rows)}
						for i := range c.rows {
							strided.data[2*i], strided.data[2*i+1] = c.data[i], sentinel
						}
						c0 := matrix{rows: c.rows, cols: 1, ld: 1, data: slices.Clone(c.data)}
						tc.sgemm(a, b, c)
						tc.check(t, a, b, c0, c)
						tc.sgemm(a, b, strided)
						for i := range c.rows {
							if got, want := math.Float32bits(c.data[i]), math.Float32bits(strided.data[2*i]); got != want {
								t.Fatalf("%v: C[%d] is %g contiguous, %g strided", tc, i, c.data[i], strided.data[2*i])
							}
						}
					}
				}
			}
		})
	}
}

func TestSgemmEmpty(t *testing.T) {
	for _, ker := range testKernels() {
		withKernel(t, ker, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			for _, tc := range []gemmCase{
				{m: 5, n: 7, k: 0, alpha: 1, beta: 0},
				{m: 5, n: 7, k: 0, alpha: 1, beta: 2},
				{m: 5, n: 7, k: 0, alpha: 1, beta: 1, transA: true, transB: true},
				{m: 0, n: 7, k: 3, alpha: 1, beta: 0, padC: 1},
				{m: 5, n: 0, k: 3, alpha: 1, beta: 0, padC: 1},
				{m: 4, n: 3, k: 9, alpha: 0, beta: 0.5, transB: true},
			} {
				tc.run(t, rng)
			}
		})
	}
}

// TestSgemmGoroutines checks that results are bit-identical at every
// worker count, on shapes above the parallel threshold split both ways,
// into one part per thread (a quiet machine) and more (a contended one),
// and computed alone by a contended machine's choice.
func TestSgemmGoroutines(t *testing.T) {
	shapes := []gemmCase{
		{m: 64, n: 784, k: 512, transB: true, alpha: 1},
		{m: 64, n: 100, k: 256, alpha: 1, beta: 1},
		{m: 512, n: 784, k: 64, transA: true, alpha: 1, beta: 1},
		{m: 257, n: 127, k: 300, transA: true, transB: true, alpha: -0.5, beta: 2, padA: 1, padB: 3, padC: 7},
		{m: 1000, n: 20, k: 65, alpha: 1},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, ker := range testKernels() {
		withKernel(t, ker, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			for _, tc := range shapes {
				a, b, c0 := tc.operands(rng)
				var first []float32
				for _, r := range []struct {
					procs int
					state int32
				}{{1, quiet}, {2, quiet}, {3, quiet}, {4, quiet}, {2, contended}, {3, contended}} {
					runtime.GOMAXPROCS(r.procs)
					// On a contended machine a new shape runs
					// shared first, then alone.
					withContention(r.state, func() {
						for way := range 2 {
							c := matrix{rows: c0.rows, cols: c0.cols, ld: c0.ld, data: slices.Clone(c0.data)}
							tc.sgemm(a, b, c)
							if r.procs == 1 {
								tc.check(t, a, b, c0, c)
								first = c.data
								return
							}
							for i := range first {
								if math.Float32bits(first[i]) != math.Float32bits(c.data[i]) {
									t.Fatalf("%v: element %d is %g with GOMAXPROCS=%d (machine state %d, call %d), %g with 1", tc, i, c.data[i], r.procs, r.state, way, first[i])
								}
							}
						}
					})
				}
			}
		})
	}
}

// TestSgemmAllocs checks that steady-state calls allocate nothing, on the
// calling goroutine and when the work is shared out on a quiet or a
// contended machine.
func TestSgemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(9, 10))
	for _, procs := range []int{1, 2, 4} {
		for _, tc := range []gemmCase{
			{m: 64, n: 512, k: 256, transB: true, alpha: 1},
			{m: 8, n: 8, k: 8, alpha: 1},
		} {
			for _, state := range []int32{quiet, contended} {
				runtime.GOMAXPROCS(procs)
				a, b, c := tc.operands(rng)
				withContention(state, func() {
					tc.sgemm(a, b, c)
					if allocs := testing.AllocsPerRun(20, func() { tc.sgemm(a, b, c) }); allocs != 0 {
						t.Errorf("%v, GOMAXPROCS=%d, machine state %d: %v allocations per call, want 0", tc, procs, state, allocs)
					}
				})
			}
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	buf := make([]float32, 100)
	for _, tc := range []struct {
		name           string
		m, n, k        int
		a, b, c        []float32
		lda, ldb, ldc  int
		transA, transB bool
	}{
		{name: "negative m", m: -1, n: 2, k: 2, a: buf, b: buf, c: buf, lda: 2, ldb: 2, ldc: 2},
		{name: "short lda", m: 2, n: 2, k: 3, a: buf, b: buf, c: buf, lda: 2, ldb: 2, ldc: 2},
		{name: "short ldb transposed", m: 2, n: 2, k: 3, a: buf, b: buf, c: buf, lda: 3, ldb: 2, ldc: 2, transB: true},
		{name: "short ldc", m: 2, n: 4, k: 3, a: buf, b: buf, c: buf, lda: 3, ldb: 4, ldc: 3},
		{name: "short A", m: 20, n: 2, k: 10, a: buf, b: buf, c: buf, lda: 10, ldb: 2, ldc: 2},
		{name: "short C", m: 11, n: 10, k: 1, a: buf, b: buf, c: buf, lda: 1, ldb: 10, ldc: 10},
		{name: "zero ld", m: 0, n: 0, k: 0, a: buf, b: buf, c: buf, lda: 0, ldb: 1, ldc: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Sgemm did not panic")
				}
			}()
			Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ldc)
		})
	}
}

func FuzzSgemm(f *testing.F) {
	f.Add(uint8(64), uint8(100), uint8(255), uint8(2), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(7), uint8(17), uint8(1), uint8(1), uint8(3), uint8(1), uint64(2))
	f.Add(uint8(1), uint8(1), uint8(0), uint8(3), uint8(1), uint8(2), uint64(3))
	f.Add(uint8(65), uint8(33), uint8(129), uint8(0), uint8(5), uint8(4), uint64(4))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pads, scalar uint8, seed uint64) {
		tc := gemmCase{
			transA: flags&1 != 0, transB: flags&2 != 0,
			m: int(m), n: int(n), k: int(k),
			alpha: scalars[int(scalar)%len(scalars)][0], beta: scalars[int(scalar)%len(scalars)][1],
			padA: int(pads & 3), padB: int(pads >> 2 & 3), padC: int(pads >> 4 & 3),
		}
		for _, ker := range testKernels() {
			withKernel(t, ker, func(t *testing.T) {
				tc.run(t, rand.New(rand.NewPCG(seed, 0)))
			})
		}
	})
}
