package classifier

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// TrainConfig is what nash classifier train takes.
type TrainConfig struct {
	// Dataset is "mnist", "fashion-mnist" or "printed" (data.Printed,
	// grey 28×28, rendered by nash); Dir the folder of its IDX
	// files (empty for the embedded MNIST).
	Dataset string
	Dir     string `json:"-"`
	// Epochs, Batch and LR: Adam with β = (0.9, 0.999) from LR, decayed
	// along a cosine to LR/100 at the last step.
	Epochs, Batch int
	LR            float32
	// Shift is the largest random translation, in pixels, of each
	// training image; Flip mirrors half of them left to right (for
	// Fashion-MNIST, whose classes are mirror-symmetric).
	Shift int
	Flip  bool
	// Seed seeds the initialisation, the data order, the augmentation
	// and dropout.
	Seed uint64
}

// DefaultTrainConfig returns the settings the embedded weights were
// trained with for dataset.
func DefaultTrainConfig(dataset string) TrainConfig {
	c := TrainConfig{Dataset: dataset, Epochs: 6, Batch: 64, LR: 2e-3, Shift: 2, Seed: 1}
	if dataset == "fashion-mnist" {
		c.Epochs, c.Flip = 10, true
	}
	return c
}

// Validate checks c before any data is read.
func (c TrainConfig) Validate() error {
	switch c.Dataset {
	case "mnist", "fashion-mnist", "printed":
	default:
		return fmt.Errorf("classifier: dataset %q: want mnist, fashion-mnist or printed", c.Dataset)
	}
	for _, v := range []struct {
		name string
		ok   bool
		val  any
	}{
		{"epochs", c.Epochs >= 1, c.Epochs}, {"batch", c.Batch >= 2, c.Batch},
		{"lr", c.LR > 0 && !math.IsInf(float64(c.LR), 0), c.LR}, {"shift", c.Shift >= 0 && c.Shift < Side/2, c.Shift},
	} {
		if !v.ok {
			return fmt.Errorf("classifier: %s %v out of range", v.name, v.val)
		}
	}
	return nil
}

// Trained is a trained network with its test accuracy.
type Trained struct {
	Net      *Net
	Config   TrainConfig
	Accuracy float64
}

// Train trains a network as c describes, printing the loss and the test
// accuracy after every epoch to log.
func Train(c TrainConfig, log io.Writer) (*Trained, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	trainSet, err := data.Load(c.Dataset, c.Dir, "train")
	if err != nil {
		return nil, err
	}
	testSet, err := data.Load(c.Dataset, c.Dir, "test")
	if err != nil {
		return nil, err
	}
	for _, ds := range []*data.Dataset{trainSet, testSet} {
		if err := checkGeometry(ds); err != nil {
			return nil, err
		}
	}
	if c.Batch > trainSet.N {
		return nil, fmt.Errorf("classifier: batch %d is more than the %d training images of %s", c.Batch, trainSet.N, c.Dataset)
	}
	net := New(tensor.NewRNG(c.Seed, "classifier/init"), tensor.NewRNG(c.Seed, "classifier/dropout"))
	params := nn.Vars(net.Seq.Parameters())
	opt := optim.NewAdam(params, c.LR, 0.9, 0.999)
	loader := data.NewLoader(trainSet, c.Batch, tensor.NewRNG(c.Seed, "classifier/data"))
	augment := tensor.NewRNG(c.Seed, "classifier/augment")
	batch := tensor.New(c.Batch, 1, Side, Side)
	shifted := tensor.New(c.Batch, 1, Side, Side)
	labels := make([]int, c.Batch)
	tp := autograd.NewTape()
	total := c.Epochs * loader.StepsPerEpoch()
	fmt.Fprintf(log, "classifier: training %s on %s (%d images, %d epochs, %d steps)\n",
		Architecture, c.Dataset, trainSet.N, c.Epochs, total)
	var acc float64
	step := 0
	for epoch := range c.Epochs {
		start := time.Now()
		var lossSum float64
		for range loader.StepsPerEpoch() {
			progress := float64(step) / float64(total)
			step++
			opt.LR = c.LR * float32(0.01+0.99*0.5*(1+math.Cos(math.Pi*progress)))
			b := loader.Next(batch, labels)
			augmentBatch(shifted, batch, b.N, c.Shift, c.Flip, augment)
			x := tensor.FromSlice(shifted.Data()[:b.N*Side*Side], b.N, 1, Side, Side)
			_, logits := net.Forward(tp, tp.Const(x))
			loss := CrossEntropy(tp, logits, labels[:b.N])
			lossSum += float64(loss.Value.Item()) * float64(b.N)
			opt.ZeroGrad()
			tp.Backward(loss, params...)
			opt.Step()
			tp.Reset()
		}
		if math.IsNaN(lossSum) || math.IsInf(lossSum, 0) {
			return nil, fmt.Errorf("classifier: epoch %d: non-finite training loss", epoch+1)
		}
		if acc, err = Accuracy(net, testSet); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "epoch %2d  loss %.4f  test accuracy %.2f%%  %.0fs\n",
			epoch+1, lossSum/float64(trainSet.N), 100*acc, time.Since(start).Seconds())
	}
	return &Trained{Net: net, Config: c, Accuracy: acc}, nil
}

// checkGeometry returns an error unless ds holds 28×28 single-channel
// images with labels below Classes.
func checkGeometry(ds *data.Dataset) error {
	if ds.C != 1 || ds.H != Side || ds.W != Side {
		return fmt.Errorf("classifier: %s %s images are %d×%d×%d, want 1×%d×%d", ds.Name, ds.Split, ds.C, ds.H, ds.W, Side, Side)
	}
	if len(ds.ClassNames) > Classes {
		return fmt.Errorf("classifier: %s has %d classes, want at most %d", ds.Name, len(ds.ClassNames), Classes)
	}
	return nil
}

// augmentBatch writes to dst the first n images of src, each translated by
// up to shift pixels in each direction (uncovered pixels are background,
// −1) and, with flip, mirrored left to right with probability ½.
func augmentBatch(dst, src *tensor.Tensor, n, shift int, flip bool, rng *tensor.RNG) {
	const area = Side * Side
	s, d := src.Data(), dst.Data()
	for k := range n {
		dy, dx := rng.IntN(2*shift+1)-shift, rng.IntN(2*shift+1)-shift
		mirror := flip && rng.IntN(2) == 1
		in, out := s[k*area:(k+1)*area], d[k*area:(k+1)*area]
		for i := range Side {
			for j := range Side {
				si, sj := i-dy, j-dx
				if mirror {
					sj = Side - 1 - sj
				}
				v := float32(-1)
				if si >= 0 && si < Side && sj >= 0 && sj < Side {
					v = in[si*Side+sj]
				}
				out[i*Side+j] = v
			}
		}
	}
}

// Accuracy returns the fraction of ds that net, in evaluation mode,
// classifies correctly.
func Accuracy(net *Net, ds *data.Dataset) (float64, error) {
	out, err := Extract(net, Images(ds))
	if err != nil {
		return 0, fmt.Errorf("classifier: %s %s: %w", ds.Name, ds.Split, err)
	}
	correct := 0
	for i, y := range out.Predictions() {
		if y == int(ds.Labels[i]) {
			correct++
		}
	}
	return float64(correct) / float64(ds.N), nil
}

// Images returns the images of ds as [N, 1, 28, 28] scaled to [−1, 1] by
// images.ToValues, as the GANs train on them.
func Images(ds *data.Dataset) *tensor.Tensor {
	x := tensor.New(ds.N, ds.C, ds.H, ds.W)
	images.ToValues(x.Data(), ds.Pixels)
	return x
}
