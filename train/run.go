package train

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/seq"
	"github.com/nash-gan/nash/tensor"
)

// session is one training run in progress.
type session struct {
	cfg  Config
	run  *rundir.Run
	game gan.Game
	// spec describes the game's networks; flat says they take samples as
	// flat vectors (the family's Flat).
	spec models.Spec
	flat bool
	src  source
	// gen samples from the game's generator, for pictures and evaluation.
	gen *infer.Generator
	// baseLR are the optimisers' learning rates before any decay.
	baseLR []float64
	// fixedZ is the noise of every sample picture, so pictures compare
	// over time and across resumes; a translation run's pictures are
	// cycle's instead.
	fixedZ *tensor.Tensor
	cycle  *cyclePictures
	step   int
	epoch  int
	// modes is the number of mixture modes covered at the last evaluation.
	modes int
	// exploded says that the diverging losses were warned about.
	exploded bool
	// The classes of a conditional run (conditional.go).
	classes
	// eval is the evaluation during training of image runs (evaluate.go).
	eval imageEval
	// total is the step training stops at, and beat when the running
	// status.json was last written.
	total int
	beat  time.Time
	// saved is when the last checkpoint was written by save.
	saved time.Time
	// limited is set when NASH_MAX_STEPS cut the run short.
	limited bool
	// dist is the session's part in a distributed run (distributed.go).
	dist ranks
}

// newSession prepares a session of cfg in run on the data of src, building
// the game afresh (the weights of a resumed run are restored afterwards).
func newSession(cfg Config, run *rundir.Run, src source) (*session, error) {
	spec, err := Spec(cfg, src.kind(), src.shape(), len(src.classNames()))
	if err != nil {
		return nil, err
	}
	if cfg.Clusters > 0 {
		spec.Clusters = clusterSizes(src.dataset(), cfg.Clusters)
	}
	tokens, _ := src.(*tokenSource)
	if tokens != nil {
		spec.ZDim, spec.Vocab, spec.Words, spec.Sep = spec.Sample.W, tokens.vocab(), strings.Join(tokens.words, "\n"), tokens.sep
	}
	family, err := models.Lookup(spec.Family)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	game, err := Build(cfg, spec)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, run: run, game: game, spec: spec, flat: family.Flat, src: src, baseLR: baseLRs(game)}
	if tokens != nil {
		if tokens.gen, _ = game.Generator().(*seq.Generator); tokens.gen == nil {
			return nil, fmt.Errorf("model: %s does not generate token sequences", cfg.Model)
		}
	}
	s.gen = &infer.Generator{Net: game.Generator(), Spec: spec, EMA: cfg.EMAKimg > 0}
	// The noise of every sample picture: the seed's "grid" stream.
	s.fixedZ = s.gen.Noise(src.pictureSamples(), tensor.NewRNG(cfg.Seed, "grid"))
	s.cycle = newCyclePictures(s, src)
	s.initClasses(src.classNames())
	if err := s.checkMemory(); err != nil {
		return nil, err
	}
	return s, nil
}

// Run trains the GAN cfg describes and writes the run directory out (refused
// if it holds a run, unless force). Progress goes to log: a progress bar when
// log is a terminal, and one summary line per epoch. When ctx is cancelled it
// saves a checkpoint and returns ctx's error.
func Run(ctx context.Context, cfg Config, out string, force bool, log io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	src, err := openSource(cfg, log)
	if err != nil {
		return err
	}
	cfg = cfg.resolved(src)
	// Build before creating the run directory, so that a configuration
	// that cannot be built leaves nothing behind.
	s, err := newSession(cfg, nil, src)
	if err != nil {
		return err
	}
	if err := s.joinRanks(dist.FromContext(ctx)); err != nil {
		return err
	}
	if s.lead() {
		if s.run, err = rundir.Create(out, force); err != nil {
			return err
		}
		if err := s.run.WriteConfig(cfg); err != nil {
			return err
		}
	}
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
	if s.cfg.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(s.cfg.Threads))
	}
	total := s.totalSteps()
	if limit, ok, err := testlimit.Get(testlimit.Steps, 1); err != nil {
		return err
	} else if ok && s.step+limit < total {
		total, s.limited = s.step+limit, true
		fmt.Fprintf(log, "nash: %s=%d: training stops at step %d (a limit for tests)\n", testlimit.Steps, limit, total)
	}
	s.total = total
	if !s.lead() {
		return s.follow(ctx)
	}
	if err := s.status(rundir.StateRunning, nil); err != nil {
		return err
	}
	err := s.train(ctx, log)
	s.reportSync(log)
	state := rundir.StateFinished
	switch {
	case err != nil && ctx.Err() != nil:
		state = rundir.StateInterrupted
	case err != nil:
		state = rundir.StateFailed
	}
	if serr := s.status(state, err); serr != nil {
		if err == nil || errors.Is(err, errStatus) {
			return cmp.Or(err, serr)
		}
		return fmt.Errorf("%w; and then %v", err, serr)
	}
	return err
}

// errStatus is wrapped by the errors of writing the run's status.
var errStatus = errors.New("writing the run's status")

// status writes the run's status.json: state at the current step, with
// err's message when it failed or was interrupted; a running status names
// this process, and its writing is the heartbeat that readers tell a
// living run by (every rundir.HeartbeatEvery at least). A run whose status
// cannot be written stops, saying so (rather than staying "running" for
// every reader).
func (s *session) status(state string, err error) error {
	now := time.Now()
	st := rundir.Status{State: state, Step: s.step, TotalSteps: s.total, Time: now.UTC()}
	if state == rundir.StateRunning {
		st, s.beat = rundir.Running(s.step, s.total, now), now
	}
	if err != nil {
		st.Error = err.Error()
	}
	if err := s.run.WriteStatus(st); err != nil {
		return fmt.Errorf("step %d: %w: %w", s.step, errStatus, err)
	}
	return nil
}

// train runs the steps from s.step to s.total.
func (s *session) train(ctx context.Context, log io.Writer) error {
	total := s.total
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
	bar := newProgress(log, s.step, total)
	bar.println(" ", fmt.Sprintf("nash: training the %s model (%s loss) on %s:", s.cfg.Model, s.cfg.Loss, s.cfg.Dataset),
		fmt.Sprintf("%d steps, %d per epoch,", total, perEpoch), "into "+s.run.Dir())
	epochs := (total + perEpoch - 1) / perEpoch
	batch := tensor.New(s.cfg.Batch, s.spec.Sample.Len())
	stats := s.game.Statistics()
	epochSum := make([]float64, len(stats))
	rec := rundir.Metrics{Stats: make([]rundir.Stat, len(stats))}
	for i, st := range stats {
		rec.Stats[i].Key = st.Key
	}
	epochSteps := 0
	start := time.Now()
	for s.step < total {
		if err := s.stopped(ctx); err != nil {
			bar.clear()
			if serr := s.save(s.pictureSamples(), true); serr != nil {
				return fmt.Errorf("interrupted at step %d: %w (saving checkpoint: %v)", s.step, err, serr)
			}
			return fmt.Errorf("interrupted at step %d, checkpoint saved in %s: %w", s.step, s.run.CheckpointPath("last"), err)
		}
		b := s.src.next(batch, s.labels)
		s.schedule(total)
		values, err := s.trainStep(ctx, batch, b.N)
		if err != nil {
			return err
		}
		if !finite(values) {
			bar.clear()
			kept := "no checkpoint was written before it"
			if _, err := os.Stat(s.run.CheckpointPath("last")); err == nil {
				kept = "the last good checkpoint is " + s.run.CheckpointPath("last")
			}
			return fmt.Errorf("step %d: non-finite loss (%s): training stopped; %s",
				s.step+1, describeStats(stats, values, "%g", ", "), kept)
		}
		s.step++
		s.epoch = b.Epoch
		if warn := s.explosionWarning(stats, values); warn != "" {
			bar.clear()
			fmt.Fprintln(log, warn)
		}
		for i, v := range values {
			epochSum[i] += v
		}
		epochSteps++

		var samples *tensor.Tensor
		var extra rundir.Record
		if s.step%sampleEvery == 0 || s.step == total {
			samples = s.pictureSamples()
			if extra, err = s.src.measure(samples); err != nil {
				return fmt.Errorf("step %d: %w", s.step, err)
			}
			if warn := s.collapseWarning(extra); warn != "" {
				bar.clear()
				fmt.Fprintln(log, warn)
			}
		}
		if extra, err = s.evaluateImages(extra, log, bar); err != nil {
			return err
		}
		if s.step%s.cfg.LogEvery == 0 || s.step == total || extra != nil {
			rec.Step, rec.Epoch, rec.Time, rec.Extra = s.step, b.Epoch, time.Now(), extra
			for i, v := range values {
				rec.Stats[i].Value = v
			}
			if err := mw.Append(rec); err != nil {
				return err
			}
		}
		if samples != nil {
			if err := s.save(samples, s.step == total); err != nil {
				return err
			}
		}
		if time.Since(s.beat) >= rundir.HeartbeatEvery {
			if err := s.status(rundir.StateRunning, nil); err != nil {
				return err
			}
		}
		shown := make([]string, len(stats))
		for i, st := range stats {
			shown[i] = fmt.Sprintf("%s %.3f", st.Label, values[i])
		}
		bar.update(s.step, fmt.Sprintf("epoch %d/%d", b.Epoch+1, epochs), shown)
		if b.Index == perEpoch-1 || s.step == total {
			for i := range epochSum {
				epochSum[i] /= float64(epochSteps)
			}
			parts := []string{fmt.Sprintf("epoch %3d  step %7d", b.Epoch+1, s.step)}
			for i, st := range stats {
				parts = append(parts, fmt.Sprintf("%s %.4f", st.Label, epochSum[i]))
			}
			parts = append(append(parts, s.eval.line...), fmt.Sprintf("%.1fs", time.Since(start).Seconds()))
			bar.println("  ", parts...)
			s.eval.line = nil
			clear(epochSum)
			epochSteps, start = 0, time.Now()
		}
	}
	bar.println("; ", append(append([]string{fmt.Sprintf("nash: done: %s (step %d)", s.run.CheckpointPath("last"), s.step)},
		s.eval.bestText(s.run.CheckpointPath("best"))...), "samples in "+s.samplePath())...)
	return nil
}

// samplePath returns the path of the current step's samples: a picture,
// or text for token sequences.
func (s *session) samplePath() string {
	if _, ok := s.src.(*tokenSource); ok {
		return s.run.TextSamplePath(s.step)
	}
	return s.run.SamplePath(s.step)
}

// batch returns the game's batch of the first n samples of x (and their
// labels in a conditional run), shaped as the networks take them: flat
// vectors or [n, C, H, W]. It shares x's storage.
func (s *session) batch(x *tensor.Tensor, n int) gan.Batch {
	shape := s.spec.Sample
	data := x.Data()[:n*shape.Len()]
	b := gan.Batch{X: tensor.FromSlice(data, n, shape.C, shape.H, shape.W), Labels: s.labelTensor(n)}
	if u, ok := s.src.(*unpairedSource); ok {
		b.Y = u.second(n)
	}
	if s.flat {
		b.X = tensor.FromSlice(data, n, shape.Len())
	}
	return b
}

// pictureSamples returns the samples of the current sample picture: from
// the fixed noise, or a translation run's cycles.
func (s *session) pictureSamples() *tensor.Tensor {
	if s.cycle != nil {
		return s.cycle.samples()
	}
	s.settle()
	return s.gen.GenerateFrom(s.fixedZ)
}

// settle brings the game's sampling network up to date (gan.Settler)
// before it is sampled or saved, from the same stream every time, so that
// a resumed run's generator is the one the run would have had.
func (s *session) settle() {
	if g, ok := s.game.(gan.Settler); ok {
		g.Settle(s.cfg.Batch, tensor.NewRNG(s.cfg.Seed, "settle"))
	}
}

// finite reports whether every value is a finite number.
func finite(values []float64) bool {
	for _, v := range values {
		if v-v != 0 {
			return false
		}
	}
	return true
}

// describeStats formats the statistics as "label value" pairs, each value
// with format, joined by sep.
func describeStats(stats []gan.Statistic, values []float64, format, sep string) string {
	var b strings.Builder
	for i, st := range stats {
		if i > 0 {
			b.WriteString(sep)
		}
		fmt.Fprintf(&b, "%s "+format, st.Label, values[i])
	}
	return b.String()
}

// explosionBound is the magnitude beyond which a step's statistic means
// that training is diverging: GAN losses are of order 1 to 100.
const explosionBound = 1e6

// explosionWarning returns a warning, once per session, when a statistic
// of the step is beyond explosionBound, long before the losses overflow.
func (s *session) explosionWarning(stats []gan.Statistic, values []float64) string {
	if s.exploded {
		return ""
	}
	for i, v := range values {
		if math.Abs(v) > explosionBound {
			s.exploded = true
			return fmt.Sprintf("nash: warning: step %d: %s is %.3g: training is diverging (is the learning rate %g too high?)", s.step, stats[i].Key, v, s.cfg.LR)
		}
	}
	return ""
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

// checkpointGap is the least time between two checkpoints written at
// sample steps, so that a run whose epochs take a moment (a small folder of
// images: one step an epoch) does not rewrite its checkpoint at every one:
// checkpoints come every sample_every steps or every checkpointGap,
// whichever is rarer. The last step and an interrupted run always write
// one.
const checkpointGap = time.Minute

// save writes the sample picture x of the current step and, when always
// is set or checkpointGap has passed since the last one, the checkpoint.
func (s *session) save(x *tensor.Tensor, always bool) error {
	if tokens, ok := s.src.(*tokenSource); ok {
		if err := tokens.writeText(s.run.TextSamplePath(s.step), x); err != nil {
			return err
		}
	} else if err := images.WritePNG(s.run.SamplePath(s.step), s.src.picture(x, s.step)); err != nil {
		return err
	}
	if err := s.saveClassGrid(); err != nil {
		return err
	}
	now := time.Now()
	if !checkpointDue(s.saved, now, always) {
		return nil
	}
	s.saved = now
	if err := s.saveCheckpoint(s.run.CheckpointPath("last")); err != nil {
		return err
	}
	return s.status(rundir.StateRunning, nil)
}

// checkpointDue reports whether a checkpoint is written at now, the last
// one having been written at last (zero: none yet).
func checkpointDue(last, now time.Time, always bool) bool {
	return always || last.IsZero() || now.Sub(last) >= checkpointGap
}
