package train

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/optim"
)

func TestLRFactor(t *testing.T) {
	cases := []struct {
		decay       float64
		step, total int
		want        float64
	}{
		{0, 99, 100, 1},
		{0.5, 0, 100, 1},
		{0.5, 50, 100, 1},
		{0.5, 51, 100, 49.0 / 50},
		{0.5, 75, 100, 0.5},
		{0.5, 99, 100, 1.0 / 50},
		{1, 0, 100, 1},
		{1, 1, 100, 0.99},
		{1, 99, 100, 0.01},
		{0.25, 7, 8, 0.5},
	}
	for _, c := range cases {
		if got := lrFactor(c.decay, c.step, c.total); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("lrFactor(%g, %d, %d) = %g, want %g", c.decay, c.step, c.total, got, c.want)
		}
	}
}

func TestLRDecayValidation(t *testing.T) {
	for _, v := range []float64{-0.1, 1.5, math.NaN()} {
		cfg := DefaultConfig()
		cfg.LRDecay = v
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "lr_decay: ") || !strings.Contains(err.Error(), "must be in [0, 1]") {
			t.Errorf("lr_decay %g: error %v", v, err)
		}
	}
	stored := DefaultConfig()
	stored.LRDecay, stored.Steps = 0.5, 100
	req := stored
	req.Steps = 200
	if _, err := MergeResume(stored, req, []string{"steps"}); err == nil || !strings.Contains(err.Error(), "steps: the learning rates fall to 0") {
		t.Errorf("changing steps of a decaying run on resume: error %v", err)
	}
	req = stored
	req.Threads = 1
	if _, err := MergeResume(stored, req, []string{"steps", "threads"}); err != nil {
		t.Errorf("resuming a decaying run with its own length: %v", err)
	}
}

// The schedule sets both optimisers' rates, the discriminator's from lr_d.
func TestScheduleSetsBothLearningRates(t *testing.T) {
	cases := []struct {
		optimizer string
		lr        func(optim.Optimizer) float32
	}{
		{"adam", func(o optim.Optimizer) float32 { return o.(*optim.Adam).LR }},
		{"rmsprop", func(o optim.Optimizer) float32 { return o.(*optim.RMSprop).LR }},
		{"sgd", func(o optim.Optimizer) float32 { return o.(*optim.SGD).LR }},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.Dataset, cfg.Optimizer, cfg.LR, cfg.LRD, cfg.LRDecay = "ring8", c.optimizer, 1e-3, 4e-3, 0.5
		game, err := Build(cfg, models.Spec{Family: "mlp", Data: data.Points, Sample: models.Shape{C: 1, H: 1, W: 2}, ZDim: cfg.ZDim})
		if err != nil {
			t.Fatal(err)
		}
		g := game.(*gan.GAN)
		s := &session{cfg: cfg, game: g, step: 75, baseLR: baseLRs(g)}
		s.schedule(100)
		if gl, dl := c.lr(g.OptG), c.lr(g.OptD); gl != float32(0.5e-3) || dl != float32(2e-3) {
			t.Errorf("%s at step 75 of 100: lr %g and %g, want 0.0005 and 0.002", c.optimizer, gl, dl)
		}
	}
}

// stopAfter is a context that is cancelled after n calls of Err: the
// training loop checks it once per step, so it interrupts at step n.
type stopAfter struct {
	context.Context
	n int
}

func (c *stopAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// A run interrupted in the middle of its decay and resumed ends with the
// same checkpoint, byte for byte, as a run never interrupted; and the
// decay changes what training computes.
func TestResumeMidDecay(t *testing.T) {
	cfg := quickConfig()
	cfg.Dataset, cfg.Steps, cfg.SampleEvery, cfg.LRDecay = "ring8", 12, 5, 0.5
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(dir, "stopped")
	if err := Run(&stopAfter{Context: context.Background(), n: 9}, cfg, stopped, false, io.Discard); err == nil || !strings.Contains(err.Error(), "interrupted at step 9") {
		t.Fatalf("interrupted run: error %v, want it interrupted at step 9", err)
	}
	err := Resume(context.Background(), stopped, func(stored Config) (Config, error) {
		return MergeResume(stored, stored, nil)
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	constant := filepath.Join(dir, "constant")
	cfg.LRDecay = 0
	if err := Run(context.Background(), cfg, constant, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	read := func(run string) []byte {
		b, err := os.ReadFile(filepath.Join(run, "checkpoints", "last.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := read(ref)
	if !bytes.Equal(read(stopped), want) {
		t.Fatal("run resumed mid-decay differs from the uninterrupted run")
	}
	if bytes.Equal(read(constant), want) {
		t.Fatal("lr_decay 0.5 trained the same weights as a constant learning rate")
	}
}
