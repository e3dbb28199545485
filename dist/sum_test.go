package dist

import (
	"fmt"
	"sync"
	"testing"
)

// sumOn runs Summer.Sum on every rank of Local(n) with rank r's buffer
// bufs[r] and returns the buffers after the call.
func sumOn(t *testing.T, bufs [][]float32) [][]float32 {
	t.Helper()
	comms := Local(len(bufs))
	var wg sync.WaitGroup
	errs := make([]error, len(bufs))
	for r, c := range comms {
		wg.Go(func() { errs[r] = NewSummer(c).Sum(bufs[r]) })
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return bufs
}

func TestSumIsRankOrdered(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		for _, length := range []int{1, 4, 7, 13} {
			bufs := make([][]float32, n)
			for r := range bufs {
				bufs[r] = make([]float32, length)
				for i := range bufs[r] {
					// Values whose float32 sum depends on its order.
					bufs[r][i] = float32(r+1)*1e7 + float32(i)*0.37 - float32(r*r)*3.1e6
				}
			}
			want := make([]float32, length)
			for i := range want {
				want[i] = bufs[0][i]
				for r := 1; r < n; r++ {
					want[i] += bufs[r][i]
				}
			}
			for r, got := range sumOn(t, bufs) {
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%d ranks, %d values: rank %d element %d is %v, want %v", n, length, r, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestLocalCollectives(t *testing.T) {
	comms := Local(3)
	var wg sync.WaitGroup
	got := make([][]byte, 3)
	for r, c := range comms {
		wg.Go(func() {
			b := []byte{byte(10 * r)}
			if err := c.Bcast(b, 2); err != nil {
				t.Error(err)
			}
			all := make([]byte, 3)
			if err := c.Allgather([]byte{byte(r)}, all); err != nil {
				t.Error(err)
			}
			a2a := make([]byte, 3)
			if err := c.Alltoall([]byte{byte(10*r + 0), byte(10*r + 1), byte(10*r + 2)}, a2a); err != nil {
				t.Error(err)
			}
			got[r] = append(append(b, all...), a2a...)
		})
	}
	wg.Wait()
	for r, g := range got {
		want := []byte{20, 0, 1, 2, byte(r), byte(10 + r), byte(20 + r)}
		if string(g) != string(want) {
			t.Errorf("rank %d: %v, want %v", r, g, want)
		}
	}
}

func TestOpenWithoutLauncher(t *testing.T) {
	t.Setenv("OMPI_COMM_WORLD_SIZE", "")
	t.Setenv("PMI_SIZE", "")
	t.Setenv("SLURM_NTASKS", "")
	c, err := Open()
	if err != nil || c.Size() != 1 || c.Rank() != 0 {
		t.Fatalf("Open outside mpirun: %v, %v", c, err)
	}
}

// Split groups the ranks by color, ranked by key, into groups whose
// collectives are their own.
func TestLocalSplit(t *testing.T) {
	comms := Local(4)
	var wg sync.WaitGroup
	got := make([]string, 4)
	for r, c := range comms {
		wg.Go(func() {
			sub, err := c.Split(r%2, -r)
			if err != nil {
				t.Error(err)
				return
			}
			all := make([]byte, sub.Size())
			if err := sub.Allgather([]byte{byte(r)}, all); err != nil {
				t.Error(err)
			}
			got[r] = fmt.Sprintf("%d of %d: %v", sub.Rank(), sub.Size(), all)
		})
	}
	wg.Wait()
	want := []string{"1 of 2: [2 0]", "1 of 2: [3 1]", "0 of 2: [2 0]", "0 of 2: [3 1]"}
	for r := range want {
		if got[r] != want[r] {
			t.Errorf("rank %d: %s, want %s", r, got[r], want[r])
		}
	}
}
