package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/schollz/progressbar/v3"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// evalSamples is the number of generated images the evaluation during
// training scores, against the Gaussian of the features of the first
// evalRealImages test images (all 10,000 of MNIST's and Fashion-MNIST's).
// Tests make both smaller.
var (
	evalSamples    = 2000
	evalRealImages = 10000
)

// diversityDrop is the factor by which the feature diversity must fall
// between two evaluations for a collapse warning.
const diversityDrop = 0.75

// metaEval is the checkpoint metadata holding the evaluation's state.
const metaEval = "eval"

// evalState is what the evaluation during training remembers between
// evaluations, saved in checkpoints so that a resumed run keeps its best
// checkpoint and its warnings.
type evalState struct {
	// BestFID is the lowest FID seen, at step BestStep (0: none yet).
	BestFID  float64 `json:"best_fid"`
	BestStep int     `json:"best_step"`
	// Classes and Diversity are the last evaluation's classes covered and
	// diversity ratio.
	Classes   int     `json:"classes"`
	Diversity float64 `json:"diversity"`
}

// imageEval is the cheap evaluation of a 28×28 grey MNIST or Fashion-MNIST
// run: every eval_every steps, evalSamples images from fixed noise are
// passed through the embedded feature network of the dataset to give the
// FID against the test set's features, the class histogram and the
// diversity of the features relative to real images' (evaluate.Quick).
type imageEval struct {
	state evalState
	// model, quick and z are set at the first evaluation.
	model *classifier.Model
	quick *evaluate.Quick
	z     *tensor.Tensor
	// off is set when the run's data cannot be evaluated.
	off bool
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
	if s.eval.off || s.cfg.EvalEvery < 0 || !EvalSupported(s.cfg.Dataset, s.spec.Sample) {
		return 0
	}
	if s.cfg.EvalEvery == 0 {
		return s.src.stepsPerEpoch()
	}
	return s.cfg.EvalEvery
}

// evaluateImages runs the evaluation when the step is due: it adds the
// eval_* keys to extra, warns on log when the generator collapses and
// writes checkpoints/best.safetensors when the FID is the lowest yet.
func (s *session) evaluateImages(extra rundir.Record, log io.Writer, bar *progressbar.ProgressBar) (rundir.Record, error) {
	every := s.evalEvery()
	if every == 0 || s.step%every != 0 {
		return extra, nil
	}
	if s.eval.model == nil {
		if err := s.eval.init(s.cfg, s.gen); err != nil {
			s.eval.off = true
			bar.Clear()
			fmt.Fprintf(log, "nash: warning: no evaluation during training: %v\n", err)
			return extra, nil
		}
		bar.Clear()
		fmt.Fprintf(log, "nash: evaluating every %d steps with %s\n", every, s.eval.model.Describe())
	}
	r, err := s.eval.score(s.gen)
	if err != nil {
		return extra, fmt.Errorf("step %d: evaluation: %w", s.step, err)
	}
	prev := s.eval.state
	if prev.BestStep > 0 && (r.Classes < prev.Classes || r.Diversity < diversityDrop*prev.Diversity) {
		bar.Clear()
		fmt.Fprintf(log, "nash: warning: step %d: %d classes covered (was %d), feature diversity %.3f of real (was %.3f): the generator is collapsing\n",
			s.step, r.Classes, prev.Classes, r.Diversity, prev.Diversity)
	}
	s.eval.state.Classes, s.eval.state.Diversity = r.Classes, r.Diversity
	if prev.BestStep == 0 || r.FID < prev.BestFID {
		s.eval.state.BestFID, s.eval.state.BestStep = r.FID, s.step
		if err := s.saveCheckpoint(s.run.CheckpointPath("best")); err != nil {
			return extra, err
		}
	}
	if extra == nil {
		extra = rundir.Record{}
	}
	extra["eval_fid"], extra["eval_classes"], extra["eval_class_kl"], extra["eval_diversity"] = r.FID, float64(r.Classes), r.ClassKL, r.Diversity
	extra["eval_best_fid"] = s.eval.state.BestFID
	if r.ClassAccuracy != nil {
		extra["eval_class_accuracy"] = *r.ClassAccuracy
	}
	return extra, nil
}

// init loads the feature network, scores the test set (evaluate.NewQuick)
// and draws the fixed noise of the evaluation (the seed's "eval" stream, so
// that evaluations compare over time and across resumes).
func (e *imageEval) init(cfg Config, g *infer.Generator) error {
	m, err := classifier.Embedded(cfg.Dataset)
	if err != nil {
		return err
	}
	test, err := data.Load(cfg.Dataset, cfg.Data, "test")
	if err != nil {
		return fmt.Errorf("evaluation needs the test set: %w", err)
	}
	q, err := evaluate.NewQuick(m, test, evalRealImages, evalSamples)
	if err != nil {
		return err
	}
	e.model, e.quick = m, q
	e.z = g.Noise(evalSamples, tensor.NewRNG(cfg.Seed, "eval"))
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
