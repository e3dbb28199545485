package train

import (
	"github.com/nash-gan/nash/images"
)

// SampleGrid writes to out a PNG grid of n samples from the last checkpoint
// of the run in dir, with the generator's noise drawn from seed, of the
// given class (−1: none; see Trained.Samples). Rows hold up to 8 samples.
func SampleGrid(dir string, n int, seed uint64, class int, out string) error {
	t, err := LoadRun(dir)
	if err != nil {
		return err
	}
	x, err := t.Samples(n, seed, class)
	if err != nil {
		return err
	}
	return images.WritePNG(out, images.Grid(x, 8, 2))
}
