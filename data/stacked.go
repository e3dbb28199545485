package data

import (
	"fmt"

	"github.com/nash-gan/nash/tensor"
)

// StackedMNISTName is the name of Stacked MNIST, the mode-collapse
// benchmark of VEEGAN and PacGAN.
const StackedMNISTName = "stacked-mnist"

// StackedMNISTImages is the number of training images of Stacked MNIST,
// and StackedMNISTModes the number of its modes, the digit triples.
const (
	StackedMNISTImages = 128_000
	StackedMNISTModes  = 1000
)

// StackedMNIST returns n images of Stacked MNIST: each stacks three MNIST
// digits drawn independently and uniformly, from rng, among the 70,000
// of MNIST's training and test sets (from dir, or the embedded files when
// dir is empty), in the red, green and blue channels of a 28×28 image. The
// classes, the digit triples 100·r + 10·g + b, do not fit Dataset's
// labels: the dataset has none (evaluate reads a generated image's triple
// with the MNIST classifier).
func StackedMNIST(dir string, n int, rng *tensor.RNG) (*Dataset, error) {
	if n < 1 {
		return nil, fmt.Errorf("data: %s: %d images, want at least 1", StackedMNISTName, n)
	}
	train, err := Load("mnist", dir, "train")
	if err != nil {
		return nil, err
	}
	test, err := Load("mnist", dir, "test")
	if err != nil {
		return nil, err
	}
	if train.H != 28 || train.W != 28 || test.H != 28 || test.W != 28 {
		return nil, fmt.Errorf("data: %s: MNIST's images are %d×%d and %d×%d, want 28×28", StackedMNISTName, train.H, train.W, test.H, test.W)
	}
	digit := func(i int) []uint8 {
		if i < train.N {
			return train.Image(i)
		}
		return test.Image(i - train.N)
	}
	const side = 28 * 28
	out := &Dataset{Name: StackedMNISTName, Split: "train", N: n, C: 3, H: 28, W: 28, Pixels: make([]uint8, n*3*side)}
	for i := range n {
		for c := range 3 {
			copy(out.Pixels[(3*i+c)*side:], digit(rng.IntN(train.N+test.N)))
		}
	}
	return out, nil
}
