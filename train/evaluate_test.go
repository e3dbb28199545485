package train

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/rundir"
)

// smallEvaluation makes the evaluation during training cheap for a test.
func smallEvaluation(t *testing.T) {
	samples, real := evalSamples, evalRealImages
	evalSamples, evalRealImages = 200, 1000
	t.Cleanup(func() { evalSamples, evalRealImages = samples, real })
}

func evalConfig() Config {
	cfg := quickConfig()
	cfg.Steps, cfg.SampleEvery, cfg.EvalEvery, cfg.LogEvery = 6, 2, 2, 10
	return cfg
}

// readEval returns the evaluation state and the step stored in a
// checkpoint.
func readEval(t *testing.T, path string) (evalState, int, *checkpoint.File) {
	t.Helper()
	f, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var st evalState
	if err := json.Unmarshal([]byte(f.Metadata[metaEval]), &st); err != nil {
		t.Fatalf("%s: metadata %s: %v", path, metaEval, err)
	}
	step, err := strconv.Atoi(f.Metadata[metaStep])
	if err != nil {
		t.Fatal(err)
	}
	return st, step, f
}

// evaluations checks the records of the run in out that hold key, the
// evaluation's main number: they must be those of steps 2, 4 and 6 and
// pass ok, given the lowest value so far; it returns the lowest value and
// its step.
func evaluations(t *testing.T, out, key string, ok func(r rundir.Record, v, best float64) bool) (best, bestStep float64) {
	t.Helper()
	recs, _, err := rundir.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []float64
	best = math.Inf(1)
	for _, r := range recs {
		v, has := r[key]
		if !has {
			continue
		}
		steps = append(steps, r["step"])
		if v < best {
			best, bestStep = v, r["step"]
		}
		if !ok(r, v, best) {
			t.Errorf("record %v", r)
		}
	}
	if !slices.Equal(steps, []float64{2, 4, 6}) {
		t.Fatalf("evaluations at steps %v, want 2, 4, 6", steps)
	}
	return best, bestStep
}

func TestEvaluationDuringTraining(t *testing.T) {
	smallEvaluation(t)
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), evalConfig(), out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	best, bestStep := evaluations(t, out, "eval_fid", func(r rundir.Record, fid, best float64) bool {
		_, ok := r["eval_class_accuracy"]
		return fid > 0 && r["eval_classes"] >= 1 && r["eval_classes"] <= 10 && r["eval_diversity"] > 0 && r["eval_best_fid"] == best && !ok
	})
	st, _, _ := readEval(t, filepath.Join(out, "checkpoints", "last.safetensors"))
	if st.BestFID != best || float64(st.BestStep) != bestStep {
		t.Errorf("last checkpoint's evaluation state %+v, metrics say best %g at step %g", st, best, bestStep)
	}
	_, step, _ := readEval(t, filepath.Join(out, "checkpoints", "best.safetensors"))
	if float64(step) != bestStep {
		t.Errorf("best.safetensors is of step %d, the best FID of step %g", step, bestStep)
	}

	// A conditional run also logs how often the class asked for is seen.
	cond := evalConfig()
	cond.Conditional = true
	condDir := filepath.Join(t.TempDir(), "cond")
	if err := Run(context.Background(), cond, condDir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	recs, _, err := rundir.ReadMetrics(filepath.Join(condDir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	evaluated := 0
	for _, r := range recs {
		if _, ok := r["eval_fid"]; !ok {
			continue
		}
		evaluated++
		if acc, ok := r["eval_class_accuracy"]; !ok || acc < 0 || acc > 1 {
			t.Errorf("conditional record %v: want eval_class_accuracy in [0, 1]", r)
		}
	}
	if evaluated != 3 {
		t.Errorf("%d evaluations of the conditional run, want 3", evaluated)
	}

	off := evalConfig()
	off.EvalEvery = -1
	dir := filepath.Join(t.TempDir(), "off")
	if err := Run(context.Background(), off, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoints", "best.safetensors")); !os.IsNotExist(err) {
		t.Errorf("eval_every -1 wrote best.safetensors (%v)", err)
	}
}

// TestResumeKeepsTheBestCheckpoint stops a run after 4 of 6 steps and
// resumes it: the last checkpoint is byte for byte the uninterrupted run's,
// evaluation state included, and best.safetensors holds the same step and
// weights.
func TestResumeKeepsTheBestCheckpoint(t *testing.T) {
	smallEvaluation(t)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if err := Run(context.Background(), evalConfig(), ref, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(dir, "stopped")
	runStoppedAndResumed(t, evalConfig(), stopped, 4)
	sameFiles(t, ref, stopped, "checkpoints/last.safetensors")
	_, wantStep, wantF := readEval(t, filepath.Join(ref, "checkpoints", "best.safetensors"))
	_, gotStep, gotF := readEval(t, filepath.Join(stopped, "checkpoints", "best.safetensors"))
	if gotStep != wantStep {
		t.Fatalf("best checkpoint of step %d, uninterrupted %d", gotStep, wantStep)
	}
	for _, name := range wantF.Names() {
		w, err := wantF.Tensor(name)
		if err != nil {
			continue
		}
		g, err := gotF.Tensor(name)
		if err != nil || !slices.Equal(g.Data(), w.Data()) {
			t.Fatalf("best checkpoint: tensor %s differs (%v)", name, err)
		}
	}
}

// TestPixelEvaluationDuringTraining: a run on a folder of the user's
// images, which no feature network scores, is evaluated on its pixels:
// the sliced Wasserstein distance to the training images, whose lowest
// value picks best.safetensors, and MS-SSIM.
func TestPixelEvaluationDuringTraining(t *testing.T) {
	dir := t.TempDir()
	for i := range 12 {
		img := image.NewRGBA(image.Rect(0, 0, 24, 20))
		for y := range 20 {
			for x := range 24 {
				img.Set(x, y, color.RGBA{R: uint8(10 * x), G: uint8(12 * y), B: uint8(20 * i), A: 255})
			}
		}
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), img)
	}
	cfg := evalConfig()
	cfg.Dataset, cfg.Data, cfg.ImageSize, cfg.Batch = "folder", dir, 16, 4
	out := filepath.Join(t.TempDir(), "run")
	var log strings.Builder
	if err := Run(context.Background(), cfg, out, false, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "sliced Wasserstein distance to 12 real images") {
		t.Errorf("log does not name the evaluation on pixels:\n%s", log.String())
	}
	best, bestStep := evaluations(t, out, "eval_swd", func(r rundir.Record, swd, best float64) bool {
		_, fid := r["eval_fid"]
		return swd > 0 && r["eval_ms_ssim"] > 0 && r["eval_best_swd"] == best && !fid
	})
	st, _, _ := readEval(t, filepath.Join(out, "checkpoints", "last.safetensors"))
	if st.BestSWD != best || float64(st.BestStep) != bestStep || st.BestFID != 0 {
		t.Errorf("last checkpoint's evaluation state %+v, metrics say best SWD %g at step %g", st, best, bestStep)
	}
	if _, step, _ := readEval(t, filepath.Join(out, "checkpoints", "best.safetensors")); float64(step) != bestStep {
		t.Errorf("best.safetensors is of step %d, the best SWD of step %g", step, bestStep)
	}
}
