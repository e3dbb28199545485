package train

import (
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// SampleGrid writes to out a PNG grid of n samples from the last checkpoint
// of the run in dir, with the generator's noise drawn from seed. Rows hold
// up to 8 samples.
func SampleGrid(dir string, n int, seed uint64, out string) error {
	t, err := LoadRun(dir)
	if err != nil {
		return err
	}
	z := t.GAN.Noise(n, tensor.NewRNG(seed, "sample"))
	x := t.GAN.Sample(z).Reshape(n, t.Shape.C, t.Shape.H, t.Shape.W)
	return images.WritePNG(out, images.Grid(x, 8, 2))
}
