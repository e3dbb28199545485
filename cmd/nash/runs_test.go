package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/train"
)

// TestRunsListsRunsAndSeesADeadProcess lists a finished run and, in a
// sub-folder, a run whose training process was killed with SIGKILL: its
// status.json still says running, but its process is gone, so it shows as
// died.
func TestRunsListsRunsAndSeesADeadProcess(t *testing.T) {
	root := t.TempDir()
	cfg := train.DefaultConfig()
	cfg.Steps, cfg.Batch, cfg.EvalEvery = 2, 16, -1
	if err := train.Run(context.Background(), cfg, filepath.Join(root, "done"), false, io.Discard); err != nil {
		t.Fatal(err)
	}

	bin := buildNash(t)
	killed := filepath.Join(root, "sweep", "killed")
	cmd := exec.Command(bin, "train", "--steps", "100000", "--eval-every", "-1", "--out", killed)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, ok, _ := rundir.ReadStatus(killed)
		if ok && st.PID == cmd.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no running status.json with the process's PID within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	out, err := execute(newRuns(), root, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []rundir.Summary
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	states := map[string]string{}
	for _, r := range list {
		states[r.Name] = r.State
	}
	if states["done"] != rundir.StateFinished || states["sweep/killed"] != rundir.StateDied || len(list) != 2 {
		t.Errorf("states %v, want done finished and sweep/killed died\n%s", states, out)
	}
	table, err := execute(newRuns(), root)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "RUN") || !strings.Contains(table, "sweep/killed") || !strings.Contains(table, "2/2") {
		t.Errorf("table:\n%s", table)
	}
	if _, err := execute(newRuns(), filepath.Join(root, "missing")); err == nil {
		t.Error("a missing folder: no error")
	}
	empty := t.TempDir()
	if out, err := execute(newRuns(), empty); err != nil || !strings.Contains(out, "no runs in") {
		t.Errorf("an empty folder: %q, %v", out, err)
	}
}

// TestTrainPreset: a preset sits under the flags, which override it, and
// nash presets lists every preset.
func TestTrainPreset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ring8")
	if _, err := execute(newTrain(), "--preset", "ring8", "--steps", "3", "--out", dir); err != nil {
		t.Fatal(err)
	}
	var cfg train.Config
	run, err := rundir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.ReadConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Dataset != "ring8" || cfg.R1 != 0.012 || cfg.LR != 2e-3 || cfg.Steps != 3 || cfg.Batch != 256 {
		t.Errorf("config.yaml of --preset ring8 --steps 3: %+v", cfg)
	}
	if _, err := execute(newTrain(), "--preset", "ring9", "--out", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "--preset") {
		t.Errorf("unknown preset: %v", err)
	}
	if _, err := execute(newTrain(), "--resume", dir, "--preset", "ring8"); err == nil || !strings.Contains(err.Error(), "--preset cannot be used with --resume") {
		t.Errorf("--preset with --resume: %v", err)
	}
	out, err := execute(newPresets())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range train.Presets {
		if !strings.Contains(out, p.Name) || !strings.Contains(out, p.Flags()) {
			t.Errorf("nash presets does not show %s (%s):\n%s", p.Name, p.Flags(), out)
		}
	}
}

// TestMistypedNamesGetSuggestions: an unknown flag and an unknown key of a
// --config file name the likely intended one.
func TestMistypedNamesGetSuggestions(t *testing.T) {
	if err := runNash("train", "--epoch", "3"); err == nil || err.Error() != "unknown flag: --epoch (did you mean --epochs?)" {
		t.Errorf("--epoch: %v", err)
	}
	cfg := filepath.Join(t.TempDir(), "my.yaml")
	if err := os.WriteFile(cfg, []byte("z_dims: 64\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runNash("train", "--config", cfg); err == nil || !strings.Contains(err.Error(), `unknown key "z_dims" (did you mean z_dim?)`) {
		t.Errorf("z_dims in --config: %v", err)
	}
}

// TestNewRunName: runs started within the same second get folders of
// their own.
func TestNewRunName(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 2, 8, 7, 3, 0, time.UTC)
	var names []string
	for range 3 {
		name := newRunName(dir, now)
		if err := os.Mkdir(name, 0o755); err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(name))
	}
	if want := []string{"20261202-080703", "20261202-080703-2", "20261202-080703-3"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
}
