package models

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// stateHash returns the SHA-256 of m's parameters and then its buffers, in
// order, each as its name, its shape and its values' bits.
func stateHash(m nn.Module) string {
	h := sha256.New()
	add := func(name string, t *tensor.Tensor) {
		fmt.Fprintf(h, "%s%v;", name, t.Shape())
		for _, v := range t.Data() {
			binary.Write(h, binary.LittleEndian, math.Float32bits(v))
		}
	}
	for _, p := range m.Parameters() {
		add(p.Name, p.Value)
	}
	if bh, ok := m.(nn.BufferHolder); ok {
		for _, b := range bh.Buffers() {
			add(b.Name, b.Value)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestInitAndSpectralNormKeepTheirDraws builds networks as train does, with
// nn.InitDCGAN on the same modules and nn.SpectralNormAll on the
// discriminators, and compares their state dicts (names, order and values)
// with those recorded at commit 265cb89, when train special-cased the
// projection discriminator and Walk knew only Sequential and Spectral: runs
// started before keep their weights and resume bit for bit.
func TestInitAndSpectralNormKeepTheirDraws(t *testing.T) {
	for _, c := range []struct {
		name     string
		build    func(*tensor.RNG) nn.Module
		spectral bool
		want     string
	}{
		{"MLPDiscriminator", func(rng *tensor.RNG) nn.Module { return MLPDiscriminator(784, []int{512, 256}, rng) },
			true, "4262bdc70196ba6356424bbc99b9b8117590b130da3df2f1ff7c9c931eeba80d"},
		{"ProjectionMLPDiscriminator", func(rng *tensor.RNG) nn.Module {
			return ProjectionMLPDiscriminator(10, 784, []int{512, 256}, rng)
		}, true, "b748431402d763e8a91f52e8ef0e7ada6f335c283d9633ce6fa13686f0b59b8b"},
		{"DCGANDiscriminator", func(rng *tensor.RNG) nn.Module {
			d := DCGANDiscriminator(1, false, rng)
			nn.InitDCGAN(d, rng)
			return d
		}, true, "565dd3a5b1751007edac09d3c8614e296cc602576711bb4b5eb9a363268417e3"},
		{"ProjectionDCGANDiscriminator", func(rng *tensor.RNG) nn.Module {
			d := ProjectionDCGANDiscriminator(10, 1, rng)
			nn.InitDCGAN(d.Body, rng)
			return d
		}, true, "462a4a0dd316eb5d71e1d549b9473ea14e899eb4f657286260c5bf7d5b6ef139"},
		{"RadfordDiscriminator", func(rng *tensor.RNG) nn.Module {
			d := RadfordDiscriminator(64, 3, 8, rng)
			nn.InitDCGAN(d, rng)
			return d
		}, true, "2744d2ae08eb65dcd6c61f9c0e3988fb4951ed7653711bd665b51b280b746908"},
		{"ProjectionRadfordDiscriminator", func(rng *tensor.RNG) nn.Module {
			d := ProjectionRadfordDiscriminator(10, 32, 3, 8, rng)
			nn.InitDCGAN(d.Body, rng)
			nn.InitDCGAN(d.Head, rng)
			return d
		}, true, "e5fffc86bc8e28ef4231b72689b635c0373bd7265f58f20541f589483869b8e1"},
		{"DCGANGenerator", func(rng *tensor.RNG) nn.Module {
			g := DCGANGenerator(100, 1, true, rng)
			nn.InitDCGAN(g, rng)
			return g
		}, false, "516fe6a2171115abddb1b1008b091f46b3801445b11a742505668f6c545d5126"},
		{"ConditionalDCGANGenerator", func(rng *tensor.RNG) nn.Module {
			g := ConditionalDCGANGenerator(10, 100, 1, rng)
			nn.InitDCGAN(g.Net, rng)
			return g
		}, false, "9859805efd21d5b1e064e7046a13b66cc2a60627704f158f664377af32f3b112"},
		{"ConditionalRadfordGenerator", func(rng *tensor.RNG) nn.Module {
			g := ConditionalRadfordGenerator(10, 32, 100, 3, 8, rng)
			nn.InitDCGAN(g.Net, rng)
			return g
		}, false, "72d5a50511e6aab39ed6f483fdf4344ae875caa747b42320781581a0cdc7820a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := c.build(tensor.NewRNG(7, "init"))
			if c.spectral {
				nn.SpectralNormAll(m, tensor.NewRNG(7, "spectral"))
			}
			if got := stateHash(m); got != c.want {
				t.Fatalf("state dict hash %s, want %s", got, c.want)
			}
		})
	}
}

// TestInitDCGANThroughComposites checks that InitDCGAN of a conditional
// network reaches the same layers, in the same order, as InitDCGAN of its
// parts, which is how train initialises them.
func TestInitDCGANThroughComposites(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(*tensor.RNG) nn.Container
	}{
		{"ConditionalRadfordGenerator", func(rng *tensor.RNG) nn.Container {
			return ConditionalRadfordGenerator(10, 32, 100, 3, 8, rng)
		}},
		{"ProjectionRadfordDiscriminator", func(rng *tensor.RNG) nn.Container {
			return ProjectionRadfordDiscriminator(10, 32, 3, 8, rng)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			whole, parts := c.build(tensor.NewRNG(1, "init")), c.build(tensor.NewRNG(1, "init"))
			nn.InitDCGAN(whole, tensor.NewRNG(1, "dcgan"))
			rng := tensor.NewRNG(1, "dcgan")
			for _, child := range parts.Children() {
				nn.InitDCGAN(child.Module, rng)
			}
			if got, want := stateHash(whole), stateHash(parts); got != want {
				t.Fatal("InitDCGAN of the network differs from InitDCGAN of its children in order")
			}
		})
	}
}

// TestCompositeChildren checks that the children of the conditional
// networks are their submodules, named as the prefixes of their state
// dicts.
func TestCompositeChildren(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		name  string
		c     nn.Container
		names []string
	}{
		{"ConditionalMLPGenerator", ConditionalMLPGenerator(10, 100, []int{16}, 784, rng), []string{"embed", "net"}},
		{"ConditionalDCGANGenerator", ConditionalDCGANGenerator(10, 100, 1, rng), []string{"embed", "net"}},
		{"ProjectionMLPDiscriminator", ProjectionMLPDiscriminator(10, 784, []int{32, 16}, rng), []string{"body", "head", "embed"}},
		{"ProjectionRadfordDiscriminator", ProjectionRadfordDiscriminator(5, 32, 3, 8, rng), []string{"body", "head", "embed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var names, want []string
			for _, child := range c.c.Children() {
				names = append(names, child.Name)
				for _, s := range stateShapes(child.Module) {
					want = append(want, child.Name+"."+s)
				}
			}
			if !reflect.DeepEqual(names, c.names) {
				t.Fatalf("children %v, want %v", names, c.names)
			}
			got := stateShapes(c.c)
			if !sameElements(got, want) {
				t.Fatalf("state dict %v, the children's prefixed %v", got, want)
			}
		})
	}
}

// sameElements reports whether a and b hold the same strings, in any order:
// a module lists all its parameters before all its buffers.
func sameElements(a, b []string) bool {
	count := make(map[string]int)
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestCompositeSetChild(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	g := ConditionalMLPGenerator(3, 4, []int{8}, 2, rng)
	d := ProjectionMLPDiscriminator(3, 2, []int{8, 8}, rng)
	net, head, embed := MLPGenerator(7, []int{8}, 2, rng), nn.NewLinear(8, 1, true, rng), nn.NewEmbedding(3, 8, rng)
	g.SetChild(1, net)
	d.SetChild(1, head)
	d.SetChild(2, embed)
	if g.Net != nn.Module(net) || d.Head != nn.Module(head) || d.Embed != embed {
		t.Fatal("SetChild did not replace the child")
	}
	for _, c := range []struct {
		name string
		set  func()
	}{
		{"generator embed not an Embedding", func() { g.SetChild(0, nn.NewLinear(1, 1, true, rng)) }},
		{"generator child 2", func() { g.SetChild(2, net) }},
		{"discriminator embed not an Embedding", func() { d.SetChild(2, head) }},
		{"discriminator child 3", func() { d.SetChild(3, head) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("SetChild did not panic")
				}
			}()
			c.set()
		})
	}
}
