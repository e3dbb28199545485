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
	sub, err := c.Split(0, -r)
	if err != nil || sub.Rank() != n-1-r || sub.Size() != n {
		t.Fatalf("Split(0, -rank): rank %v of %v, %v", sub.Rank(), sub.Size(), err)
	}
	all := make([]byte, n)
	if err := sub.Allgather([]byte{byte(r)}, all); err != nil || all[0] != byte(n-1) {
		t.Fatalf("allgather in the reversed group: %v, %v", all, err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("rank %d of %d: ok\n", r, n)
}

// gradientSizes are the parameter counts of the networks whose gradients a
// step sums: the 28×28 DCGAN's discriminator and generator, then the
// recipe MLP's.
var gradientSizes = []int{138561, 759681, 533505, 559632}

// BenchmarkMPISum times Summer.Sum of each network's gradient between two
// ranks on this machine (loopback), each sum after a barrier, so that the
// time is the transfer's and not a late rank's: run under mpirun from
// here, it prints the ranks' results.
func BenchmarkMPISum(b *testing.B) {
	if os.Getenv("NASH_DIST_RANK_TEST") != "" {
		b.Skip("running as a rank")
	}
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		b.Skip("mpirun is not installed")
	}
	cmd := exec.Command(mpirun, append(MPIRunFlags(2), os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkMPISumRank$", "-test.benchtime=50x")...)
	cmd.Env = append(os.Environ(), "NASH_DIST_RANK_TEST=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("mpirun: %v\n%s", err, out)
	}
	os.Stdout.Write(out)
}

// BenchmarkMPISumRank is one rank of BenchmarkMPISum.
func BenchmarkMPISumRank(b *testing.B) {
	if os.Getenv("NASH_DIST_RANK_TEST") == "" {
		b.Skip("runs under mpirun from BenchmarkMPISum")
	}
	c, err := Open()
	if err != nil {
		b.Fatal(err)
	}
	s := NewSummer(c)
	for _, n := range gradientSizes {
		buf := make([]float32, n)
		b.Run(fmt.Sprintf("rank%d/floats=%d", c.Rank(), n), func(b *testing.B) {
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				if err := c.Barrier(); err != nil {
					b.Fatal(err)
				}
				if err := s.Sum(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	c.Close()
}
