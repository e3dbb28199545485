//go:build mpi

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/train"
)

// TestMPI runs the checks of nash built with -tags mpi under mpirun, on
// one build.
func TestMPI(t *testing.T) {
	mpirun(t)
	bin := buildWith(t, "-tags", "mpi")
	t.Run("TrainDCGANIsReproducible", func(t *testing.T) { mpiTrainDCGANIsReproducible(t, bin) })
	t.Run("Refusals", func(t *testing.T) { mpiRefusals(t, bin) })
	t.Run("RankThatDies", func(t *testing.T) { mpiRankThatDies(t, bin) })
	t.Run("Sweep", func(t *testing.T) { mpiSweep(t, bin) })
	t.Run("Resume", func(t *testing.T) { mpiResume(t, bin) })
}

// mpirun returns the path of Open MPI's mpirun, skipping t without it.
func mpirun(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)")
	}
	return p
}

// buildWith compiles nash with the go build flags into a temporary file.
func buildWith(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nash")
	out, err := exec.Command("go", append(append([]string{"build"}, flags...), "-o", bin, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %v: %v\n%s", flags, err, out)
	}
	return bin
}

// launch runs mpirun with n ranks of args (MPMD parts separated by ":"
// when given as such) and returns its output and error.
func launch(t *testing.T, n int, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(mpirun(t), append(dist.MPIRunFlags(n), args...)...)
	cmd.Env = withoutLimits()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// A DCGAN trained on two ranks under mpirun is the same, byte for byte,
// from one launch to the next, and the same as the run of two ranks in one
// process (dist.Local), whose gradients train's tests check against the
// global batch's.
func mpiTrainDCGANIsReproducible(t *testing.T, bin string) {
	dir := t.TempDir()
	args := []string{"train", "--model", "dcgan", "--steps", "3", "--batch", "8", "--sample-every", "3", "--threads", "1"}
	for _, run := range []string{"a", "b"} {
		if out, err := launch(t, 2, append([]string{bin}, append(args, "--out", filepath.Join(dir, run))...)...); err != nil {
			t.Fatalf("mpirun -np 2 nash %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	sameFiles(t, filepath.Join(dir, "a"), filepath.Join(dir, "b"), "checkpoints/last.safetensors")

	cfg, _, err := train.LoadConfig(filepath.Join(dir, "a", "config.yaml"), train.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "local")
	var wg sync.WaitGroup
	for _, c := range dist.Local(2) {
		wg.Go(func() {
			if err := train.Run(dist.NewContext(context.Background(), c), cfg, local, false, io.Discard); err != nil {
				t.Errorf("rank %d in one process: %v", c.Rank(), err)
			}
		})
	}
	wg.Wait()
	sameFiles(t, filepath.Join(dir, "a"), local, "checkpoints/last.safetensors")
}

// sameFiles fails t unless the files are byte for byte the same in the
// run directories a and b.
func sameFiles(t *testing.T, a, b string, files ...string) {
	t.Helper()
	for _, f := range files {
		x, errA := os.ReadFile(filepath.Join(a, f))
		y, errB := os.ReadFile(filepath.Join(b, f))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v, %v", f, errA, errB)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
}

// Ranks given different settings, or running different binaries, are
// refused at start-up in one line naming the rank, before anything is
// written; so is a batch smaller than the number of ranks; and a build
// without MPI launched on several ranks says to rebuild.
func mpiRefusals(t *testing.T, bin string) {
	// The same program with one byte more: another binary to its hash.
	other := filepath.Join(t.TempDir(), "nash")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, append(b, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := buildWith(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	train := []string{"train", "--steps", "2", "--batch", "8", "--out", out}
	for _, c := range []struct {
		name string
		n    int
		args []string
		want string
	}{
		{"settings", 1, append(append(append([]string{bin}, train...), "--lr", "1e-3", ":", "-np", "1", bin), append(train, "--lr", "2e-3")...),
			"nash: rank 1 was given a different configuration from rank 0's"},
		{"binaries", 1, append(append(append([]string{bin}, train...), ":", "-np", "1", other), train...),
			"nash: rank 1 runs a different nash binary from rank 0's"},
		{"batch", 3, append([]string{bin}, "train", "--steps", "2", "--batch", "2", "--out", out),
			"nash: batch: 2 samples cannot be shared among 3 ranks"},
		{"no MPI", 2, append([]string{plain}, train...),
			"nash: this nash was built without MPI but was launched as one of 2 ranks (OMPI_COMM_WORLD_SIZE is set): rebuild it with -tags mpi"},
	} {
		got, err := launch(t, c.n, c.args...)
		if err == nil {
			t.Errorf("%s: mpirun succeeded:\n%s", c.name, got)
			continue
		}
		if strings.Count(got, "nash: ") != 1 || !strings.Contains(got, c.want) {
			t.Errorf("%s: want one line %q, got:\n%s", c.name, c.want, got)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%s: the refused run left %s behind", c.name, out)
		}
	}
}

// A rank that dies stops the others within a bounded time, with mpirun
// naming it, and the last checkpoint stays whole.
func mpiRankThatDies(t *testing.T, bin string) {
	out := filepath.Join(t.TempDir(), "run")
	tag := "NASH_TEST_RUN=" + out
	cmd := exec.Command(mpirun(t), append(dist.MPIRunFlags(2), "-x", "NASH_TEST_RUN", bin, "train", "--steps", "100000", "--batch", "8",
		"--sample-every", "1", "--threads", "1", "--out", out)...)
	cmd.Env = append(withoutLimits(), tag)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ckpt := filepath.Join(out, "checkpoints", "last.safetensors")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint after a minute:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	pid := rankProcess(t, tag, 1)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("mpirun succeeded after rank 1 was killed:\n%s", log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("rank 0 still runs 30 s after rank 1 was killed:\n%s", log.String())
	}
	t.Logf("the job stopped %.1fs after rank 1 was killed", time.Since(killed).Seconds())
	if !strings.Contains(log.String(), "rank 1") {
		t.Errorf("the output does not name rank 1:\n%s", log.String())
	}
	if _, err := infer.LoadRun(out, "last"); err != nil {
		t.Errorf("the last checkpoint does not load after the crash: %v", err)
	}
}

// rankProcess returns the process id of rank r among the processes whose
// environment holds tag.
func rankProcess(t *testing.T, tag string, r int) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	want := "OMPI_COMM_WORLD_RANK=" + string(rune('0'+r))
	for _, p := range procs {
		env, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		vars := strings.Split(string(env), "\x00")
		has := func(v string) bool {
			for _, x := range vars {
				if x == v {
					return true
				}
			}
			return false
		}
		if has(tag) && has(want) {
			var pid int
			for _, c := range strings.Split(p, "/")[2] {
				pid = 10*pid + int(c-'0')
			}
			return pid
		}
	}
	t.Fatalf("no process of rank %d", r)
	return 0
}

// withoutLimits is the environment without the bounds tests put on a
// command's work (testlimit), which the runs here set themselves.
func withoutLimits() []string {
	var env []string
	for _, v := range os.Environ() {
		if !strings.HasPrefix(v, "NASH_MAX_") {
			env = append(env, v)
		}
	}
	return env
}

// nash sweep under mpirun shares the runs among the ranks and gives the
// table one process gives.
func mpiSweep(t *testing.T, bin string) {
	dir := t.TempDir()
	cfg := writeSweep(t, toySweep)
	want, err := execute(newRoot(), "sweep", "--config", cfg, "--out", filepath.Join(dir, "one"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := launch(t, 2, bin, "sweep", "--config", cfg, "--out", filepath.Join(dir, "mpi"))
	if err != nil {
		t.Fatalf("mpirun -np 2 nash sweep: %v\n%s", err, got)
	}
	if timeless(got) == "" || timeless(got) != timeless(want) {
		t.Errorf("mpirun -np 2 nash sweep's table:\n%s\nwant one process's:\n%s", got, want)
	}

	// --per-run 2: both ranks train each run together.
	team := filepath.Join(dir, "team")
	got, err = launch(t, 2, bin, "sweep", "--config", cfg, "--out", team, "--per-run", "2")
	if err != nil || strings.Count(timeless(got), "| nash ") != 2 {
		t.Fatalf("mpirun -np 2 nash sweep --per-run 2: %v\n%s", err, got)
	}
	f, err := checkpoint.Load(filepath.Join(team, "loss=ns_seed=2", "checkpoints", "last.safetensors"))
	if err != nil || f.Metadata["ranks"] != "2" {
		t.Errorf("a run of the sweep --per-run 2 was not trained on 2 ranks: %v", err)
	}
}

// A run of two ranks stopped and resumed on two ranks ends as one never
// stopped; resumed by one process it is refused, naming the ranks.
func mpiResume(t *testing.T, bin string) {
	dir := t.TempDir()
	whole, part := filepath.Join(dir, "whole"), filepath.Join(dir, "part")
	args := []string{bin, "train", "--batch", "16", "--sample-every", "2", "--threads", "1"}
	if out, err := launch(t, 2, append(args, "--steps", "4", "--out", whole)...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := launch(t, 2, append(args, "--steps", "2", "--out", part)...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	alone := exec.Command(bin, "train", "--resume", part, "--steps", "4")
	alone.Env = withoutLimits()
	out, err := alone.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "the run was trained on 2 ranks, this one is 1") {
		t.Fatalf("one process resumed a run of two ranks: %v\n%s", err, out)
	}
	if out, err := launch(t, 2, bin, "train", "--resume", part, "--steps", "4"); err != nil {
		t.Fatalf("mpirun -np 2 nash train --resume: %v\n%s", err, out)
	}
	sameFiles(t, whole, part, "checkpoints/last.safetensors")
}
