package gan

import (
	"encoding/json"
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// CycleGAN is the game of unpaired image-to-image translation (Zhu et al.
// 2017), played as the authors' release plays it: G_A translates domain A
// to B and G_B B to A; D_A judges domain B and D_B domain A. A step
// updates both generators together (one optimiser over both) against
//
//	adv(D_A(G_A(a))) + adv(D_B(G_B(b)))
//	+ λ_A‖G_B(G_A(a)) − a‖₁ + λ_B‖G_A(G_B(b)) − b‖₁
//	+ λ_idt (λ_B‖G_A(b) − b‖₁ + λ_A‖G_B(a) − a‖₁)
//
// (L1 as means, adv the objective's generator term on D's map of scores,
// the release's criterionGAN: for ls the mean squared distance to 1), then
// both discriminators together (one optimiser) on real images against the
// step's translations drawn through each one's history pool, each
// discriminator's loss halved as in the release.
type CycleGAN struct {
	GA, GB, DA, DB nn.Module
	// OptG moves both generators, OptD both discriminators.
	OptG, OptD optim.Optimizer
	Loss       Loss
	// LambdaA and LambdaB weigh the cycle and identity terms of the images
	// of A and of B (the release's lambda_A and lambda_B, 10 in the paper),
	// and Identity is the identity weight relative to them (0.5; 0 is off).
	LambdaA, LambdaB, Identity float32
	// PoolA holds translations into A (G_B's) for D_B, PoolB translations
	// into B for D_A.
	PoolA, PoolB *ImagePool
	// RNG is the pools' stream.
	RNG *tensor.RNG

	gParams, dParams []*autograd.Var
	tape             *autograd.Tape
	fakeA, fakeB     *tensor.Tensor // the pools' answers, reused
	stats            []float64
}

// The names of the CycleGAN game's optimisers and pool stream, the
// release's attribute names.
const (
	CycleOptG       = "optimizer_G"
	CycleOptD       = "optimizer_D"
	CyclePoolStream = "pool"
)

// NewCycleGAN returns the game of the networks with the optimisers newOpt
// makes of the generators' parameters and of the discriminators', the
// objective loss, weights lambdaA, lambdaB and identity, and history pools of
// poolSize images of shape sample [C, H, W] drawn from rng.
func NewCycleGAN(gA, gB, dA, dB nn.Module, newOpt func(params []*autograd.Var, discriminator bool) optim.Optimizer, loss Loss, lambdaA, lambdaB, identity float32, poolSize int, sample []int, rng *tensor.RNG) *CycleGAN {
	c := &CycleGAN{GA: gA, GB: gB, DA: dA, DB: dB, Loss: loss, LambdaA: lambdaA, LambdaB: lambdaB, Identity: identity,
		PoolA: NewImagePool(poolSize, sample), PoolB: NewImagePool(poolSize, sample), RNG: rng, tape: autograd.NewTape()}
	c.gParams = append(nn.Vars(gA.Parameters()), nn.Vars(gB.Parameters())...)
	c.dParams = append(nn.Vars(dA.Parameters()), nn.Vars(dB.Parameters())...)
	c.OptG, c.OptD = newOpt(c.gParams, false), newOpt(c.dParams, true)
	return c
}

// cycleStats are the game's statistics: the generators' total loss, each
// discriminator's, and the generators' terms.
var cycleStats = []Statistic{
	{"loss_g", "loss_g"}, {"loss_d_a", "D_A"}, {"loss_d_b", "D_B"},
	{"loss_g_a", "G_A"}, {"loss_g_b", "G_B"},
	{"loss_cycle_a", "cyc_A"}, {"loss_cycle_b", "cyc_B"},
	{"loss_idt_a", "idt_A"}, {"loss_idt_b", "idt_B"},
}

// Networks implements Game: G_A, G_B, D_A, D_B (the release's file names,
// latest_net_G_A.pth …) and the two history pools, whose images a resumed
// run needs.
func (c *CycleGAN) Networks() []Network {
	return []Network{{"G_A", c.GA}, {"G_B", c.GB}, {"D_A", c.DA}, {"D_B", c.DB},
		{"fake_A_pool", c.PoolA}, {"fake_B_pool", c.PoolB}}
}

// Optimizers implements Game: optimizer_G and optimizer_D.
func (c *CycleGAN) Optimizers() []Optimizer {
	return []Optimizer{{CycleOptG, c.OptG}, {CycleOptD, c.OptD}}
}

// Streams implements Game: the pools' stream.
func (c *CycleGAN) Streams() []Stream { return []Stream{{CyclePoolStream, c.RNG}} }

// Statistics implements Game.
func (c *CycleGAN) Statistics() []Statistic { return cycleStats }

// Generator implements Game: G_A, A to B.
func (c *CycleGAN) Generator() nn.Module { return c.GA }

// l1 returns the mean absolute difference of x and y.
func l1(tp *autograd.Tape, x, y *autograd.Var) *autograd.Var {
	return tp.Mean(tp.Abs(tp.Sub(x, y)))
}

// adversarial returns the release's criterionGAN(out, True) for the
// generator: the objective's generator loss, which for ls is the mean
// squared distance to 1 (nash's GeneratorLoss halves it).
func (c *CycleGAN) adversarial(tp *autograd.Tape, out *autograd.Var) *autograd.Var {
	l := GeneratorLoss(tp, c.Loss, nil, out)
	if c.Loss == LeastSquares {
		return tp.Scale(l, 2)
	}
	return l
}

// discriminator returns the release's backward_D_basic loss:
// ½(criterion(D(real), True) + criterion(D(fake), False)), which is nash's
// DiscriminatorLoss for ls and half of it for the others.
func (c *CycleGAN) discriminator(tp *autograd.Tape, real, fake *autograd.Var) *autograd.Var {
	l := DiscriminatorLoss(tp, c.Loss, real, fake, 0)
	if c.Loss == LeastSquares {
		return l
	}
	return tp.Scale(l, 0.5)
}

// Step implements Game: b.X holds images of A and b.Y as many of B.
func (c *CycleGAN) Step(b Batch) []float64 {
	if b.Y == nil || b.Y.Dim(0) != b.X.Dim(0) {
		panic("gan: CycleGAN.Step needs as many images of B (Batch.Y) as of A")
	}
	tp := c.tape
	defer tp.Reset()
	realA, realB := tp.Const(b.X), tp.Const(b.Y)
	fakeB := c.GA.Forward(tp, realA)
	recA := c.GB.Forward(tp, fakeB)
	fakeA := c.GB.Forward(tp, realB)
	recB := c.GA.Forward(tp, fakeA)

	// Generators, through the discriminators as they are.
	c.OptG.ZeroGrad()
	lossGA, lossGB := c.adversarial(tp, c.DA.Forward(tp, fakeB)), c.adversarial(tp, c.DB.Forward(tp, fakeA))
	cycA, cycB := tp.Scale(l1(tp, recA, realA), c.LambdaA), tp.Scale(l1(tp, recB, realB), c.LambdaB)
	lossG := tp.Add(tp.Add(lossGA, lossGB), tp.Add(cycA, cycB))
	var idtA, idtB float64
	if c.Identity > 0 {
		ia := tp.Scale(l1(tp, c.GA.Forward(tp, realB), realB), c.LambdaB*c.Identity)
		ib := tp.Scale(l1(tp, c.GB.Forward(tp, realA), realA), c.LambdaA*c.Identity)
		lossG = tp.Add(lossG, tp.Add(ia, ib))
		idtA, idtB = float64(ia.Value.Item()), float64(ib.Value.Item())
	}
	tp.Backward(lossG, c.gParams...)
	c.OptG.Step()

	// Discriminators, on the step's translations through the pools.
	c.OptD.ZeroGrad()
	c.fakeB = c.PoolB.Query(c.fakeB, fakeB.Value, c.RNG)
	c.fakeA = c.PoolA.Query(c.fakeA, fakeA.Value, c.RNG)
	lossDA := c.discriminator(tp, c.DA.Forward(tp, realB), c.DA.Forward(tp, tp.Const(c.fakeB)))
	lossDB := c.discriminator(tp, c.DB.Forward(tp, realA), c.DB.Forward(tp, tp.Const(c.fakeA)))
	tp.Backward(tp.Add(lossDA, lossDB), c.dParams...)
	c.OptD.Step()

	c.stats = append(c.stats[:0], float64(lossG.Value.Item()), float64(lossDA.Value.Item()), float64(lossDB.Value.Item()),
		float64(lossGA.Value.Item()), float64(lossGB.Value.Item()), float64(cycA.Value.Item()), float64(cycB.Value.Item()), idtA, idtB)
	return c.stats
}

// cycleState is the game's state beyond weights, optimisers and streams:
// how full each pool is (the pools' images are saved as networks).
type cycleState struct {
	PoolA int `json:"pool_a"`
	PoolB int `json:"pool_b"`
}

// State implements Game.
func (c *CycleGAN) State() ([]byte, error) {
	return json.Marshal(cycleState{PoolA: c.PoolA.N, PoolB: c.PoolB.N})
}

// SetState implements Game.
func (c *CycleGAN) SetState(b []byte) error {
	var st cycleState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	for _, p := range []struct {
		key  string
		n    int
		pool *ImagePool
	}{{"pool_a", st.PoolA, c.PoolA}, {"pool_b", st.PoolB, c.PoolB}} {
		if p.n < 0 || p.n > p.pool.Size() {
			return fmt.Errorf("%s: a pool holds %d images, at most %d", p.key, p.n, p.pool.Size())
		}
	}
	c.PoolA.N, c.PoolB.N = st.PoolA, st.PoolB
	return nil
}

// ImagePool is the history of generated images that CycleGAN's
// discriminators see (Shrivastava et al. 2017), the release's ImagePool:
// until it is full every image is stored and returned as it is; then each
// image, with probability ½, is returned as it is, or else replaces a
// stored image chosen uniformly, which is returned instead. A pool of size
// 0 returns every image as it is. Its images are a buffer, "images", so
// that checkpoints keep them: it is an nn.Module of no parameters, which
// is never run.
type ImagePool struct {
	// Images holds the pool's capacity of images [size, C, H, W], the
	// first N of them stored.
	Images *tensor.Tensor
	N      int
}

// NewImagePool returns an empty pool of size images of shape sample.
func NewImagePool(size int, sample []int) *ImagePool {
	return &ImagePool{Images: tensor.New(append([]int{size}, sample...)...)}
}

// Size returns the pool's capacity.
func (p *ImagePool) Size() int { return p.Images.Dim(0) }

// Query returns the images the discriminator sees for the generated images
// x [n, C, H, W], drawing from rng, in dst when it has x's shape (else in a
// new tensor), and updates the pool.
func (p *ImagePool) Query(dst, x *tensor.Tensor, rng *tensor.RNG) *tensor.Tensor {
	if dst == nil || !dst.SameShape(x) {
		dst = tensor.New(x.Shape()...)
	}
	dst.CopyFrom(x)
	size := p.Size()
	if size == 0 {
		return dst
	}
	m := x.Len() / x.Dim(0)
	stored, out := p.Images.Data(), dst.Data()
	for i := range x.Dim(0) {
		img := out[i*m : (i+1)*m]
		if p.N < size {
			copy(stored[p.N*m:], img)
			p.N++
			continue
		}
		if rng.Float64() > 0.5 {
			k := rng.IntN(size)
			old := stored[k*m : (k+1)*m]
			for j := range img {
				img[j], old[j] = old[j], img[j]
			}
		}
	}
	return dst
}

// Forward implements nn.Module: a pool is not a network, and panics.
func (p *ImagePool) Forward(*autograd.Tape, *autograd.Var) *autograd.Var {
	panic("gan: an ImagePool is not run")
}

// Parameters implements nn.Module: none.
func (p *ImagePool) Parameters() []nn.Parameter { return nil }

// Buffers implements nn.BufferHolder: the images.
func (p *ImagePool) Buffers() []nn.Buffer { return []nn.Buffer{{Name: "images", Value: p.Images}} }
