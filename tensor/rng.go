package tensor

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// RNG is a deterministic random number generator: a PCG stream selected by a
// seed and a name, so that independent consumers (initialisation, noise,
// shuffling) draw from independent streams and adding one consumer does not
// change another's numbers. Its full state can be saved and restored.
type RNG struct {
	src *rand.PCG
	r   *rand.Rand
}

// NewRNG returns the stream named name of the given seed.
func NewRNG(seed uint64, name string) *RNG {
	h := fnv.New64a()
	h.Write([]byte(name))
	src := rand.NewPCG(seed, h.Sum64())
	return &RNG{src: src, r: rand.New(src)}
}

// Uint64 returns a uniformly distributed 64-bit value.
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// IntN returns a uniform integer in [0, n).
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// Float32 returns a uniform value in [0, 1).
func (g *RNG) Float32() float32 { return g.r.Float32() }

// Float64 returns a uniform value in [0, 1).
func (g *RNG) Float64() float64 { return g.r.Float64() }

// Norm returns a standard normal value.
func (g *RNG) Norm() float64 { return g.r.NormFloat64() }

// Perm fills p with a uniformly random permutation of 0..len(p)-1.
func (g *RNG) Perm(p []int) {
	for i := range p {
		p[i] = i
	}
	g.r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
}

// Uniform fills t with values uniform in [lo, hi).
func (g *RNG) Uniform(t *Tensor, lo, hi float32) {
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*g.r.Float32()
	}
}

// Normal fills t with values from N(mean, std²).
func (g *RNG) Normal(t *Tensor, mean, std float32) {
	for i := range t.data {
		t.data[i] = mean + std*float32(g.r.NormFloat64())
	}
}

// MarshalBinary returns the generator's state.
func (g *RNG) MarshalBinary() ([]byte, error) { return g.src.MarshalBinary() }

// UnmarshalBinary restores a state returned by MarshalBinary.
func (g *RNG) UnmarshalBinary(b []byte) error {
	if err := g.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("tensor: RNG state: %w", err)
	}
	return nil
}

// isFinite reports whether v is neither NaN nor infinite.
func isFinite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// AllFinite reports whether every element of t is finite.
func (t *Tensor) AllFinite() bool {
	for _, v := range t.data {
		if !isFinite(v) {
			return false
		}
	}
	return true
}
