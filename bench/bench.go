package bench

import (
	"runtime"
	"slices"
	"time"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
	"github.com/nash-gan/nash/train"
)

// BenchResult is the timing of one training step of a configuration.
type BenchResult struct {
	Model      string  `json:"model"`
	Loss       string  `json:"loss"`
	Threads    int     `json:"threads"`
	Batch      int     `json:"batch"`
	MsMedian   float64 `json:"ms_per_step_median"`
	MsMin      float64 `json:"ms_min"`
	MsMax      float64 `json:"ms_max"`
	GFLOPs     float64 `json:"gflop_per_step"`
	GFLOPsPerS float64 `json:"gflop_per_s"`
	// PeakGFLOPsPerS is the rate of a 1024³ matrix product on the same
	// threads, measured in the same run: the machine's practical peak.
	PeakGFLOPsPerS float64 `json:"peak_gflop_per_s"`
	// PctPeak is GFLOPsPerS as a percentage of PeakGFLOPsPerS.
	PctPeak float64 `json:"pct_of_peak"`
	// Kernel is the GEMM micro-kernel in use (kernels.KernelName).
	Kernel string `json:"gemm_kernel"`
}

// gemmPeak returns the best rate, in GFLOP/s, of three 1024³ products.
func gemmPeak() float64 {
	const n = 1024
	a, b, c := tensor.New(n, n), tensor.New(n, n), tensor.New(n, n)
	rng := tensor.NewRNG(1, "peak")
	rng.Uniform(a, -1, 1)
	rng.Uniform(b, -1, 1)
	best := 0.0
	for range 3 {
		t0 := time.Now()
		tensor.MatMul(c, a, b, false, false, 0)
		best = max(best, 2*n*n*n/time.Since(t0).Seconds()/1e9)
	}
	return best
}

// Bench times the training step of cfg (D update then G update) on uniform
// noise shaped like MNIST, the way bench/torch_gan_step.py times
// PyTorch: warmup steps first, then repeats of steps steps each; it reports
// the median, fastest and slowest repeat per step. A translation model
// (cyclegan) steps on two batches of RGB noise of image_size (32 when 0),
// as bench/torch_cyclegan_step.py times PyTorch.
func Bench(cfg train.Config, warmup, repeats, steps int) (BenchResult, error) {
	if cfg.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Threads))
	}
	family, err := models.Lookup(cfg.Model)
	if err != nil {
		return BenchResult{}, err
	}
	kind, shape := data.Images, models.Shape{C: 1, H: 28, W: 28}
	tokens := slices.Contains(family.Data, data.Tokens)
	switch {
	case tokens:
		// The oracle benchmark's sequences: 20 tokens over 5,000.
		kind, shape = data.Tokens, models.Shape{C: 1, H: 1, W: data.OracleLen}
	case slices.Contains(family.Data, data.Unpaired):
		side := cfg.ImageSize
		if side == 0 {
			side = 32
		}
		kind, shape = data.Unpaired, models.Shape{C: 3, H: side, W: side}
	}
	spec, err := train.Spec(cfg, kind, shape, 0)
	if err != nil {
		return BenchResult{}, err
	}
	if tokens {
		spec.ZDim, spec.Vocab = shape.W, data.OracleVocab
	}
	g, err := train.Build(cfg, spec)
	if err != nil {
		return BenchResult{}, err
	}
	real := tensor.New(cfg.Batch, shape.C, shape.H, shape.W)
	if family.Flat {
		real = tensor.New(cfg.Batch, shape.Len())
	}
	rng := tensor.NewRNG(cfg.Seed, "data")
	if tokens {
		for i := range real.Data() {
			real.Data()[i] = float32(rng.IntN(data.OracleVocab))
		}
	} else {
		rng.Uniform(real, -1, 1)
	}
	batch := gan.Batch{X: real}
	if kind == data.Unpaired {
		batch.Y = tensor.New(cfg.Batch, shape.C, shape.H, shape.W)
		tensor.NewRNG(cfg.Seed, "data B").Uniform(batch.Y, -1, 1)
	}
	for range warmup {
		g.Step(batch)
	}
	f0 := tensor.MatMulFLOPs()
	per := make([]float64, repeats)
	for r := range per {
		t0 := time.Now()
		for range steps {
			g.Step(batch)
		}
		per[r] = float64(time.Since(t0).Microseconds()) / 1000 / float64(steps)
	}
	flops := float64(tensor.MatMulFLOPs()-f0) / float64(repeats*steps) / 1e9
	slices.Sort(per)
	med := median(per)
	peak := gemmPeak()
	rate := flops / (med / 1000)
	return BenchResult{
		Model: cfg.Model, Loss: cfg.Loss, Threads: runtime.GOMAXPROCS(0), Kernel: kernels.KernelName(), Batch: cfg.Batch,
		MsMedian: med, MsMin: per[0], MsMax: per[len(per)-1],
		GFLOPs: flops, GFLOPsPerS: rate, PeakGFLOPsPerS: peak, PctPeak: 100 * rate / peak,
	}, nil
}
