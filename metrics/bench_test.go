package metrics

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
)

// BenchmarkFID times FID at the dimension of a small feature extractor.
func BenchmarkFID(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	real, fake := normal("real", 2000, 256, 0, 1, rng), normal("fake", 2000, 256, 0.1, 1, rng)
	for b.Loop() {
		if _, err := FID(real, fake); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKID times KID with 10 subsets of 1000.
func BenchmarkKID(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	real, fake := normal("real", 2000, 256, 0, 1, rng), normal("fake", 2000, 256, 0.1, 1, rng)
	for b.Loop() {
		if _, err := KID(real, fake, 10, 1000, tensor.NewRNG(1, "kid")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPRDC times PRDC at the size of Naeem et al.'s check, 10,000
// real and 10,000 fake points in d = 1000 with k = 5; the reported GFLOP/s
// counts the 3n²d multiply-adds of the three blocks of inner products.
func BenchmarkPRDC(b *testing.B) {
	const n, d = 10000, 1000
	real := normal("real", n, d, 0, 1, tensor.NewRNG(7, "real"))
	fake := normal("fake", n, d, 0, 1, tensor.NewRNG(7, "fake"))
	for b.Loop() {
		if _, err := PRDC(real, fake, 5); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*6*n*n*d/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkNearest times the nearest-neighbour search of memorisation: for
// 10,000 generated samples, the nearest of 60,000 training samples in
// pixel space (d = 784, values in [0, 1)) and in feature space (d = 128).
func BenchmarkNearest(b *testing.B) {
	for _, d := range []int{784, 128} {
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) {
			rng := tensor.NewRNG(1, "bench")
			gen, train := uniform("gen", 10000, d, rng), uniform("train", 60000, d, rng)
			idx := make([]int, gen.Len())
			for b.Loop() {
				nearestDistances(prepare(gen), prepare(train), idx)
			}
			b.ReportMetric(float64(b.N)*2*10000*60000*float64(d)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkMemorisation times MemorisationTest in pixel space at the size
// of nash eval --memorisation-n 10000 on MNIST: 10,000 generated and 10,000
// test samples against 60,000 training samples in d = 784, 10 cells.
func BenchmarkMemorisation(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	gen, test, train := uniform("gen", 10000, 784, rng), uniform("test", 10000, 784, rng), uniform("train", 60000, 784, rng)
	for b.Loop() {
		if _, err := MemorisationTest(train, test, gen, 10, tensor.NewRNG(1, "memorisation")); err != nil {
			b.Fatal(err)
		}
	}
}

// uniform returns n points uniform in [0, 1)^d.
func uniform(name string, n, d int, rng *tensor.RNG) *Features {
	data := make([]float64, n*d)
	for i := range data {
		data[i] = rng.Float64()
	}
	f, err := NewFeatures(name, data, n, d)
	if err != nil {
		panic(err)
	}
	return f
}

// BenchmarkGram compares the two products that could bracket the
// distances, for one block of 256 × 8192 inner products in d = 1000: the
// engine's float32 kernels.Sgemm, which the screen uses, and gonum's
// float64 Dgemm.
func BenchmarkGram(b *testing.B) {
	const m, n, d = 256, 8192, 1000
	rng := tensor.NewRNG(1, "bench")
	x, y := normal("x", m, d, 0, 1, rng), normal("y", n, d, 0, 1, rng)
	b.Run("Sgemm", func(b *testing.B) {
		x32, y32, c := toFloat32(x.data, 1), toFloat32(y.data, 1), make([]float32, m*n)
		for b.Loop() {
			kernels.Sgemm(false, true, m, n, d, 1, x32, d, y32, d, 0, c, n)
		}
		b.ReportMetric(float64(b.N)*2*m*n*d/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("Dgemm", func(b *testing.B) {
		X := blas64.General{Rows: m, Cols: d, Stride: d, Data: x.data}
		Y := blas64.General{Rows: n, Cols: d, Stride: d, Data: y.data}
		C := blas64.General{Rows: m, Cols: n, Stride: n, Data: make([]float64, m*n)}
		for b.Loop() {
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, X, Y, 0, C)
		}
		b.ReportMetric(float64(b.N)*2*m*n*d/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// BenchmarkMMDTest times the permutation test of 1000 + 1000 samples.
func BenchmarkMMDTest(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	x, y := normal("x", 1000, 64, 0, 1, rng), normal("y", 1000, 64, 0, 1, rng)
	for b.Loop() {
		if _, err := MMDTest(x, y, 1000, tensor.NewRNG(1, "mmd")); err != nil {
			b.Fatal(err)
		}
	}
}
