package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/schollz/progressbar/v3"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/gan"
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

// sampleBatch bounds the images generated at once for evaluation.
const sampleBatch = 500

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
func EvalSupported(dataset string, shape Shape) bool {
	_, err := classifier.Embedded(dataset)
	return err == nil && shape == Shape{C: 1, H: classifier.Side, W: classifier.Side}
}

// evalEvery returns the step interval of the evaluation, 0 when the run is
// not evaluated.
func (s *session) evalEvery() int {
	if s.eval.off || s.cfg.EvalEvery < 0 || !EvalSupported(s.cfg.Dataset, s.shape) {
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
		if err := s.eval.init(s.cfg, s.gan); err != nil {
			s.eval.off = true
			bar.Clear()
			fmt.Fprintf(log, "nash: warning: no evaluation during training: %v\n", err)
			return extra, nil
		}
		bar.Clear()
		fmt.Fprintf(log, "nash: evaluating every %d steps with %s\n", every, s.eval.model.Describe())
	}
	r, err := s.eval.score(s.gan)
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
func (e *imageEval) init(cfg Config, g *gan.GAN) error {
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
// GAN's are of the classes GenerateLabels gives them.
func (e *imageEval) score(g *gan.GAN) (evaluate.QuickScore, error) {
	var labels []int
	if g.Classes > 0 {
		labels = cycleClasses(e.z.Dim(0), g.Classes)
	}
	return e.quick.Score(generate(g, e.z), labels)
}

// generate returns the generator's images for the noise z (its moving
// average when it keeps one), sampleBatch rows at a time; a conditional
// GAN's row i is of class i mod Classes (GenerateLabels).
func generate(g *gan.GAN, z *tensor.Tensor) *tensor.Tensor {
	n, d := z.Dim(0), z.Len()/z.Dim(0)
	var labels *tensor.Tensor
	if g.Classes > 0 {
		labels = gan.CycleLabels(n, g.Classes)
	}
	var out *tensor.Tensor
	for lo := 0; lo < n; lo += sampleBatch {
		hi := min(n, lo+sampleBatch)
		var y *tensor.Tensor
		if labels != nil {
			y = tensor.FromSlice(labels.Data()[lo:hi], hi-lo)
		}
		x := g.SampleClasses(tensor.FromSlice(z.Data()[lo*d:hi*d], hi-lo, d), y)
		if out == nil {
			out = tensor.New(n, x.Len()/(hi-lo))
		}
		copy(out.Data()[lo*out.Dim(1):], x.Data())
	}
	return out
}

// Generate returns n images of the run's generator (its moving average
// when it keeps one) from the noise of seed's "eval" stream, shaped
// [n, C, H, W] and in [−1, 1]; a conditional run's image i is of the class
// GenerateLabels gives it.
func (t *Trained) Generate(n int, seed uint64) *tensor.Tensor {
	x := generate(t.GAN, t.GAN.Noise(n, tensor.NewRNG(seed, "eval")))
	return x.Reshape(n, t.Shape.C, t.Shape.H, t.Shape.W)
}

// GenerateLabels returns the classes of Generate's n images for a
// conditional run, image i of class i mod the number of classes, and nil
// for an unconditional run.
func (t *Trained) GenerateLabels(n int) []int {
	if t.GAN.Classes == 0 {
		return nil
	}
	return cycleClasses(n, t.GAN.Classes)
}

// cycleClasses returns the labels of gan.CycleLabels (0, 1, …, classes−1,
// 0, 1, …) as integers.
func cycleClasses(n, classes int) []int {
	labels := make([]int, n)
	for i, y := range gan.CycleLabels(n, classes).Data() {
		labels[i] = int(y)
	}
	return labels
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
		return fmt.Errorf("%s: metadata %s is %q, want the evaluation's state", path, metaEval, v)
	}
	s.eval.state = st
	return nil
}

// LoadRunCheckpoint is LoadRun for the checkpoint checkpoints/<name>.safetensors
// of the run in dir: "last", or "best", the lowest FID of the evaluation
// during training.
func LoadRunCheckpoint(dir, name string) (*Trained, error) {
	run, err := rundir.Open(dir)
	if err != nil {
		return nil, err
	}
	path := run.CheckpointPath(name)
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	return restoreTrained(f, path)
}
