package train

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/tensor"
)

// writeCorpus writes a small corpus of lines of a few letters and returns
// its path.
func writeCorpus(t *testing.T) string {
	t.Helper()
	rng := tensor.NewRNG(1, "corpus")
	var b strings.Builder
	for range 120 {
		n := 3 + rng.IntN(4)
		for range n {
			b.WriteByte("abcdef"[rng.IntN(6)])
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "corpus.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func tokenConfig(model, corpus string) Config {
	cfg := DefaultConfig()
	cfg.Dataset, cfg.Data, cfg.Model = "text", corpus, model
	cfg.Steps, cfg.SampleEvery, cfg.LogEvery, cfg.Batch = 6, 3, 1, 8
	cfg.LR, cfg.Beta1 = 0.01, 0.9
	if model == "seqgan" {
		cfg.PretrainSteps, cfg.DPretrainSteps, cfg.DSteps, cfg.Rollouts = 1, 1, 1, 2
	}
	return cfg
}

// Every sequence game resumes exactly: a run stopped and resumed ends with
// the same checkpoint, byte for byte, as an uninterrupted one; and its
// generator loads on its own and samples text.
func TestSequenceGamesResumeExactly(t *testing.T) {
	corpus := writeCorpus(t)
	for _, model := range []string{"mle", "seqgan", "relgan"} {
		t.Run(model, func(t *testing.T) {
			cfg := tokenConfig(model, corpus)
			dir := t.TempDir()
			ref := filepath.Join(dir, "ref")
			if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
				t.Fatal(err)
			}
			stopped := filepath.Join(dir, "stopped")
			runStoppedAndResumed(t, cfg, stopped, 3)
			sameFiles(t, ref, stopped, "checkpoints/last.safetensors", "samples/step-0000006.txt")
			text, err := os.ReadFile(filepath.Join(ref, "samples/step-0000003.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.Count(string(text), "\n"); lines != textShown {
				t.Fatalf("%d lines of samples, want %d", lines, textShown)
			}
			if strings.Trim(strings.ReplaceAll(string(text), "<unk>", ""), "abcdef\n") != "" {
				t.Fatalf("samples hold tokens the corpus has not: %q", text)
			}
			g, err := infer.LoadRun(ref, "last")
			if err != nil {
				t.Fatal(err)
			}
			if g.Spec.Vocab != 8 || len(g.Spec.WordList()) != 8 || g.Spec.Sample.W != 7 {
				t.Fatalf("spec %+v, want 8 tokens (6 letters, <eos>, <unk>) and sequences of 7", g.Spec)
			}
			last := lastRecord(t, ref)
			for _, key := range []string{"bleu2", "bleu5", "self_bleu2", "nll_test"} {
				if v, ok := last[key].(float64); !ok || !(v > 0) {
					t.Errorf("metrics.jsonl's last record has %s = %v", key, last[key])
				}
			}
		})
	}
}

func lastRecord(t *testing.T, run string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// Bad sequence settings are refused in one line naming the setting, and
// nothing is written.
func TestSequenceSettingsRefused(t *testing.T) {
	corpus := writeCorpus(t)
	empty := filepath.Join(t.TempDir(), "empty.txt")
	binary := filepath.Join(t.TempDir(), "binary.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(binary, []byte("ab\x00cd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		set  func(*Config)
		want string
	}{
		{"tokens on images", func(c *Config) { c.Dataset, c.Data, c.Model = "mnist", "", "mlp"; c.Tokens = "char" }, "tokens: splits the lines of the text dataset"},
		{"max_len on the oracle", func(c *Config) { c.Dataset, c.Data = "oracle", ""; c.MaxLen = 9 }, "max_len: is the length of the text dataset"},
		{"tokens wrong", func(c *Config) { c.Tokens = "byte" }, `tokens: unknown tokens "byte"`},
		{"rollouts on mle", func(c *Config) { c.Rollouts = 4 }, `rollouts: is a setting of model seqgan, not "mle"`},
		{"rollout delay on mle", func(c *Config) { c.RolloutDelay = 0.8 }, `rollout_delay: is a setting of model seqgan, not "mle"`},
		{"rollout delay of 1", func(c *Config) { c.Model, c.RolloutDelay = "seqgan", 1 }, "rollout_delay: is the share of the roll-out network's own weights"},
		{"rollout delay negative", func(c *Config) { c.Model, c.RolloutDelay = "seqgan", -0.5 }, "rollout_delay: must not be negative"},
		{"image model on text", func(c *Config) { c.Model = "dcgan" }, "model: dcgan trains on"},
		{"spectral norm on seqgan", func(c *Config) { c.Model, c.SpectralNorm = "seqgan", true }, "spectral_norm: is not a setting of model seqgan"},
		{"a loss for mle", func(c *Config) { c.Loss = "hinge" }, "loss: is not a setting of model mle"},
		{"empty file", func(c *Config) { c.Data = empty }, "empty.txt: 0 non-empty lines"},
		{"binary file", func(c *Config) { c.Data = binary }, "binary.txt: not a text file"},
		{"line too long", func(c *Config) { c.MaxLen = 4 }, "more than max_len 4 allows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := tokenConfig("mle", corpus)
			c.set(&cfg)
			out := filepath.Join(t.TempDir(), "run")
			err := Run(context.Background(), cfg, out, false, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line with %q", err, c.want)
			}
			if _, serr := os.Stat(out); !os.IsNotExist(serr) {
				t.Fatalf("%s was written: %v", out, serr)
			}
		})
	}
}
