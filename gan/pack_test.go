package gan

import (
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// recorder is a discriminator that keeps the inputs it is given.
type recorder struct {
	d      nn.Module
	inputs []*tensor.Tensor
}

func (r *recorder) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	r.inputs = append(r.inputs, x.Value.Clone())
	return r.d.Forward(tp, x)
}

func (r *recorder) Parameters() []nn.Parameter { return r.d.Parameters() }

// packedGAN returns a GAN of images [3, 2, 2] whose discriminator judges
// pack of them at once, recording its inputs.
func packedGAN(loss Loss, pack int) (*GAN, *recorder) {
	rng := tensor.NewRNG(1, "init")
	g := nn.NewSequential(nn.NewLinear(4, 12, true, rng), nn.Tanh{}, nn.Unflatten{Dim: 1, Shape: []int{3, 2, 2}})
	d := &recorder{d: nn.NewSequential(nn.Flatten{}, nn.NewLinear(12*pack, 8, true, rng), nn.LeakyReLU{Slope: 0.2}, nn.NewLinear(8, 1, true, rng))}
	out := New(g, d, optim.NewAdam(nn.Vars(g.Parameters()), 1e-3, 0.5, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), 1e-3, 0.5, 0.999), loss, 4, tensor.NewRNG(1, "noise"))
	out.Options.Pack = pack
	return out, d
}

// With packing m, D judges n/m packed samples, each the concatenation of
// m consecutive samples along their channels: the real batch arrives as
// itself, reshaped; under every objective and penalty the step trains.
func TestPackingConcatenatesSamplesAlongChannels(t *testing.T) {
	const n, pack = 8, 4
	real := tensor.New(n, 3, 2, 2)
	tensor.NewRNG(2, "real").Normal(real, 0, 1)
	for _, loss := range Losses {
		for _, penalty := range []string{"", "r1", "gp"} {
			if (penalty == "gp") != (loss == WGANGP) {
				continue
			}
			g, rec := packedGAN(loss, pack)
			switch penalty {
			case "r1":
				g.Options.R1 = 1
			case "gp":
				g.Options.GP = 10
			}
			for range 3 {
				if st := g.Update(real, nil, tensor.NewRNG(3, "noise")); !st.Finite() {
					t.Fatalf("%s %s: losses %+v", loss, penalty, st)
				}
			}
			first := rec.inputs[0]
			if want := []int{n / pack, 3 * pack, 2, 2}; !slices.Equal(first.Shape(), want) {
				t.Fatalf("%s %s: D's input %v, want %v", loss, penalty, first.Shape(), want)
			}
			// Packed sample 1, channels 3 to 5, is real sample 5.
			got := first.Data()[(1*3*pack+3)*4 : (1*3*pack+6)*4]
			if !slices.Equal(got, real.Data()[5*12:6*12]) {
				t.Errorf("%s %s: packed sample 1's second part %v, want real sample 5 %v", loss, penalty, got, real.Data()[5*12:6*12])
			}
		}
	}
}

// A batch that packing does not divide is refused, in words.
func TestPackingRefusesARemainder(t *testing.T) {
	g, _ := packedGAN(NonSaturating, 3)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "not a multiple of 3") {
			t.Errorf("panic %v, want one about the batch not being a multiple of 3", r)
		}
	}()
	g.Update(tensor.New(8, 3, 2, 2), nil, tensor.NewRNG(1, "noise"))
}
