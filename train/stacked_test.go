package train

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/rundir"
)

// smallStacked makes Stacked MNIST and its evaluation small for a test.
func smallStacked(t *testing.T) {
	images, samples := stackedImages, stackedSamples
	stackedImages, stackedSamples = 96, 100
	t.Cleanup(func() { stackedImages, stackedSamples = images, samples })
}

// A packed DCGAN trains on Stacked MNIST: the evaluation during training
// logs the modes covered and their KL to uniform, a resumed run ends as an
// uninterrupted one, and the generator makes RGB images.
func TestStackedMNISTWithPacking(t *testing.T) {
	smallStacked(t)
	cfg := evalConfig()
	cfg.Dataset, cfg.Model, cfg.Pack = "stacked-mnist", "dcgan", 2
	dir := t.TempDir()
	whole, resumed := filepath.Join(dir, "whole"), filepath.Join(dir, "resumed")
	if err := Run(context.Background(), cfg, whole, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	best, _ := evaluations(t, whole, "mode_kl", func(r rundir.Record, kl, best float64) bool {
		return r["modes"] >= 1 && r["modes"] <= 100 && kl >= 0 && r["eval_best_mode_kl"] == best
	})
	st, _, _ := readEval(t, filepath.Join(whole, "checkpoints", "last.safetensors"))
	if st.BestModeKL != best || st.Modes < 1 {
		t.Errorf("evaluation state %+v, metrics say best KL %g", st, best)
	}
	runStoppedAndResumed(t, cfg, resumed, 4)
	sameFiles(t, whole, resumed, "checkpoints/last.safetensors")
	if _, want, _ := readEval(t, filepath.Join(whole, "checkpoints", "best.safetensors")); want != bestStepOf(t, resumed) {
		t.Errorf("resumed run's best checkpoint is of step %d, the uninterrupted run's of %d", bestStepOf(t, resumed), want)
	}
	g, err := infer.LoadRun(whole, "last")
	if err != nil {
		t.Fatal(err)
	}
	if g.Spec.Pack != 2 || g.Spec.Sample.C != 3 {
		t.Errorf("spec %+v, want packing 2 and 3 channels", g.Spec)
	}
	if x := g.Generate(5, 1); x.Dim(1) != 3 || x.Dim(2) != 28 {
		t.Errorf("samples of shape %v", x.Shape())
	}
}

// Packing must divide every batch, the last of an epoch too.
func TestPackingDividesTheLastBatch(t *testing.T) {
	smallStacked(t)
	cfg := quickConfig()
	cfg.Dataset, cfg.Model, cfg.Batch, cfg.Pack = "stacked-mnist", "dcgan", 10, 5 // 96 = 9·10 + 6
	err := Run(context.Background(), cfg, filepath.Join(t.TempDir(), "bad"), false, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "pack: 5 does not divide the last batch") {
		t.Errorf("error %v, want one about the last batch", err)
	}
}

// bestStepOf returns the step of the run's best checkpoint.
func bestStepOf(t *testing.T, dir string) int {
	t.Helper()
	_, step, _ := readEval(t, filepath.Join(dir, "checkpoints", "best.safetensors"))
	return step
}
