// Package models builds the generator and discriminator networks nash
// trains, with PyTorch-compatible layer order and parameter names.
package models

import (
	"fmt"

	"github.com/nash-gan/nash/data"
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

// The recipe's hidden sizes, and those of both networks for 2-D points.
var (
	mlpGeneratorHidden     = []int{256, 512}
	mlpDiscriminatorHidden = []int{512, 256}
	toyHidden              = []int{128, 128, 128}
)

func init() {
	Register(Family{
		Name:  "mlp",
		Help:  "the reference recipe's MLPs; a smaller ReLU MLP for 2-D points",
		Data:  []data.Kind{data.Images, data.Points},
		Flat:  true,
		Build: buildMLP,
	})
}

// buildMLP builds the recipe's generator and discriminator (their
// conditional forms when s has classes), or the toy MLPs for 2-D points.
func buildMLP(s Spec, rng *tensor.RNG) (Networks, error) {
	switch {
	case s.Data == data.Points && s.Classes > 0:
		return nil, fmt.Errorf("2-D points have no classes to condition on")
	case s.Data == data.Points:
		return Networks{"generator": ToyGenerator(s.ZDim, toyHidden, rng), "discriminator": ToyDiscriminator(toyHidden, s.DInput().Len()/2, rng)}, nil
	case s.Classes > 0:
		g := ConditionalMLPGenerator(s.Classes, s.ZDim, mlpGeneratorHidden, s.Sample.Len(), rng)
		return Networks{"generator": g, "discriminator": ProjectionMLPDiscriminator(s.Classes, s.Sample.Len(), mlpDiscriminatorHidden, rng)}, nil
	}
	g := MLPGenerator(s.ZDim, mlpGeneratorHidden, s.Sample.Len(), rng)
	return Networks{"generator": g, "discriminator": MLPDiscriminator(s.DInput().Len(), mlpDiscriminatorHidden, rng)}, nil
}
