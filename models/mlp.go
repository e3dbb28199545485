// Package models builds the generator and discriminator networks nash
// trains, with PyTorch-compatible layer order and parameter names.
package models

import (
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// MLPGenerator returns the reference recipe's generator:
// Linear(zDim, h₀) LeakyReLU(0.2) … Linear(hₖ, out) Tanh, with the recipe's
// hidden sizes 256 and 512 for MNIST (zDim 100, out 784).
func MLPGenerator(zDim int, hidden []int, out int, rng *tensor.RNG) *nn.Sequential {
	return mlp(zDim, hidden, out, rng, nn.Tanh{})
}

// MLPDiscriminator returns the reference recipe's discriminator:
// Linear(in, h₀) LeakyReLU(0.2) … Linear(hₖ, 1), producing one logit per
// sample; the recipe's hidden sizes are 512 and 256.
func MLPDiscriminator(in int, hidden []int, rng *tensor.RNG) *nn.Sequential {
	return mlp(in, hidden, 1, rng, nil)
}

func mlp(in int, hidden []int, out int, rng *tensor.RNG, last nn.Module) *nn.Sequential {
	var layers []nn.Module
	for _, h := range hidden {
		layers = append(layers, nn.NewLinear(in, h, true, rng), nn.LeakyReLU{Slope: 0.2})
		in = h
	}
	layers = append(layers, nn.NewLinear(in, out, true, rng))
	if last != nil {
		layers = append(layers, last)
	}
	return nn.NewSequential(layers...)
}
