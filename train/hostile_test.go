package train

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/models"
)

// Resuming moves the lines of metrics.jsonl that are not records aside,
// naming the file in a warning, rather than deleting them.
func TestResumeKeepsMalformedMetricsAside(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), quickConfig(), out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "metrics.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := "{\"step\":3,\"loss_d\":NaN}\n"
	if err := os.WriteFile(path, append([]byte(bad), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	log := resumeTo6(t, out)
	aside := filepath.Join(out, "metrics.malformed.jsonl")
	if !strings.Contains(log, "1 lines that are not records were moved to "+aside) {
		t.Errorf("log %q does not name %s", log, aside)
	}
	if got, err := os.ReadFile(aside); err != nil || string(got) != bad {
		t.Errorf("%s holds %q (%v), want %q", aside, got, err, bad)
	}
	if got := loggedSteps(t, path); got != "1 2 3 4 5 6" {
		t.Errorf("metrics.jsonl steps %s, want each step once", got)
	}
}

// Sizes beyond what nash or the machine can train are refused with one
// line naming the setting, before the run directory is created.
func TestOversizedConfigurationsAreRefusedBeforeTheRun(t *testing.T) {
	saved := availableMemory
	t.Cleanup(func() { availableMemory = saved })
	cases := []struct {
		name   string
		change func(*Config)
		memory uint64
		want   string
	}{
		{"z_dim", func(c *Config) { c.ZDim = 100_000_000 }, 0, "z_dim: must be at most 4096, got 100000000"},
		{"batch", func(c *Config) { c.Batch = 100_000_000 }, 0, "batch: must be at most 65536, got 100000000"},
		{"batch beyond the dataset", func(c *Config) { c.Batch = 60_001 }, 0, "batch: 60001 is more than the 60000 images of dataset mnist"},
		{"memory", func(c *Config) { c.Batch = 4096 }, 64 << 20, "batch: training mlp with batch 4096 needs about"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			availableMemory = func() uint64 { return c.memory }
			cfg := quickConfig()
			c.change(&cfg)
			out := filepath.Join(t.TempDir(), "run")
			err := Run(context.Background(), cfg, out, false, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line containing %q", err, c.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the refused run created %s", out)
			}
		})
	}
}

// The memory estimate of a configuration grows with its batch, and that of
// the recipe is well within a small machine's memory.
func TestMemoryEstimateGrowsWithTheBatch(t *testing.T) {
	saved := availableMemory
	t.Cleanup(func() { availableMemory = saved })
	availableMemory = func() uint64 { return 512 << 20 }
	for _, c := range []struct {
		batch int
		ok    bool
	}{{64, true}, {2048, true}, {60_000, false}} {
		cfg := quickConfig()
		cfg.Batch = c.batch
		src, err := openSource(cfg, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		_, err = newSession(cfg, nil, src)
		if (err == nil) != c.ok || !c.ok && !strings.Contains(err.Error(), "needs about") {
			t.Errorf("batch %d in 512 MiB: error %v, want ok %v", c.batch, err, c.ok)
		}
	}
}

// A garbage collection during the memory probe empties the pools of
// buffers a pass reuses; the probe must not count their reallocation as the
// samples' memory (it did, and refused a batch that fits).
func TestMemoryProbeIgnoresCollections(t *testing.T) {
	s := sessionOf(t, quickConfig())
	quiet, ok := s.samplePassBytes()
	if !ok {
		t.Fatal("no undisturbed probe without collections")
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	for range 5 {
		busy, ok := s.samplePassBytes()
		if ok && busy > quiet+quiet/2 {
			t.Errorf("with collections the probe measured %d bytes per sample, %d without", busy, quiet)
		}
	}
	close(stop)
	<-done
}

// Resuming checks the checkpoint's metadata before building anything from
// it: a configuration asking for a huge generator, or a negative epoch, is
// refused with one line naming the file and the key.
func TestResumeRefusesHostileMetadata(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), quickConfig(), out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "checkpoints", "last.safetensors")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keep := func(stored Config) (Config, error) { return MergeResume(stored, stored, nil) }
	for _, c := range []struct {
		key, from, to, want string
	}{
		{metaConfig, "z_dim: 100\n", "z_dim: 3000000\n", "metadata config: z_dim: must be at most 4096, got 3000000"},
		{metaEpoch, "0", "-5", `metadata epoch is "-5", want an epoch`},
	} {
		f, err := checkpoint.Parse(orig)
		if err != nil {
			t.Fatal(err)
		}
		f.Metadata[c.key] = strings.Replace(f.Metadata[c.key], c.from, c.to, 1)
		if err := checkpoint.Save(path, f); err != nil {
			t.Fatal(err)
		}
		err = Resume(context.Background(), out, keep, io.Discard)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s %q: error %v, want one line naming %s and containing %q", c.key, c.to, err, path, c.want)
		}
	}
}

// sabotage is a log that, at its first write (training has started),
// replaces the run's status.json by a folder, so that no status can be
// written any more.
type sabotage struct {
	status string
	done   bool
}

func (s *sabotage) Write(p []byte) (int, error) {
	if !s.done {
		s.done = true
		if err := os.Remove(s.status); err != nil {
			return 0, err
		}
		if err := os.Mkdir(s.status, 0o755); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// A run that cannot write its status stops at the next checkpoint and says
// so, rather than training on while status.json says "running" at step 0.
func TestRunStopsWhenItsStatusCannotBeWritten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := quickConfig()
	cfg.Steps = 8
	err := Run(context.Background(), cfg, out, false, &sabotage{status: filepath.Join(out, "status.json")})
	if err == nil || !strings.HasPrefix(err.Error(), "step 2: writing the run's status: ") || !strings.Contains(err.Error(), "status.json") ||
		strings.Count(err.Error(), "writing the run's status") != 1 || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v, want one line saying that the status could not be written at step 2", err)
	}
	if got := loggedSteps(t, filepath.Join(out, "metrics.jsonl")); got != "1 2" {
		t.Errorf("metrics.jsonl steps %s, want training stopped at step 2", got)
	}
}

// Resuming removes the temporary files that writes killed before their
// rename left behind, and says so.
func TestResumeRemovesStaleTemporaries(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), quickConfig(), out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "checkpoints", ".last.safetensors.tmp-123")
	if err := os.WriteFile(stale, []byte("half a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := resumeTo6(t, out)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", stale, err)
	}
	if !strings.Contains(log, "removed 1 temporary files that interrupted writes left in "+out) {
		t.Errorf("log %q does not say that a temporary file was removed", log)
	}
}

// A configuration file is one YAML document of values of the keys' types,
// none of them huge; errors are one line, naming the file, the line and
// the key, and never echo a long value in full.
func TestReadConfigRefusesWhatItWouldMisread(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, c := range []struct {
		name, text, want string
	}{
		{"fraction for an integer", "batch: 8\nsteps: 2.9\n", `my.yaml: line 2: steps: "2.9" is not an integer`},
		{"exponent for an integer", "steps: 1e3\n", `steps: "1e3" is not an integer`},
		{"text for a number", "lr: fast\n", `lr: "fast" is not a number`},
		{"text for a flag", "conditional: maybe\n", `conditional: "maybe" is not true or false`},
		{"second document", "steps: 2\n---\nbatch: 8\n", "my.yaml: line 2: a second YAML document"},
		{"broken second document", "steps: 2\n---\n: : [\n", "did not find expected key"},
		{"long value", "model: " + long + "\n", "my.yaml: line 1: model: a value of 5000 bytes, at most 4096"},
		{"long value of the wrong type", "steps: " + long[:100] + "\n", `steps: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (100 bytes) is not an integer`},
		{"unknown keys", "modle: mlp\nlos: ns\n", `my.yaml: line 1: unknown key "modle" (did you mean model?)`},
	} {
		_, _, err := ReadConfig(strings.NewReader(c.text), "my.yaml", DefaultConfig())
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || len(err.Error()) > 300 {
			t.Errorf("%s: error %.400v, want one short line containing %q", c.name, err, c.want)
		}
	}
	for _, text := range []string{"lr: 1\n", "data: 2024\n", "seed: 7\nconditional: true\n", "---\nsteps: 3\n"} {
		if _, _, err := ReadConfig(strings.NewReader(text), "my.yaml", DefaultConfig()); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
	cfg := DefaultConfig()
	cfg.Model = long
	if err := cfg.Validate(); err == nil || len(err.Error()) > 300 {
		t.Errorf("an unknown model of 5000 bytes: error %.400v, want a short one", err)
	}
	cfg = DefaultConfig()
	cfg.ZDim, cfg.Batch = 0, 0
	if err := cfg.Validate(); err == nil || err.Error() != "z_dim: must be positive, got 0; batch: must be positive, got 0" {
		t.Errorf("two bad settings: error %q, want both in one line", err)
	}
}

// Exploding losses are warned about once, as soon as they pass the bound,
// while they are still finite.
func TestExplodingLossesAreWarnedAbout(t *testing.T) {
	for _, c := range []struct {
		lr   float64
		want int
	}{{2e-4, 0}, {1e6, 1}} {
		cfg := quickConfig()
		cfg.LR, cfg.Steps = c.lr, 6
		var log strings.Builder
		if err := Run(context.Background(), cfg, filepath.Join(t.TempDir(), "run"), false, &log); err != nil {
			t.Fatal(err)
		}
		got := strings.Count(log.String(), "training is diverging")
		if got != c.want || c.want > 0 && !strings.Contains(log.String(), "nash: warning: step 1: ") {
			t.Errorf("lr %g: %d warnings in %q, want %d at step 1", c.lr, got, log.String(), c.want)
		}
	}
}

// The spec of a run is bounded where the data's shape and classes enter
// it: samples of more than models.MaxSampleValues values, or more than
// models.MaxClasses classes, are refused before anything is built.
func TestSpecBoundsSamplesAndClasses(t *testing.T) {
	cond := quickConfig()
	cond.Conditional = true
	for _, c := range []struct {
		cfg     Config
		sample  models.Shape
		classes int
		want    string
	}{
		{quickConfig(), models.Shape{C: 3, H: 300, W: 300}, 0, "image_size: samples of 3×300×300 are 270000 values, at most 196608 can be trained on"},
		{cond, models.Shape{C: 1, H: 28, W: 28}, 1025, "conditional: a conditional GAN has at most 1024 classes, the dataset has 1025"},
	} {
		if _, err := Spec(c.cfg, data.Images, c.sample, c.classes); err == nil || err.Error() != c.want {
			t.Errorf("Spec(%v, %d classes): error %v, want %q", c.sample, c.classes, err, c.want)
		}
	}
	if _, err := Spec(cond, data.Images, models.Shape{C: 3, H: 256, W: 256}, 1024); err != nil {
		t.Errorf("the largest spec: %v", err)
	}
}

// resumeTo6 resumes the run in out to 6 steps and returns what it logged.
func resumeTo6(t *testing.T, out string) string {
	t.Helper()
	longer := func(stored Config) (Config, error) {
		req := stored
		req.Steps = 6
		return MergeResume(stored, req, []string{"steps"})
	}
	var log strings.Builder
	if err := Resume(context.Background(), out, longer, &log); err != nil {
		t.Fatal(err)
	}
	return log.String()
}
