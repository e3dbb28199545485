package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// evalSamples is the number of generated images the evaluation during
// training scores, against the Gaussian of the features of the first
// evalRealImages test images (all 10,000 of MNIST's and Fashion-MNIST's);
// pixelSamples is the number of generated and of real training images of
// the evaluation on pixels (runs no feature network scores); stackedSamples
// the generated images whose modes a Stacked MNIST run counts: fewer than
// the protocol's 26,000 of nash eval (evaluate.StackedSamples), which
// would cost as much as an epoch, but enough to see every mode of a
// perfect generator (KL's bias ≈ 999/(2·10,000) = 0.05, 0.02 at 26,000);
// NASH_MAX_SAMPLES bounds them too. Tests make them smaller.
var (
	evalSamples    = 2000
	evalRealImages = 10000
	pixelSamples   = 256
	stackedSamples = 10000
)

// diversityDrop is the factor by which the feature diversity must fall
// between two evaluations for a collapse warning, modesDrop the factor for
// Stacked MNIST's modes covered (a few of 1,000 come and go by chance); msssimRise is how far
// above the real images' the MS-SSIM of generated images must be, and
// rising, for one.
const (
	diversityDrop = 0.75
	msssimRise    = 0.3
	modesDrop     = 0.95
)

// metaEval is the checkpoint metadata holding the evaluation's state.
const metaEval = "eval"

// evalState is what the evaluation during training remembers between
// evaluations, saved in checkpoints so that a resumed run keeps its best
// checkpoint and its warnings.
type evalState struct {
	// BestFID (BestSWD for a run evaluated on pixels) is the lowest seen,
	// at step BestStep (0: none yet).
	BestFID float64 `json:"best_fid,omitempty"`
	BestSWD float64 `json:"best_swd,omitempty"`
	// BestModeKL is the lowest KL of Stacked MNIST's modes to uniform.
	BestModeKL float64 `json:"best_mode_kl,omitempty"`
	BestStep   int     `json:"best_step"`
	// Classes and Diversity are the last evaluation's classes covered and
	// diversity ratio; MSSSIM its MS-SSIM, on pixels.
	Classes   int     `json:"classes,omitempty"`
	Diversity float64 `json:"diversity,omitempty"`
	MSSSIM    float64 `json:"ms_ssim,omitempty"`
	// Modes is the last evaluation's Stacked MNIST modes covered.
	Modes int `json:"modes,omitempty"`
	// BestAccuracy is a translation run's highest label preservation
	// (the mean of both directions').
	BestAccuracy float64 `json:"best_accuracy,omitempty"`
}

// imageEval is the cheap evaluation of an image run every eval_every
// steps (evaluate.Quick): images from fixed noise are scored by the
// embedded feature network of a 28×28 grey MNIST or Fashion-MNIST run (the
// FID against the test set's features, the class histogram and the
// diversity of the features relative to real images'), and compared on
// their pixels with the training images for any other run (the sliced
// Wasserstein distance and MS-SSIM); a Stacked MNIST run's modes are
// counted (evaluate.StackedModes).
type imageEval struct {
	state evalState
	// quick and z are set at the first evaluation.
	quick *evaluate.Quick
	z     *tensor.Tensor
	// off is set when the run's data cannot be evaluated.
	off bool
	// translation is a translation run's, set at its first evaluation.
	translation *translationEval
	// line is the latest evaluation as the epoch line shows it, until
	// it is shown.
	line []string
}

// bestText names the best checkpoint, at path, for the final message:
// nothing before any evaluation.
func (e *imageEval) bestText(path string) []string {
	switch {
	case e.state.BestStep == 0:
		return nil
	case e.state.BestSWD > 0:
		return []string{fmt.Sprintf("best %s (SWD×10³ %.2f at step %d)", path, 1e3*e.state.BestSWD, e.state.BestStep)}
	case e.state.BestAccuracy > 0:
		return []string{fmt.Sprintf("best %s (label preservation %.2f%% at step %d)", path, 100*e.state.BestAccuracy, e.state.BestStep)}
	case e.state.Modes > 0:
		return []string{fmt.Sprintf("best %s (mode KL %.3f at step %d)", path, e.state.BestModeKL, e.state.BestStep)}
	default:
		return []string{fmt.Sprintf("best %s (FID %.2f at step %d)", path, e.state.BestFID, e.state.BestStep)}
	}
}

// EvalSupported reports whether nash's feature networks can score the
// images of a run on dataset with images of shape: 28×28 grey MNIST or
// Fashion-MNIST.
func EvalSupported(dataset string, shape models.Shape) bool {
	_, err := classifier.Embedded(dataset)
	return err == nil && shape == models.Shape{C: 1, H: classifier.Side, W: classifier.Side}
}

// evalEvery returns the step interval of the evaluation, 0 when the run is
// not evaluated.
func (s *session) evalEvery() int {
	if k := s.src.kind(); s.eval.off || s.cfg.EvalEvery < 0 || k != data.Images && k != data.Unpaired {
		return 0
	}
	if s.cfg.EvalEvery == 0 {
		return s.src.stepsPerEpoch()
	}
	return s.cfg.EvalEvery
}

// finalEvaluation reports whether the step is the last of a run that
// evaluates at its end besides every every steps: a run of at least one
// interval (so that its final weights are measured too), or one that
// NASH_MAX_STEPS cut short, which behaves as the run would at its end.
func (s *session) finalEvaluation(every int) bool {
	return s.step == s.total && (s.total >= every || s.limited)
}

// evaluateImages runs the evaluation when the step is due (every
// evalEvery steps, and at the end of a run: finalEvaluation): it adds the
// eval_* keys to extra, warns on log when the generator collapses and
// writes checkpoints/best.safetensors when the FID is the lowest yet.
func (s *session) evaluateImages(extra rundir.Record, log io.Writer, bar *progress) (rundir.Record, error) {
	every := s.evalEvery()
	if every == 0 || (s.step%every != 0 && !s.finalEvaluation(every)) {
		return extra, nil
	}
	if s.cycle != nil {
		return s.evaluateTranslation(extra, log, bar, every)
	}
	if s.eval.quick == nil {
		if err := s.eval.init(s.cfg, s.spec.Sample, s.src.dataset(), s.gen); err != nil {
			s.eval.off = true
			bar.clear()
			fmt.Fprintf(log, "nash: warning: no evaluation during training: %v\n", err)
			return extra, nil
		}
		bar.clear()
		fmt.Fprintf(log, "nash: evaluating every %d steps with %s\n", every, s.eval.quick.Describe())
	}
	s.settle()
	r, err := s.eval.score(s.gen)
	if err != nil {
		return extra, fmt.Errorf("step %d: evaluation: %w", s.step, err)
	}
	if extra == nil {
		extra = rundir.Record{}
	}
	prev := s.eval.state
	var best bool
	switch {
	case s.eval.quick.Stacked():
		if prev.BestStep > 0 && float64(r.Modes) < modesDrop*float64(prev.Modes) {
			bar.clear()
			fmt.Fprintf(log, "nash: warning: step %d: modes covered fell from %d to %d of 1,000: the generator is collapsing\n", s.step, prev.Modes, r.Modes)
		}
		s.eval.state.Modes = r.Modes
		if best = prev.BestStep == 0 || r.ModeKL < prev.BestModeKL; best {
			s.eval.state.BestModeKL, s.eval.state.BestStep = r.ModeKL, s.step
		}
		extra["modes"], extra["mode_kl"], extra["eval_best_mode_kl"] = float64(r.Modes), r.ModeKL, s.eval.state.BestModeKL
		s.eval.line = []string{fmt.Sprintf("modes %d", r.Modes), fmt.Sprintf("KL %.3f", r.ModeKL)}
	case s.eval.quick.Pixels():
		if prev.BestStep > 0 && r.MSSSIM > r.RealMSSSIM+msssimRise && r.MSSSIM > prev.MSSSIM {
			bar.clear()
			fmt.Fprintf(log, "nash: warning: step %d: MS-SSIM between generated images %.3f (was %.3f; real images %.3f): the generator is collapsing\n",
				s.step, r.MSSSIM, prev.MSSSIM, r.RealMSSSIM)
		}
		s.eval.state.MSSSIM = r.MSSSIM
		if best = prev.BestStep == 0 || r.SWD < prev.BestSWD; best {
			s.eval.state.BestSWD, s.eval.state.BestStep = r.SWD, s.step
		}
		extra["eval_swd"], extra["eval_ms_ssim"], extra["eval_best_swd"] = r.SWD, r.MSSSIM, s.eval.state.BestSWD
		s.eval.line = []string{fmt.Sprintf("SWD×10³ %.2f", 1e3*r.SWD), fmt.Sprintf("MS-SSIM %.3f", r.MSSSIM)}
	default:
		if prev.BestStep > 0 && (r.Classes < prev.Classes || r.Diversity < diversityDrop*prev.Diversity) {
			bar.clear()
			fmt.Fprintf(log, "nash: warning: step %d: %d classes covered (was %d), feature diversity %.3f of real (was %.3f): the generator is collapsing\n",
				s.step, r.Classes, prev.Classes, r.Diversity, prev.Diversity)
		}
		s.eval.state.Classes, s.eval.state.Diversity = r.Classes, r.Diversity
		if best = prev.BestStep == 0 || r.FID < prev.BestFID; best {
			s.eval.state.BestFID, s.eval.state.BestStep = r.FID, s.step
		}
		extra["eval_fid"], extra["eval_classes"], extra["eval_class_kl"], extra["eval_diversity"] = r.FID, float64(r.Classes), r.ClassKL, r.Diversity
		extra["eval_best_fid"] = s.eval.state.BestFID
		s.eval.line = []string{fmt.Sprintf("FID %.2f", r.FID), fmt.Sprintf("classes %d", r.Classes)}
		if r.ClassAccuracy != nil {
			extra["eval_class_accuracy"] = *r.ClassAccuracy
		}
	}
	if best {
		if err := s.saveCheckpoint(s.run.CheckpointPath("best")); err != nil {
			return extra, err
		}
	}
	return extra, nil
}

// init prepares the evaluation: the embedded feature network of the
// dataset and the scored test set (evaluate.NewQuick) when one scores
// images of shape, else pixelSamples random images of train, the
// training set (evaluate.NewQuickPixels); and the fixed noise of the evaluation (the
// seed's "eval" stream, so that evaluations compare over time and across
// resumes).
func (e *imageEval) init(cfg Config, shape models.Shape, train *data.Dataset, g *infer.Generator) error {
	n := evalSamples
	switch {
	case cfg.Dataset == data.StackedMNISTName:
		m, err := classifier.Embedded("mnist")
		if err != nil {
			return err
		}
		e.quick, n = evaluate.NewQuickStacked(m), stackedSamples
		if limit, ok, err := testlimit.Get(testlimit.Samples, 1); err != nil {
			return err
		} else if ok {
			n = min(n, limit)
		}
	case EvalSupported(cfg.Dataset, shape):
		m, err := classifier.Embedded(cfg.Dataset)
		if err != nil {
			return err
		}
		test, err := data.Load(cfg.Dataset, cfg.Data, "test")
		if err != nil {
			return fmt.Errorf("evaluation needs the test set: %w", err)
		}
		if e.quick, err = evaluate.NewQuick(m, test, evalRealImages, evalSamples); err != nil {
			return err
		}
	default:
		n = min(pixelSamples, train.N)
		if n < 2 {
			return fmt.Errorf("%d training images: the evaluation on pixels needs at least 2", train.N)
		}
		real := evaluate.SampleDataset(train, n, tensor.NewRNG(cfg.Seed, "eval/real"))
		var err error
		if e.quick, err = evaluate.NewQuickPixels(real, cfg.Seed); err != nil {
			return err
		}
	}
	e.z = g.Noise(n, tensor.NewRNG(cfg.Seed, "eval"))
	return nil
}

// score evaluates the generator's images of the fixed noise; a conditional
// generator's are of the classes GenerateLabels gives them.
func (e *imageEval) score(g *infer.Generator) (evaluate.QuickScore, error) {
	return e.quick.Score(g.GenerateFrom(e.z), g.GenerateLabels(e.z.Dim(0)))
}

// evalMetadata returns the evaluation's state for a checkpoint's metadata,
// "" before the first evaluation.
func (s *session) evalMetadata() (string, error) {
	if s.eval.state.BestStep == 0 {
		return "", nil
	}
	b, err := json.Marshal(s.eval.state)
	return string(b), err
}

// restoreEval restores the evaluation's state from a checkpoint's
// metadata, read from path.
func (s *session) restoreEval(meta map[string]string, path string) error {
	v, ok := meta[metaEval]
	if !ok {
		return nil
	}
	var st evalState
	if err := json.Unmarshal([]byte(v), &st); err != nil || st.BestStep < 1 || math.IsNaN(st.BestFID) {
		return fmt.Errorf("%s: metadata %s is %.80q, want the evaluation's state", path, metaEval, v)
	}
	s.eval.state = st
	return nil
}
