package bench

import (
	"testing"

	"github.com/nash-gan/nash/train"
)

// Bench times a step of the recipe MLP and of the DCGAN and reports
// positive times and work.
func TestBench(t *testing.T) {
	for _, model := range []string{"mlp", "dcgan"} {
		cfg := train.DefaultConfig()
		cfg.Model, cfg.Batch = model, 8
		r, err := Bench(cfg, 1, 1, 1)
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if r.Model != model || r.Batch != 8 {
			t.Errorf("%s: result of model %q, batch %d", model, r.Model, r.Batch)
		}
		if !(r.MsMedian > 0 && r.MsMin > 0 && r.MsMax >= r.MsMin && r.GFLOPs > 0 && r.Threads > 0) {
			t.Errorf("%s: implausible result %+v", model, r)
		}
	}
	cfg := train.DefaultConfig()
	cfg.Model = "no-such-model"
	if _, err := Bench(cfg, 1, 1, 1); err == nil {
		t.Error("an unknown model benchmarked")
	}
}
