package train

import (
	"bytes"
	"errors"
	"runtime"
	"time"

	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/rundir"
)

func TestValidateNamesTheKey(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"dataset", func(c *Config) { c.Dataset = "cifar" }, `dataset: unknown dataset "cifar"`},
		{"data", func(c *Config) { c.Dataset = "fashion-mnist" }, "data: dataset fashion-mnist needs a data folder"},
		{"loss", func(c *Config) { c.Loss = "wasserstein" }, `loss: unknown loss "wasserstein"`},
		{"batch", func(c *Config) { c.Batch = 0 }, "batch: must be positive, got 0"},
		{"lr", func(c *Config) { c.LR = -1 }, "lr: must be positive"},
		{"beta1", func(c *Config) { c.Beta1 = 1 }, "beta1: must be in [0, 1)"},
		{"n_critic", func(c *Config) { c.NCritic = 0 }, "n_critic: must be at least 1, got 0"},
		{"clip without wgan", func(c *Config) { c.Clip = 0.01 }, "clip: weight clipping belongs to the wgan loss, not ns"},
		{"gp without wgan-gp", func(c *Config) { c.GP = 10 }, "gp: the gradient penalty belongs to the wgan-gp loss, not ns"},
		{"smoothing with hinge", func(c *Config) { c.Loss, c.LabelSmoothing = "hinge", 0.1 }, "label_smoothing: smooths the cross-entropy"},
		{"nothing to train", func(c *Config) { c.Epochs = 0 }, "epochs: epochs and steps are both 0"},
		{"pack", func(c *Config) { c.Pack = 3 }, "pack: 3 does not divide the batch of 64"},
		{"negative pack", func(c *Config) { c.Pack = -1 }, "pack: must be between 0 and 16"},
		{"conditional pack", func(c *Config) { c.Pack, c.Conditional = 2, true }, "pack: packing judges samples of different classes"},
		{"negative mode seeking", func(c *Config) { c.ModeSeeking = -1 }, "mode_seeking: must not be negative, got -1"},
		{"mode seeking of one", func(c *Config) { c.ModeSeeking, c.Batch = 1, 1 }, "mode_seeking: compares the two halves of a batch"},
		{"mode seeking in cyclegan", func(c *Config) { c.Model, c.Dataset, c.ModeSeeking = "cyclegan", "mnist-printed", 1 }, "mode_seeking: the mode-seeking term belongs to the classic game"},
		{"stacked size", func(c *Config) { c.Dataset, c.ImageSize = "stacked-mnist", 32 }, "image_size: stacked-mnist's images are 28×28, got 32"},
		{"stacked classes", func(c *Config) { c.Dataset, c.Conditional = "stacked-mnist", true }, "conditional: stacked-mnist's 1,000 digit triples"},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default configuration invalid: %v", err)
	}
}

func TestReadConfig(t *testing.T) {
	cfg, keys, err := ReadConfig(strings.NewReader("loss: wgan\nseed: 9\n"), "my.yaml", DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Loss != "wgan" || cfg.Seed != 9 || cfg.Batch != 64 || !slices.Equal(keys, []string{"loss", "seed"}) {
		t.Fatalf("got loss %q seed %d batch %d keys %v", cfg.Loss, cfg.Seed, cfg.Batch, keys)
	}
	for _, c := range []struct{ yaml, want string }{
		{"los: ns\n", `my.yaml: line 1: unknown key "los" (did you mean loss?)`},
		{"seed: 2\nz_dims: 64\n", `my.yaml: line 2: unknown key "z_dims" (did you mean z_dim?)`},
		{"learning_rate: 0.1\n", `my.yaml: line 1: unknown key "learning_rate"`},
	} {
		_, _, err = ReadConfig(strings.NewReader(c.yaml), "my.yaml", DefaultConfig())
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: error %v, want %s", c.yaml, err, c.want)
		}
	}
}

func TestResolveAppliesObjectiveDefaultsOnlyWhereNotGiven(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Loss, cfg.LR = "wgan-gp", 3e-4
	given := func(k string) bool { return k == "loss" || k == "lr" }
	r := cfg.Resolve(given)
	if r.LR != 3e-4 || r.Beta1 != 0 || r.Beta2 != 0.9 || r.NCritic != 5 || r.GP != 10 || r.Optimizer != "adam" {
		t.Fatalf("wgan-gp resolved to %+v", r)
	}
	cfg.Loss = "wgan"
	r = cfg.Resolve(func(k string) bool { return k == "loss" })
	if r.Optimizer != "rmsprop" || r.LR != 5e-5 || r.Clip != 0.01 || r.NCritic != 5 {
		t.Fatalf("wgan resolved to %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestMergeResume(t *testing.T) {
	stored := DefaultConfig()
	req := stored
	req.Steps, req.LR = 500, 1e-3
	if _, err := MergeResume(stored, req, []string{"steps", "lr"}); err == nil || !strings.Contains(err.Error(), "lr: the run was trained with 0.0002") {
		t.Fatalf("changing lr on resume: error %v", err)
	}
	got, err := MergeResume(stored, req, []string{"steps"})
	if err != nil || got.Steps != 500 || got.LR != stored.LR {
		t.Fatalf("MergeResume = %+v, %v", got, err)
	}
	if configHash(got) != configHash(stored) {
		t.Fatal("changing steps changed the configuration hash")
	}
}

func quickConfig() Config {
	cfg := DefaultConfig()
	cfg.Steps, cfg.SampleEvery, cfg.LogEvery, cfg.Batch = 4, 2, 1, 16
	return cfg
}

func TestRunWritesTheRunDirectory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), quickConfig(), out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.yaml", "metrics.jsonl", "samples/step-0000002.png", "samples/step-0000004.png", "checkpoints/last.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	recs, skipped, err := rundir.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil || skipped != 0 || len(recs) != 4 || recs[3]["step"] != 4 {
		t.Fatalf("metrics: %d records, %d skipped, %v", len(recs), skipped, err)
	}
	for _, k := range []string{"loss_d", "loss_g", "d_real", "d_fake", "epoch", "time"} {
		if _, ok := recs[0][k]; !ok {
			t.Errorf("metrics record lacks %q", k)
		}
	}
	if st, ok, err := rundir.ReadStatus(out); err != nil || !ok || st.State != rundir.StateFinished || st.Step != 4 || st.TotalSteps != 4 {
		t.Fatalf("status.json: %+v, %v, %v", st, ok, err)
	}
	tr, err := LoadCheckpoint(out, "last")
	if err != nil || tr.Step != 4 || tr.Config.Batch != 16 {
		t.Fatalf("LoadCheckpoint: %+v, %v", tr, err)
	}
	if err := Run(context.Background(), quickConfig(), out, false, io.Discard); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second run into the same directory: error %v, want a refusal mentioning --force", err)
	}
}

func TestNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint(t *testing.T) {
	cfg := quickConfig()
	// With two critic updates per generator update, step 1 updates only D
	// (finite losses, checkpoint written) and step 2 meets D's exploded weights.
	cfg.Steps, cfg.SampleEvery, cfg.LR, cfg.NCritic = 50, 1, 1e30, 2
	out := filepath.Join(t.TempDir(), "run")
	err := Run(context.Background(), cfg, out, false, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "non-finite loss") || !strings.Contains(err.Error(), "step ") {
		t.Fatalf("error %v, want a non-finite loss naming the step", err)
	}
	if st, ok, _ := rundir.ReadStatus(out); !ok || st.State != rundir.StateFailed || !strings.Contains(st.Error, "non-finite") {
		t.Fatalf("status.json after the failure: %+v", st)
	}
	tr, lerr := LoadCheckpoint(out, "last")
	if lerr != nil {
		t.Fatalf("the last checkpoint does not load: %v", lerr)
	}
	if tr.Step != 1 || !strings.Contains(err.Error(), "step "+strconv.Itoa(tr.Step+1)+":") {
		t.Fatalf("error %q does not name step %d, the one after the last checkpoint", err, tr.Step+1)
	}
}

func TestDCGANRun(t *testing.T) {
	cfg := quickConfig()
	cfg.Model, cfg.Steps, cfg.Batch, cfg.SampleEvery = "dcgan", 2, 8, 2
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), cfg, out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	tr, err := LoadCheckpoint(out, "last")
	if err != nil {
		t.Fatal(err)
	}
	// The generator's BatchNorm statistics moved and were restored.
	var moved bool
	for name, v := range nn.StateDict(tr.Game.(*gan.GAN).G) {
		if strings.HasSuffix(name, "running_mean") && v.Sum() != 0 {
			moved = true
		}
	}
	if !moved {
		t.Fatal("no BatchNorm running mean restored from the checkpoint moved from 0")
	}
	if _, err := os.Stat(filepath.Join(out, "samples", "step-0000002.png")); err != nil {
		t.Fatal(err)
	}
}

func TestSpectralNormDiscriminator(t *testing.T) {
	cfg := quickConfig()
	cfg.SpectralNorm, cfg.Loss = true, "hinge"
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), cfg, out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	tr, err := LoadCheckpoint(out, "last")
	if err != nil {
		t.Fatal(err)
	}
	sd := nn.StateDict(tr.Game.(*gan.GAN).D)
	for _, name := range []string{"0.weight_orig", "0.weight_u", "0.weight_v", "0.bias", "4.weight_orig"} {
		if _, ok := sd[name]; !ok {
			t.Errorf("discriminator lacks %s: %v", name, len(sd))
		}
	}
}

// Resuming under n_critic continues the schedule of G updates: stopping at
// a step that is not a multiple of n_critic and resuming gives the same
// final checkpoint, byte for byte, as never stopping.
func TestResumeKeepsTheCriticSchedule(t *testing.T) {
	cfg := quickConfig()
	cfg.Loss, cfg.NCritic, cfg.Steps, cfg.SampleEvery, cfg.EMAKimg = "wgan-gp", 3, 11, 4, 1
	cfg = cfg.Resolve(func(k string) bool { return k == "n_critic" })
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(dir, "stopped")
	runStoppedAndResumed(t, cfg, stopped, 4)
	sameFiles(t, ref, stopped, "checkpoints/last.safetensors")
}

// runStoppedAndResumed trains cfg into dir for its first stopAt steps, then
// resumes the run there up to cfg.Steps.
func runStoppedAndResumed(t *testing.T, cfg Config, dir string, stopAt int) {
	t.Helper()
	short := cfg
	short.Steps = stopAt
	if err := Run(context.Background(), short, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	err := Resume(context.Background(), dir, func(stored Config) (Config, error) {
		req := stored
		req.Steps = cfg.Steps
		return MergeResume(stored, req, []string{"steps"})
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
}

// sameFiles fails t unless every one of files is byte for byte the same in
// the run directories a and b.
func sameFiles(t *testing.T, a, b string, files ...string) {
	t.Helper()
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("resumed run's %s differs from the uninterrupted run's", f)
		}
	}
}

// Settings added after the first runs are written only when set, so the
// configuration hash of runs made before them is unchanged and they resume.
func TestLaterKeysOmittedAtTheirDefaults(t *testing.T) {
	for _, c := range []struct {
		key  string
		set  func(*Config)
		want string
	}{
		{"lr_decay", func(c *Config) { c.LRDecay = 0.5 }, "lr_decay: 0.5\n"},
		{"eval_every", func(c *Config) { c.EvalEvery = -1 }, "eval_every: -1\n"},
		{"image_size", func(c *Config) { c.ImageSize = 32 }, "image_size: 32\n"},
		{"conditional", func(c *Config) { c.Conditional = true }, "conditional: true\n"},
	} {
		cfg := DefaultConfig()
		if y := string(cfg.YAML()); strings.Contains(y, c.key) {
			t.Errorf("the default configuration writes %s:\n%s", c.key, y)
		}
		c.set(&cfg)
		if y := string(cfg.YAML()); !strings.Contains(y, c.want) {
			t.Errorf("a configuration with %s set lacks %q:\n%s", c.key, c.want, y)
		}
	}
}

// A run stopped before its first checkpoint resumes from step 0 with its
// saved configuration, ending where an uninterrupted run ends; a length
// below the run's step is refused without touching the run; a finished run
// says so and is left as it is.
func TestResumeEdges(t *testing.T) {
	cfg := quickConfig()
	cfg.Steps, cfg.SampleEvery = 6, 3
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	early := filepath.Join(dir, "early")
	if err := Run(&stopAfter{Context: context.Background(), n: 2}, cfg, early, false, io.Discard); err == nil {
		t.Fatal("the run was not interrupted")
	}
	// Interrupted at step 2 it saved a checkpoint; remove it, as if the
	// process had been killed before its first one.
	if err := os.Remove(filepath.Join(early, "checkpoints", "last.safetensors")); err != nil {
		t.Fatal(err)
	}
	if _, err := infer.LoadRun(early, "last"); !errors.Is(err, infer.ErrNoCheckpoint) || !strings.Contains(err.Error(), "no checkpoint yet") {
		t.Fatalf("loading a run without a checkpoint: %v", err)
	}
	var log strings.Builder
	keep := func(stored Config) (Config, error) { return MergeResume(stored, stored, nil) }
	if err := Resume(context.Background(), early, keep, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "from step 0") {
		t.Errorf("log %q does not say the run starts again from step 0", log.String())
	}
	sameFiles(t, ref, early, "checkpoints/last.safetensors")
	if got := loggedSteps(t, filepath.Join(early, "metrics.jsonl")); got != "1 2 3 4 5 6" {
		t.Errorf("metrics.jsonl steps %s, want each step once", got)
	}

	config, err := os.ReadFile(filepath.Join(ref, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile(filepath.Join(ref, "status.json"))
	if err != nil {
		t.Fatal(err)
	}
	shorter := func(stored Config) (Config, error) {
		req := stored
		req.Steps = 4
		return MergeResume(stored, req, []string{"steps"})
	}
	if err := Resume(context.Background(), ref, shorter, io.Discard); err == nil || !strings.Contains(err.Error(), "at step 6, beyond the 4 steps") {
		t.Fatalf("resuming to fewer steps than done: error %v", err)
	}
	log.Reset()
	if err := Resume(context.Background(), ref, keep, &log); err != nil || !strings.Contains(log.String(), "finished at step 6 of 6") {
		t.Fatalf("resuming a finished run: %v, log %q", err, log.String())
	}
	for name, want := range map[string][]byte{"config.yaml": config, "status.json": status} {
		if got, _ := os.ReadFile(filepath.Join(ref, name)); !bytes.Equal(got, want) {
			t.Errorf("a refused or empty resume changed %s", name)
		}
	}
}

// loggedSteps returns the steps of a metrics.jsonl, in order, as text.
func loggedSteps(t *testing.T, path string) string {
	t.Helper()
	recs, _, err := rundir.ReadMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, r := range recs {
		steps = append(steps, strconv.Itoa(int(r["step"])))
	}
	return strings.Join(steps, " ")
}

// TestConfigYAMLIsResolved: config.yaml says what the run used, not the
// zeros that stand for it.
func TestConfigYAMLIsResolved(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := quickConfig()
	if err := Run(context.Background(), cfg, out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got Config
	run, err := rundir.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.ReadConfig(&got); err != nil {
		t.Fatal(err)
	}
	perEpoch := 60000 / cfg.Batch
	if got.LRD != cfg.LR || got.SampleEvery != cfg.SampleEvery || got.EvalEvery != perEpoch || got.Threads != runtime.GOMAXPROCS(0) || got.ImageSize != 28 {
		t.Errorf("config.yaml: lr_d %g, sample_every %d, eval_every %d, threads %d, image_size %d; want %g, %d, %d, %d, 28",
			got.LRD, got.SampleEvery, got.EvalEvery, got.Threads, got.ImageSize, cfg.LR, cfg.SampleEvery, perEpoch, runtime.GOMAXPROCS(0))
	}
	toy := quickConfig()
	toy.Dataset, toy.SampleEvery = "ring8", 0
	toyOut := filepath.Join(t.TempDir(), "toy")
	if err := Run(context.Background(), toy, toyOut, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	run, _ = rundir.Open(toyOut)
	got = Config{}
	if err := run.ReadConfig(&got); err != nil {
		t.Fatal(err)
	}
	if got.SampleEvery != toySteps || got.ImageSize != 0 || got.EvalEvery != 0 {
		t.Errorf("2-D run's config.yaml: sample_every %d, image_size %d, eval_every %d; want %d, 0, 0", got.SampleEvery, got.ImageSize, got.EvalEvery, toySteps)
	}
}

func TestCheckpointDue(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		last   time.Time
		always bool
		want   bool
	}{
		{time.Time{}, false, true},
		{now.Add(-time.Second), false, false},
		{now.Add(-checkpointGap), false, true},
		{now.Add(-time.Second), true, true},
	} {
		if got := checkpointDue(c.last, now, c.always); got != c.want {
			t.Errorf("last %v, always %v: due %v, want %v", now.Sub(c.last), c.always, got, c.want)
		}
	}
}
