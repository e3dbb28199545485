//go:build mpi

package dist

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMPIWorld runs TestMPIRank on two ranks under mpirun: the world's
// collectives and the fixed-order sum across real processes.
func TestMPIWorld(t *testing.T) {
	if os.Getenv("NASH_DIST_RANK_TEST") != "" {
		t.Skip("running as a rank")
	}
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("mpirun is not installed")
	}
	cmd := exec.Command(mpirun, append(MPIRunFlags(2), os.Args[0], "-test.run=^TestMPIRank$", "-test.v")...)
	cmd.Env = append(os.Environ(), "NASH_DIST_RANK_TEST=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mpirun: %v\n%s", err, out)
	}
	for r := range 2 {
		if !strings.Contains(string(out), fmt.Sprintf("rank %d of 2: ok", r)) {
			t.Errorf("rank %d did not pass:\n%s", r, out)
		}
	}
}

// TestMPIRank is one rank of TestMPIWorld.
func TestMPIRank(t *testing.T) {
	if os.Getenv("NASH_DIST_RANK_TEST") == "" {
		t.Skip("runs under mpirun from TestMPIWorld")
	}
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, n := c.Rank(), c.Size()
	b := []byte{byte(r + 7)}
	if err := c.Bcast(b, 1); err != nil || b[0] != 8 {
		t.Fatalf("broadcast from rank 1: %v, %v", b, err)
	}
	buf := []float32{float32(r) + 0.25, 1e8 * float32(r+1), 3}
	if err := NewSummer(c).Sum(buf); err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.25 + 1.25, 1e8 + 2e8, 6}; fmt.Sprint(buf) != fmt.Sprint(want) {
		t.Fatalf("sum %v, want %v", buf, want)
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("rank %d of %d: ok\n", r, n)
}
