package train

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// gridSize is the number of samples in a grid: 8 rows of 8.
const gridSize = 64

// toySamples is the number of generated points drawn in a 2-D scatter
// picture and scored for mode coverage, as the papers' protocol has it.
const toySamples = 2500

// fixedNoise returns the noise of every sample picture of a run: the seed's
// "grid" stream, so pictures compare over time and across resumes.
func fixedNoise(g *gan.GAN, cfg Config) *tensor.Tensor {
	n := gridSize
	if isToy(cfg.Dataset) {
		n = toySamples
	}
	return g.Noise(n, tensor.NewRNG(cfg.Seed, "grid"))
}

// session is one training run in progress.
type session struct {
	cfg   Config
	run   *rundir.Run
	gan   *gan.GAN
	src   source
	noise *tensor.RNG
	// fixedZ is the noise of every sample grid, so grids compare over time.
	fixedZ *tensor.Tensor
	shape  Shape
	step   int
	epoch  int
	// modes is the number of mixture modes covered at the last evaluation.
	modes int
	// The classes of a conditional run (conditional.go).
	classes
	// eval is the evaluation during training of image runs (evaluate.go).
	eval imageEval
}

// Run trains the GAN cfg describes and writes the run directory out (refused
// if it holds a run, unless force). Progress goes to log: a progress bar when
// log is a terminal, and one summary line per epoch. When ctx is cancelled it
// saves a checkpoint and returns ctx's error.
func Run(ctx context.Context, cfg Config, out string, force bool, log io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Threads))
	}
	src, shape, err := openSource(cfg)
	if err != nil {
		return err
	}
	g, err := BuildConditional(cfg, shape, len(src.classNames()))
	if err != nil {
		return err
	}
	run, err := rundir.Create(out, force)
	if err != nil {
		return err
	}
	if err := run.WriteConfig(cfg); err != nil {
		return err
	}
	s := &session{
		cfg: cfg, run: run, gan: g, shape: shape, src: src,
		noise:  tensor.NewRNG(cfg.Seed, "noise"),
		fixedZ: fixedNoise(g, cfg),
	}
	s.initClasses(src.classNames())
	return s.loop(ctx, log)
}

// totalSteps returns the number of steps cfg asks for.
func (s *session) totalSteps() int {
	total := s.cfg.Epochs * s.src.stepsPerEpoch()
	if s.cfg.Steps > 0 && (total == 0 || s.cfg.Steps < total) {
		total = s.cfg.Steps
	}
	return total
}

// loop trains to the configured step, keeping the run's status.json: running
// while it trains, then finished, interrupted or failed.
func (s *session) loop(ctx context.Context, log io.Writer) error {
	total := s.totalSteps()
	status := func(state string, err error) error {
		st := rundir.Status{State: state, Step: s.step, TotalSteps: total, Time: time.Now().UTC()}
		if err != nil {
			st.Error = err.Error()
		}
		return s.run.WriteStatus(st)
	}
	if err := status(rundir.StateRunning, nil); err != nil {
		return err
	}
	err := s.train(ctx, log, total)
	state := rundir.StateFinished
	switch {
	case err != nil && ctx.Err() != nil:
		state = rundir.StateInterrupted
	case err != nil:
		state = rundir.StateFailed
	}
	if serr := status(state, err); err == nil {
		err = serr
	}
	return err
}

// train runs the steps from s.step to total.
func (s *session) train(ctx context.Context, log io.Writer, total int) error {
	perEpoch := s.src.stepsPerEpoch()
	sampleEvery := s.cfg.SampleEvery
	if sampleEvery == 0 {
		sampleEvery = perEpoch
	}
	mw, err := s.run.OpenMetrics()
	if err != nil {
		return err
	}
	defer mw.Close()
	fmt.Fprintf(log, "nash: training %s GAN on %s (%d steps, %d per epoch) into %s\n",
		s.cfg.Model, s.cfg.Dataset, total, perEpoch, s.run.Dir())

	bar := newBar(log, total, s.step)
	batch := tensor.New(s.cfg.Batch, s.shape.Len())
	var epochSum gan.Stats
	epochSteps := 0
	start := time.Now()
	for s.step < total {
		if err := ctx.Err(); err != nil {
			bar.Clear()
			if serr := s.save(s.gan.Sample(s.fixedZ)); serr != nil {
				return fmt.Errorf("interrupted at step %d: %w (saving checkpoint: %v)", s.step, err, serr)
			}
			return fmt.Errorf("interrupted at step %d, checkpoint saved in %s: %w", s.step, s.run.CheckpointPath("last"), err)
		}
		b := s.src.next(batch, s.labels)
		real := s.realBatch(batch, b.N)
		s.schedule(total)
		st := s.stepGAN(real)
		if !st.Finite() {
			bar.Clear()
			kept := "no checkpoint was written before it"
			if _, err := os.Stat(s.run.CheckpointPath("last")); err == nil {
				kept = "the last good checkpoint is " + s.run.CheckpointPath("last")
			}
			return fmt.Errorf("step %d: non-finite loss (loss_d %g, loss_g %g): training stopped; %s",
				s.step+1, st.LossD, st.LossG, kept)
		}
		s.step++
		s.epoch = b.Epoch
		epochSum = addStats(epochSum, st)
		epochSteps++

		var samples *tensor.Tensor
		var extra rundir.Record
		if s.step%sampleEvery == 0 || s.step == total {
			samples = s.gan.Sample(s.fixedZ)
			if extra, err = s.evaluate(samples); err != nil {
				return err
			}
			if warn := s.collapseWarning(extra); warn != "" {
				bar.Clear()
				fmt.Fprintln(log, warn)
			}
		}
		if extra, err = s.evaluateImages(extra, log, bar); err != nil {
			return err
		}
		if s.step%s.cfg.LogEvery == 0 || s.step == total || extra != nil {
			rec := rundir.Metrics{Step: s.step, Epoch: b.Epoch, Time: time.Now(),
				LossD: st.LossD, LossG: st.LossG, DReal: st.DReal, DFake: st.DFake, Extra: extra}
			if err := mw.Append(rec); err != nil {
				return err
			}
		}
		if samples != nil {
			if err := s.save(samples); err != nil {
				return err
			}
		}
		bar.Describe(fmt.Sprintf("epoch %d/%d  loss_d %.3f  loss_g %.3f  D(x) %.3f  D(G(z)) %.3f",
			b.Epoch+1, max(s.cfg.Epochs, 1), st.LossD, st.LossG, st.DReal, st.DFake))
		bar.Add(1)
		if b.Index == perEpoch-1 || s.step == total {
			m := scaleStats(epochSum, 1/float64(epochSteps))
			bar.Clear()
			fmt.Fprintf(log, "epoch %3d  step %7d  loss_d %.4f  loss_g %.4f  D(x) %.4f  D(G(z)) %.4f  %.1fs\n",
				b.Epoch+1, s.step, m.LossD, m.LossG, m.DReal, m.DFake, time.Since(start).Seconds())
			epochSum, epochSteps, start = gan.Stats{}, 0, time.Now()
		}
	}
	bar.Finish()
	fmt.Fprintf(log, "nash: done: %s, samples in %s\n", s.run.CheckpointPath("last"), s.run.SamplePath(s.step))
	return nil
}

// realBatch returns the first n samples of batch shaped as the
// discriminator takes them: flat vectors for MLPs, images [n, C, H, W] for
// convolutional networks. It shares batch's storage.
func (s *session) realBatch(batch *tensor.Tensor, n int) *tensor.Tensor {
	data := batch.Data()[:n*s.shape.Len()]
	if s.cfg.Model == "dcgan" {
		return tensor.FromSlice(data, n, s.shape.C, s.shape.H, s.shape.W)
	}
	return tensor.FromSlice(data, n, s.shape.Len())
}

// evaluate returns the measurements logged with a sample picture: for the
// 2-D mixtures, mode coverage of the 2,500 generated points (modes covered,
// high-quality fraction, KL of the mode histogram to uniform).
func (s *session) evaluate(samples *tensor.Tensor) (rundir.Record, error) {
	ms, ok := s.src.(*mixtureSource)
	if !ok {
		return nil, nil
	}
	m, err := modeCoverage(samples, ms.m)
	if err != nil {
		return nil, fmt.Errorf("step %d: %w", s.step, err)
	}
	return rundir.Record{"modes": float64(m.Covered), "hq": m.HighQuality, "mode_kl": m.KL}, nil
}

// collapseWarning returns a warning when fewer modes are covered than at
// the previous evaluation: the generator is dropping modes.
func (s *session) collapseWarning(rec rundir.Record) string {
	modes, ok := rec["modes"]
	if !ok {
		return ""
	}
	prev := s.modes
	s.modes = int(modes)
	if prev > 0 && s.modes < prev {
		return fmt.Sprintf("nash: warning: step %d: modes covered fell from %d to %d: the generator is collapsing", s.step, prev, s.modes)
	}
	return ""
}

// modeCoverage scores 2-D samples against a mixture's modes.
func modeCoverage(samples *tensor.Tensor, m *data.Mixture) (metrics.Modes, error) {
	x, err := metrics.FromTensor("generated points", samples)
	if err != nil {
		return metrics.Modes{}, err
	}
	means := make([]float64, 0, 2*len(m.Means))
	for _, mu := range m.Means {
		means = append(means, mu[0], mu[1])
	}
	mu, err := metrics.NewFeatures(m.Name+" means", means, len(m.Means), 2)
	if err != nil {
		return metrics.Modes{}, err
	}
	return metrics.ModeCoverage(x, mu, m.Sigma)
}

// save writes the sample picture x of the current step and the checkpoint.
func (s *session) save(x *tensor.Tensor) error {
	var img image.Image
	if ms, ok := s.src.(*mixtureSource); ok {
		sc := images.Scatter{Title: fmt.Sprintf("%s, step %d", s.cfg.Dataset, s.step), Means: ms.m.Means,
			Radius: 3 * ms.m.Sigma, Extent: ms.m.Extent, Size: 480}
		img = sc.Draw(x)
	} else {
		img = images.Grid(x.Reshape(x.Dim(0), s.shape.C, s.shape.H, s.shape.W), 8, 2)
	}
	if err := images.WritePNG(s.run.SamplePath(s.step), img); err != nil {
		return err
	}
	if err := s.saveClassGrid(); err != nil {
		return err
	}
	return s.saveCheckpoint(s.run.CheckpointPath("last"))
}

func addStats(a, b gan.Stats) gan.Stats {
	return gan.Stats{LossD: a.LossD + b.LossD, LossG: a.LossG + b.LossG, DReal: a.DReal + b.DReal, DFake: a.DFake + b.DFake}
}

func scaleStats(a gan.Stats, c float64) gan.Stats {
	return gan.Stats{LossD: a.LossD * c, LossG: a.LossG * c, DReal: a.DReal * c, DFake: a.DFake * c}
}

// newBar returns a progress bar on log when log is a terminal, and an
// invisible one otherwise (the epoch lines still print).
func newBar(log io.Writer, total, done int) *progressbar.ProgressBar {
	f, ok := log.(*os.File)
	visible := ok && term.IsTerminal(int(f.Fd()))
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(log),
		progressbar.OptionSetVisibility(visible),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("step"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionFullWidth(),
	)
	bar.Set(done)
	return bar
}
