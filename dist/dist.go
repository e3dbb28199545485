// Package dist connects the processes of a distributed run: a Comm is the
// group of ranks that MPI launched (mpirun, or Slurm's srun), with the few
// collective operations data-parallel training needs: broadcast, gather to
// all and all-to-all of byte buffers, barrier and abort. Average builds on
// them a gradient average whose summation order is fixed, so that a run is
// bit-identical from one launch to the next whatever algorithm MPI picks.
//
// The default build has no MPI: Open returns Single, and refuses, saying to
// rebuild with -tags mpi, when the process was launched as one of several
// ranks. The build with the tag links Open MPI through cgo (mpi.go).
package dist

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
)

// Comm is a group of ranks. Every collective must be called by every rank
// of the group in the same order, with buffers of the sizes it names.
type Comm interface {
	// Rank is this process's rank in [0, Size).
	Rank() int
	// Size is the number of ranks.
	Size() int
	// Bcast copies root's buf into every other rank's buf, of the same
	// length.
	Bcast(buf []byte, root int) error
	// Allgather writes every rank's send, of one length, into recv in rank
	// order: len(recv) = Size·len(send).
	Allgather(send, recv []byte) error
	// Alltoall sends block i of send to rank i and writes the block rank i
	// sent to this rank into block i of recv; both hold Size blocks of one
	// length.
	Alltoall(send, recv []byte) error
	// Barrier returns when every rank has called it.
	Barrier() error
	// Split divides the group: the ranks that give one color form a new
	// group, ranked by key (then by their rank here).
	Split(color, key int) (Comm, error)
	// Abort stops every rank of the group with the exit code.
	Abort(code int)
	// Close ends this process's part in the group.
	Close() error
}

// Single is the group of one process: every collective copies or does
// nothing.
type Single struct{}

// Rank implements Comm: 0.
func (Single) Rank() int { return 0 }

// Size implements Comm: 1.
func (Single) Size() int { return 1 }

// Bcast implements Comm: buf is already root's.
func (Single) Bcast([]byte, int) error { return nil }

// Allgather implements Comm: recv is send.
func (Single) Allgather(send, recv []byte) error {
	if len(recv) != len(send) {
		return fmt.Errorf("dist: allgather of %d bytes into %d", len(send), len(recv))
	}
	copy(recv, send)
	return nil
}

// Alltoall implements Comm: recv is send.
func (s Single) Alltoall(send, recv []byte) error { return s.Allgather(send, recv) }

// Barrier implements Comm.
func (Single) Barrier() error { return nil }

// Split implements Comm: the group of one.
func (Single) Split(int, int) (Comm, error) { return Single{}, nil }

// Abort implements Comm: the process exits with code.
func (Single) Abort(code int) { os.Exit(code) }

// Close implements Comm.
func (Single) Close() error { return nil }

// launched returns the number of ranks the process was launched as one of
// by an MPI launcher, with the variable that says so; 0 when it was not
// launched by one. Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE, the PMI of
// MPICH's launchers PMI_SIZE; Slurm's srun with PMIx sets PMIX_RANK beside
// SLURM_NTASKS (which a batch script alone also has).
func launched() (int, string) {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"} {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n > 0 {
			return n, v
		}
	}
	if _, ok := os.LookupEnv("PMIX_RANK"); ok {
		if n, err := strconv.Atoi(os.Getenv("SLURM_NTASKS")); err == nil && n > 0 {
			return n, "SLURM_NTASKS"
		}
	}
	return 0, ""
}

// Open returns the group this process was launched in: MPI's world when an
// MPI launcher started it (in a build with MPI), Single otherwise.
func Open() (Comm, error) {
	n, v := launched()
	if n <= 1 {
		return Single{}, nil
	}
	return openMPI(n, v)
}

type ctxKey struct{}

// NewContext returns ctx carrying c, the group a run trains on.
func NewContext(ctx context.Context, c Comm) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the group ctx carries, Single when it carries none.
func FromContext(ctx context.Context) Comm {
	if c, ok := ctx.Value(ctxKey{}).(Comm); ok {
		return c
	}
	return Single{}
}

// MPIRunFlags are the flags of Open MPI's mpirun that launch n ranks on
// this machine whatever its cores, also as root (as CI and containers run).
func MPIRunFlags(n int) []string {
	return []string{"--oversubscribe", "--allow-run-as-root", "-np", strconv.Itoa(n)}
}

// LaunchedRank returns the rank an MPI launcher gave the process, 0 when
// none did. Rank 0 alone reports errors: the other ranks run the same binary
// on the same settings and data (which start-up checks) and meet the same
// ones, and one that meets an error of its own stops the group with Abort,
// which mpirun reports naming it.
func LaunchedRank() int {
	for _, v := range []string{"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"} {
		if r, err := strconv.Atoi(os.Getenv(v)); err == nil && r >= 0 {
			return r
		}
	}
	return 0
}

// AllgatherBytes returns every rank's b, of any length, in rank order, on
// every rank of c.
func AllgatherBytes(c Comm, b []byte) ([][]byte, error) {
	n := c.Size()
	lens := make([]byte, 8*n)
	if err := c.Allgather(binary.LittleEndian.AppendUint64(nil, uint64(len(b))), lens); err != nil {
		return nil, err
	}
	longest := 0
	for r := range n {
		longest = max(longest, int(binary.LittleEndian.Uint64(lens[8*r:])))
	}
	mine := make([]byte, longest)
	copy(mine, b)
	all := make([]byte, n*longest)
	if err := c.Allgather(mine, all); err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	for r := range out {
		out[r] = all[r*longest : r*longest+int(binary.LittleEndian.Uint64(lens[8*r:]))]
	}
	return out, nil
}
