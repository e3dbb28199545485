package bench

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/train"
)

// A short 2-D benchmark of two variants and two seeds gives one plausible
// result each and a table beside the published numbers; there is a variant
// per objective and the recommended one.
func TestToyBenchTable(t *testing.T) {
	base := train.DefaultConfig()
	base.Batch, base.Steps, base.SampleEvery, base.LogEvery = 32, 20, 10, 10
	vs := ToyVariants()[:2]
	res, err := ToyBench(context.Background(), base, vs, []string{"ring8"}, []uint64{1, 2}, t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 2 variants × 2 seeds", len(res))
	}
	for _, r := range res {
		if r.Modes < 0 || r.Modes > 8 || r.HighQuality < 0 || r.HighQuality > 1 {
			t.Fatalf("implausible result %+v", r)
		}
	}
	table := ToyTable(res, vs)
	if !strings.Contains(table, "| nash minimax | ") || !strings.Contains(table, "| PacGAN4 (PacGAN table 1) | 7.8 | 95.9 | 24.8 | 93.6 | |") {
		t.Fatalf("table:\n%s", table)
	}
	if names := len(ToyVariants()); names != len(gan.Losses)+1 {
		t.Fatalf("%d variants, want one per objective (%d) and the recommended one", names, len(gan.Losses))
	}
}

// The recommended 2-D configuration is valid on both mixtures and anneals
// its learning rates.
func TestRecommendedToyDecays(t *testing.T) {
	for _, ds := range []string{"ring8", "grid25"} {
		cfg := train.DefaultConfig()
		cfg.Dataset, cfg.Steps, cfg.Batch = ds, 30000, 256
		RecommendedToy.Apply(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", ds, err)
		}
		if cfg.LRDecay <= 0 || cfg.R1 <= 0 || cfg.EMAKimg <= 0 {
			t.Errorf("%s: recommended configuration lr_decay %g, r1 %g, ema_kimg %g", ds, cfg.LRDecay, cfg.R1, cfg.EMAKimg)
		}
	}
}
