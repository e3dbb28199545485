package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildNash compiles the nash binary into a temporary directory.
func buildNash(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nash")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lastStep returns the step of the last complete line of a metrics.jsonl,
// or 0.
func lastStep(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		_, rest, ok := strings.Cut(lines[i], `"step":`)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ",")
		if n, err := strconv.Atoi(num); err == nil {
			return n
		}
	}
	return 0
}

// loggedSteps returns the steps of a metrics.jsonl's well-formed lines, in
// order, as text.
func loggedSteps(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, line := range strings.Split(string(b), "\n") {
		var rec struct {
			Step *int `json:"step"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Step != nil {
			steps = append(steps, *rec.Step)
		}
	}
	return fmt.Sprint(steps)
}

// TestKillAndResumeIsBitIdentical kills real training processes with
// SIGKILL at random steps, resumes them (again and again), and checks that
// the final checkpoint is byte for byte the one of an uninterrupted run.
func TestKillAndResumeIsBitIdentical(t *testing.T) {
	bin := buildNash(t)
	const steps = 24
	args := []string{"train", "--steps", strconv.Itoa(steps), "--sample-every", "3", "--log-every", "1", "--seed", "7"}
	dir := t.TempDir()
	run := func(extra ...string) *exec.Cmd {
		cmd := exec.Command(bin, append(args, extra...)...)
		cmd.Stderr = new(bytes.Buffer)
		return cmd
	}
	ref := filepath.Join(dir, "ref")
	if cmd := run("--out", ref); cmd.Run() != nil {
		t.Fatalf("uninterrupted run failed: %s", cmd.Stderr)
	}
	want, err := os.ReadFile(filepath.Join(ref, "checkpoints", "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for trial := range 3 {
		out := filepath.Join(dir, fmt.Sprintf("killed-%d", trial))
		cmd := run("--out", out)
		for attempt := 0; ; attempt++ {
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			target := lastStep(filepath.Join(out, "metrics.jsonl")) + 1 + rng.IntN(8)
			deadline := time.Now().Add(60 * time.Second)
			for lastStep(filepath.Join(out, "metrics.jsonl")) < target && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if attempt < 3 && lastStep(filepath.Join(out, "metrics.jsonl")) < steps {
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				kills++
				t.Logf("trial %d: killed near step %d", trial, lastStep(filepath.Join(out, "metrics.jsonl")))
				if _, err := os.Stat(filepath.Join(out, "checkpoints", "last.safetensors")); err != nil {
					// Killed before the first checkpoint: start again from scratch.
					cmd = run("--out", out, "--force")
					continue
				}
				cmd = exec.Command(bin, "train", "--resume", out)
				cmd.Stderr = new(bytes.Buffer)
				continue
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("trial %d: final run failed: %v\n%s", trial, err, cmd.Stderr)
			}
			break
		}
		got, err := os.ReadFile(filepath.Join(out, "checkpoints", "last.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("trial %d: checkpoint after kill and resume differs from the uninterrupted run", trial)
		}
		if got := loggedSteps(t, filepath.Join(out, "metrics.jsonl")); got != fmt.Sprint(loggedSteps(t, filepath.Join(ref, "metrics.jsonl"))) {
			t.Fatalf("trial %d: metrics.jsonl logs steps %s, the uninterrupted run %s", trial, got, loggedSteps(t, filepath.Join(ref, "metrics.jsonl")))
		}
	}
	t.Logf("%d kills, every resumed run bit-identical", kills)
}
