package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// toySweep is a grid of the 2-D benchmark's settings: two objectives (one
// with its paper's own optimiser settings) on ring8 with two seeds.
const toySweep = `loss: [ns, wgan-gp]
dataset: ring8
seed: [1, 2]
steps: 60
batch: 32
sample_every: 5000
log_every: 100
`

// writeSweep writes a sweep file of text into a temporary folder.
func writeSweep(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// timeless returns a toybench table's rows of nash's runs without their
// last column, the wall time.
func timeless(table string) string {
	var rows []string
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, "| nash ") {
			rows = append(rows, regexp.MustCompile(`[^|]*\|$`).ReplaceAllString(l, ""))
		}
	}
	return strings.Join(rows, "\n")
}

// nash sweep over the benchmark's objectives and seeds gives nash
// toybench's table, in one process and with --jobs 2, and its folder is
// one that nash runs reads.
func TestSweepReproducesToybench(t *testing.T) {
	dir := t.TempDir()
	want, err := execute(newRoot(), "toybench", "--datasets", "ring8", "--variants", "ns,wgan-gp", "--seeds", "2",
		"--steps", "60", "--batch", "32", "--out", filepath.Join(dir, "toybench"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(want, "| nash wgan-gp |") {
		t.Fatalf("toybench's table:\n%s", want)
	}
	cfg := writeSweep(t, toySweep)
	got, err := execute(newRoot(), "sweep", "--config", cfg, "--out", filepath.Join(dir, "one"))
	if err != nil {
		t.Fatal(err)
	}
	if timeless(got) == "" || timeless(got) != timeless(want) {
		t.Errorf("sweep's table:\n%s\nwant toybench's:\n%s", got, want)
	}
	bin := buildNash(t)
	jobs := filepath.Join(dir, "jobs")
	out, err := exec.Command(bin, "sweep", "--config", cfg, "--out", jobs, "--jobs", "2").Output()
	if err != nil {
		t.Fatalf("nash sweep --jobs 2: %v", err)
	}
	if timeless(string(out)) != timeless(want) {
		t.Errorf("sweep --jobs 2's table:\n%s\nwant toybench's:\n%s", out, want)
	}
	runs, err := execute(newRoot(), "runs", jobs)
	if err != nil || strings.Count(runs, "finished") != 4 || !strings.Contains(runs, "loss=wgan-gp_seed=2") {
		t.Errorf("nash runs of the sweep's folder: %v\n%s", err, runs)
	}
}

// A sweep file with an unknown key, an empty list or a bad value is
// refused in one line naming it, before anything is written.
func TestSweepRefusesBadGrids(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"loss: [ns]\nsed: [1, 2]\n", `line 2: unknown key "sed" (did you mean seed?)`},
		{"loss: []\nseed: 1\n", "line 1: loss: an empty list makes an empty grid"},
		{"loss: [ns, nope]\n", "run loss=nope"},
		{"seed: [[1, 2]]\n", "line 1: seed: a value or a list of values, not a list"},
		{"", "a sweep is a mapping of train's settings"},
	} {
		out := filepath.Join(t.TempDir(), "sweep")
		_, err := execute(newRoot(), "sweep", "--config", writeSweep(t, c.text), "--out", out)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line with %q", c.text, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%q: the refused sweep wrote %s", c.text, out)
		}
	}
}
