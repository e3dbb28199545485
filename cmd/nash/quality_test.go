package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/internal/testlimit"
)

// A Stacked MNIST run with packing trains, samples with truncation and is
// measured by its modes; a packing that does not divide the batch, a
// truncation out of its range and Stacked MNIST at another size are
// refused in one line naming the flag, before anything is written.
func TestStackedMNISTPackingAndTruncation(t *testing.T) {
	t.Setenv(testlimit.Samples, "64")
	dir := t.TempDir()
	run := filepath.Join(dir, "stacked")
	if err := runNash("train", "--dataset", "stacked-mnist", "--model", "dcgan", "--pack", "2", "--batch", "16", "--steps", "2", "--eval-every", "-1", "--out", run); err != nil {
		t.Fatal(err)
	}
	out, err := execute(newRoot(), "eval", "--run", run)
	if err != nil || !strings.Contains(out, "(stacked-mnist, step 2, 64 samples): ") || !strings.Contains(out, "of 1000 modes covered, KL to uniform") {
		t.Errorf("nash eval --run: %q, %v", out, err)
	}
	out, err = execute(newRoot(), "eval", "--run", run, "--truncation", "0.5")
	if err != nil || !strings.Contains(out, "64 samples, noise truncated: ψ 0.5): ") {
		t.Errorf("nash eval --run --truncation 0.5: %q, %v", out, err)
	}
	grid := filepath.Join(dir, "grid.png")
	if err := runNash("sample", "--run", run, "--truncation", "0.5", "--truncation-threshold", "1.5", "--out", grid); err != nil {
		t.Error(err)
	}
	if _, err := execute(newRoot(), "eval", "--run", run, "--metrics", "fid"); err == nil || !strings.Contains(err.Error(), "measured by modes") {
		t.Errorf("fid of a Stacked MNIST run: error %v", err)
	}
	bad := filepath.Join(dir, "bad")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--pack", "3", "--batch", "16", "--steps", "1", "--out", bad}, "pack: 3 does not divide the batch of 16"},
		{[]string{"train", "--dataset", "stacked-mnist", "--image-size", "32", "--steps", "1", "--out", bad}, "image_size: stacked-mnist's images are 28×28"},
		{[]string{"sample", "--run", run, "--truncation", "1.5", "--out", bad}, "--truncation: ψ must be in (0, 1], got 1.5"},
		{[]string{"sample", "--run", run, "--truncation", "0", "--truncation-threshold", "0.01", "--out", bad}, "--truncation-threshold: must be at least 0.1"},
		{[]string{"sample", "--run", run, "--truncation", "-1", "--format", "folder", "--out", bad}, "--truncation: ψ must be in (0, 1]"},
		{[]string{"eval", "--run", run, "--truncation", "2"}, "--truncation: ψ must be in (0, 1]"},
		{[]string{"eval", "--real", grid, "--fake", grid, "--truncation", "0.5"}, "use them with --run"},
	} {
		err := runNash(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("nash %s: error %v, want one line containing %q", strings.Join(c.args, " "), err, c.want)
		}
		if _, err := os.Stat(bad); !os.IsNotExist(err) {
			t.Errorf("nash %s wrote %s", strings.Join(c.args, " "), bad)
		}
	}
	entries, err := os.ReadDir(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "eval") {
			t.Errorf("a refused nash eval wrote %s", e.Name())
		}
	}
}
