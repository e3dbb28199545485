package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Sizes beyond the bounds are refused with one line naming the flag,
// before anything is loaded or allocated.
func TestFlagsHaveUpperBounds(t *testing.T) {
	dir := t.TempDir()
	missing, run := filepath.Join(dir, "no-run"), filepath.Join(dir, "run")
	if err := runNash("train", "--steps", "2", "--batch", "8", "--out", run); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--z-dim", "100000000", "--out", filepath.Join(dir, "a")}, "z_dim: must be at most 4096, got 100000000"},
		{[]string{"train", "--batch", "100000000", "--out", filepath.Join(dir, "b")}, "batch: must be at most 65536, got 100000000"},
		{[]string{"train", "--batch", "65536", "--steps", "1", "--out", filepath.Join(dir, "c")}, "batch: 65536 is more than the 60000 images of dataset mnist"},
		{[]string{"sample", "--run", missing, "--n", "100000000"}, "--n: must be between 1 and 4096 for --format png, got 100000000"},
		{[]string{"interpolate", "--run", missing, "--steps", "100000000"}, "--steps: must be between 2 and 256, got 100000000"},
		{[]string{"eval", "--run", missing, "--n", "100000000"}, "--n: must be at most 100000, got 100000000"},
		{[]string{"eval", "--run", missing, "--memorisation-n", "100000000"}, "--memorisation-n: must be at most 100000, got 100000000"},
		{[]string{"eval", "--run", missing, "--permutations", "1000000000"}, "--permutations: must be at most 100000, got 1000000000"},
		{[]string{"eval", "--run", missing, "--kid-subsets", "100000000"}, "--kid-subsets: must be at most 10000, got 100000000"},
		{[]string{"eval", "--run", missing, "--splits", "100000000"}, "--splits: must be at most 1000, got 100000000"},
		{[]string{"eval", "--run", missing, "--k", "100000000"}, "--k: must be at most 1000, got 100000000"},
		{[]string{"bench", "--repeats", "1000000000"}, "--repeats 1 to 1000"},
		{[]string{"toybench", "--seeds", "100000000", "--out", filepath.Join(dir, "toy")}, "--seeds: must be between 1 and 100, got 100000000"},
		{[]string{"classifier", "train", "--batch", "100000000", "--out", filepath.Join(dir, "c.safetensors")}, "classifier: batch 100000000 is more than the 60000 training images of mnist"},
		{[]string{"interpolate", "--run", missing, "--gif", "--scale", "100000"}, "--scale: must be between 1 and 16, got 100000"},
		{[]string{"interpolate", "--run", run, "--gif", "--scale", "16", "--steps", "256", "--out", filepath.Join(dir, "w.gif")}, "--scale: 256 frames of 448×448 pixels exceed the GIF's 33554432 pixels"},
	} {
		err := runNash(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("nash %s: error %v, want one line containing %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// nash board answers --addr's host and --allow-host's, never an
// unspecified address's.
func TestBoardHosts(t *testing.T) {
	for _, c := range []struct {
		addr    string
		allowed []string
		want    string
	}{
		{"127.0.0.1:6006", nil, "127.0.0.1"},
		{"box.lan:6006", []string{"board.example"}, "board.example box.lan"},
		{"0.0.0.0:6006", []string{"box.lan"}, "box.lan"},
		{"[::]:6006", nil, ""},
		{":6006", nil, ""},
	} {
		if got := strings.Join(boardHosts(c.addr, c.allowed), " "); got != c.want {
			t.Errorf("boardHosts(%q, %q) = %q, want %q", c.addr, c.allowed, got, c.want)
		}
	}
}
