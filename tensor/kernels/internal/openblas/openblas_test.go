//go:build openblas && cgo

package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/nash-gan/nash/tensor/kernels"
)

// product is one matrix product with its operands.
type product struct {
	transA, transB bool
	m, n, k        int
	beta           float32
	a, b, c        []float32
}

func (p *product) name() string {
	flag := map[bool]string{false: "N", true: "T"}
	return fmt.Sprintf("%s%s_%dx%dx%d", flag[p.transA], flag[p.transB], p.m, p.n, p.k)
}

// lds returns the leading dimensions of A, B and C.
func (p *product) lds() (lda, ldb, ldc int) {
	lda, ldb = p.k, p.n
	if p.transA {
		lda = p.m
	}
	if p.transB {
		ldb = p.k
	}
	return lda, ldb, p.n
}

func (p *product) nash() {
	lda, ldb, ldc := p.lds()
	kernels.Sgemm(p.transA, p.transB, p.m, p.n, p.k, 1, p.a, lda, p.b, ldb, p.beta, p.c, ldc)
}

func (p *product) openblas() {
	lda, ldb, ldc := p.lds()
	Sgemm(p.transA, p.transB, p.m, p.n, p.k, 1, p.a, lda, p.b, ldb, p.beta, p.c, ldc)
}

// products returns the products of one reference GAN step (batch 64,
// y = x·Wᵀ with W stored [out, in]: the forward product, the input gradient
// and the accumulated weight gradient of each layer) and a 1024³ product.
func products() []*product {
	rng := rand.New(rand.NewPCG(1, 1))
	random := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	var ps []*product
	add := func(transA, transB bool, m, n, k int, beta float32) {
		ps = append(ps, &product{transA: transA, transB: transB, m: m, n: n, k: k, beta: beta,
			a: random(m * k), b: random(k * n), c: make([]float32, m*n)})
	}
	for _, l := range [][2]int{{100, 256}, {256, 512}, {512, 784}, {784, 512}, {512, 256}, {256, 1}} {
		in, out := l[0], l[1]
		add(false, true, 64, out, in, 0)
		add(false, false, 64, in, out, 0)
		add(true, false, out, in, 64, 1)
	}
	add(false, false, 1024, 1024, 1024, 0)
	return ps
}

// BenchmarkSgemm reports GFLOP/s of nash and of OpenBLAS on each product,
// on 1 and 2 threads.
func BenchmarkSgemm(b *testing.B) {
	for _, p := range products() {
		for _, threads := range []int{1, 2} {
			for _, lib := range []struct {
				name string
				f    func()
			}{{"nash", p.nash}, {"openblas", p.openblas}} {
				b.Run(fmt.Sprintf("%s/threads=%d/%s", p.name(), threads, lib.name), func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
					SetThreads(threads)
					for b.Loop() {
						lib.f()
					}
					flops := 2 * float64(p.m) * float64(p.n) * float64(p.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestSameProducts checks that the comparison is fair: from the same zero
// C, both libraries compute the same matrices to within float32 rounding.
func TestSameProducts(t *testing.T) {
	for _, p := range products() {
		clear(p.c)
		p.nash()
		got := append([]float32(nil), p.c...)
		clear(p.c)
		p.openblas()
		for i, v := range p.c {
			if d := math.Abs(float64(v - got[i])); d > 1e-4*float64(p.k) {
				t.Fatalf("%s: element %d is %g from OpenBLAS, %g from nash", p.name(), i, v, got[i])
			}
		}
	}
}
