package metrics

import (
	"testing"

	"github.com/nash-gan/nash/tensor"
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

// BenchmarkPRDC times the three blocks of exact distances of PRDC; the
// reported GFLOP/s counts the 3n²d multiply-adds of the Gram matrices.
func BenchmarkPRDC(b *testing.B) {
	const n, d = 2000, 256
	rng := tensor.NewRNG(1, "bench")
	real, fake := normal("real", n, d, 0, 1, rng), normal("fake", n, d, 0, 1, rng)
	for b.Loop() {
		if _, err := PRDC(real, fake, 5); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*6*n*n*d/b.Elapsed().Seconds()/1e9, "GFLOP/s")
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
