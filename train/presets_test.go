package train

import (
	"slices"
	"strings"
	"testing"
)

// TestPresetsAreValid applies every preset over the defaults: each parses,
// validates.
func TestPresetsAreValid(t *testing.T) {
	for _, p := range Presets {
		cfg, keys, err := p.Apply(DefaultConfig())
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		if err := cfg.Resolve(func(k string) bool { return slices.Contains(keys, k) }).Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	ring8, err := LookupPreset("ring8")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, _ := ring8.Apply(DefaultConfig())
	if cfg.Dataset != "ring8" || cfg.R1 != 0.012 || cfg.LR != 2e-3 || cfg.LRDecay != 0.5 || cfg.EMAKimg != 30 || cfg.Batch != 256 || cfg.Steps != 30000 {
		t.Errorf("ring8: %+v", cfg)
	}
	if want := "--dataset ring8 --loss ns --r1 0.012 --lr 2e-3 --lr-decay 0.5 --ema-kimg 30 --batch 256 --steps 30000"; ring8.Flags() != want {
		t.Errorf("ring8 flags %q, want %q", ring8.Flags(), want)
	}
	if _, err := LookupPreset("ring9"); err == nil || !strings.Contains(err.Error(), "ring8") {
		t.Errorf("unknown preset: %v", err)
	}
}
