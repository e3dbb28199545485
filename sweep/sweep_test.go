package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The grid is the product of the lists, the last key fastest; a value
// stays fixed; keys given keep their values while the objective's defaults
// fill the others, as nash train resolves them.
func TestLoadExpandsTheProduct(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(p, []byte("loss: [ns, wgan-gp]\nsteps: 7\nseed: [1, 2, 3]\nlr: [1e-3]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range g.Runs {
		names = append(names, r.Name)
		if r.Config.Steps != 7 || r.Config.LR != 1e-3 {
			t.Errorf("%s: steps %d, lr %g: the fixed and the given values were not kept", r.Name, r.Config.Steps, r.Config.LR)
		}
	}
	want := "loss=ns_seed=1_lr=1e-3 loss=ns_seed=2_lr=1e-3 loss=ns_seed=3_lr=1e-3 " +
		"loss=wgan-gp_seed=1_lr=1e-3 loss=wgan-gp_seed=2_lr=1e-3 loss=wgan-gp_seed=3_lr=1e-3"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("runs %s, want %s", got, want)
	}
	if c := g.Runs[3].Config; c.Seed != 1 || c.NCritic != 5 || c.GP != 10 || c.Beta2 != 0.9 {
		t.Errorf("wgan-gp's run: seed %d, n_critic %d, gp %g, beta2 %g: want WGAN-GP's own settings", c.Seed, c.NCritic, c.GP, c.Beta2)
	}
	if v := g.Runs[4].Values; len(v) != 3 || v[1] != (Setting{"seed", "2"}) {
		t.Errorf("run 4's swept values %v", v)
	}
}
