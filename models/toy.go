package models

import (
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// ToyGenerator returns an MLP generator for 2-D data: Linear and ReLU
// layers of the given hidden sizes, then Linear(hₖ, 2) with no squashing,
// since the mixtures' modes lie beyond [−1, 1].
func ToyGenerator(zDim int, hidden []int, rng *tensor.RNG) *nn.Sequential {
	return relu(zDim, hidden, 2, rng)
}

// ToyDiscriminator returns an MLP discriminator for 2-D data: Linear and
// ReLU layers of the given hidden sizes, then Linear(hₖ, 1); it judges
// pack points at once (PacGAN), 2·pack values.
func ToyDiscriminator(hidden []int, pack int, rng *tensor.RNG) *nn.Sequential {
	return relu(2*pack, hidden, 1, rng)
}

func relu(in int, hidden []int, out int, rng *tensor.RNG) *nn.Sequential {
	var layers []nn.Module
	for _, h := range hidden {
		layers = append(layers, nn.NewLinear(in, h, true, rng), nn.ReLU{})
		in = h
	}
	return nn.NewSequential(append(layers, nn.NewLinear(in, out, true, rng))...)
}
