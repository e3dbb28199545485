//go:build mpi

package dist

/*
#cgo pkg-config: ompi
#include <mpi.h>

static int nash_init(int *provided) {
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, provided);
}
static MPI_Comm nash_world(void) { return MPI_COMM_WORLD; }
static int nash_rank(MPI_Comm c, int *r) { return MPI_Comm_rank(c, r); }
static int nash_size(MPI_Comm c, int *n) { return MPI_Comm_size(c, n); }
static int nash_bcast(MPI_Comm c, void *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_BYTE, root, c);
}
static int nash_allgather(MPI_Comm c, void *send, void *recv, int n) {
	return MPI_Allgather(send, n, MPI_BYTE, recv, n, MPI_BYTE, c);
}
static int nash_alltoall(MPI_Comm c, void *send, void *recv, int n) {
	return MPI_Alltoall(send, n, MPI_BYTE, recv, n, MPI_BYTE, c);
}
static int nash_barrier(MPI_Comm c) { return MPI_Barrier(c); }
static int nash_split(MPI_Comm c, int color, int key, MPI_Comm *out) {
	return MPI_Comm_split(c, color, key, out);
}
static int nash_free(MPI_Comm *c) { return MPI_Comm_free(c); }
static int nash_abort(MPI_Comm c, int code) { return MPI_Abort(c, code); }
static int nash_finalize(void) { return MPI_Finalize(); }
static int nash_funneled(void) { return MPI_THREAD_FUNNELED; }
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"unsafe"
)

// group is an MPI communicator: the world, or a part of it (Split). Go
// moves goroutines among OS threads and MPI initialised at
// MPI_THREAD_FUNNELED must be called from the thread that initialised it,
// so every call, of every group, runs on one goroutine locked to its
// thread, which receives them on calls.
type group struct {
	comm       C.MPI_Comm
	world      bool
	rank, size int
	calls      chan func()
}

// openMPI initialises MPI on a goroutine of its own and returns the world.
func openMPI(int, string) (Comm, error) {
	// Open MPI would otherwise replace the Go runtime's handlers of
	// SIGSEGV, SIGBUS, SIGFPE and SIGABRT with its own.
	if _, set := os.LookupEnv("OMPI_MCA_opal_signal"); !set {
		os.Setenv("OMPI_MCA_opal_signal", "")
	}
	w := &group{world: true, calls: make(chan func())}
	ready := make(chan error)
	go func() {
		// The thread stays locked for the life of the process: it is
		// MPI's.
		runtime.LockOSThread()
		var provided, rank, size C.int
		if rc := C.nash_init(&provided); rc != 0 {
			ready <- fmt.Errorf("MPI_Init_thread failed (error %d)", int(rc))
			return
		}
		if provided < C.nash_funneled() {
			ready <- fmt.Errorf("MPI provides thread level %d, nash needs MPI_THREAD_FUNNELED", int(provided))
			return
		}
		w.comm = C.nash_world()
		C.nash_rank(w.comm, &rank)
		C.nash_size(w.comm, &size)
		w.rank, w.size = int(rank), int(size)
		ready <- nil
		for f := range w.calls {
			f()
		}
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	return w, nil
}

// do runs f on MPI's thread and returns its error code as an error naming
// the operation.
func (w *group) do(op string, f func() C.int) error {
	done := make(chan C.int)
	w.calls <- func() { done <- f() }
	if rc := <-done; rc != 0 {
		return fmt.Errorf("%s failed on rank %d (MPI error %d)", op, w.rank, int(rc))
	}
	return nil
}

// count returns n as MPI's count of bytes.
func count(op string, n int) (C.int, error) {
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("%s of %d bytes: MPI counts are 32-bit", op, n)
	}
	return C.int(n), nil
}

// ptr returns a pointer to b's first byte; nil for an empty b.
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func (w *group) Rank() int { return w.rank }
func (w *group) Size() int { return w.size }

func (w *group) Bcast(buf []byte, root int) error {
	n, err := count("MPI_Bcast", len(buf))
	if err != nil {
		return err
	}
	return w.do("MPI_Bcast", func() C.int { return C.nash_bcast(w.comm, ptr(buf), n, C.int(root)) })
}

func (w *group) Allgather(send, recv []byte) error {
	if len(recv) != w.size*len(send) {
		return fmt.Errorf("dist: allgather of %d bytes from %d ranks into %d", len(send), w.size, len(recv))
	}
	n, err := count("MPI_Allgather", len(send))
	if err != nil {
		return err
	}
	return w.do("MPI_Allgather", func() C.int { return C.nash_allgather(w.comm, ptr(send), ptr(recv), n) })
}

func (w *group) Alltoall(send, recv []byte) error {
	if len(send) != len(recv) || len(send)%w.size != 0 {
		return fmt.Errorf("dist: all-to-all of %d bytes into %d among %d ranks", len(send), len(recv), w.size)
	}
	n, err := count("MPI_Alltoall", len(send)/w.size)
	if err != nil {
		return err
	}
	return w.do("MPI_Alltoall", func() C.int { return C.nash_alltoall(w.comm, ptr(send), ptr(recv), n) })
}

func (w *group) Barrier() error {
	return w.do("MPI_Barrier", func() C.int { return C.nash_barrier(w.comm) })
}

func (w *group) Abort(code int) {
	w.do("MPI_Abort", func() C.int { return C.nash_abort(w.comm, C.int(code)) })
	os.Exit(code)
}

func (w *group) Split(color, key int) (Comm, error) {
	sub := &group{calls: w.calls}
	var rank, size C.int
	err := w.do("MPI_Comm_split", func() C.int {
		if rc := C.nash_split(w.comm, C.int(color), C.int(key), &sub.comm); rc != 0 {
			return rc
		}
		C.nash_rank(sub.comm, &rank)
		return C.nash_size(sub.comm, &size)
	})
	sub.rank, sub.size = int(rank), int(size)
	return sub, err
}

// Close frees a part of the world, and ends MPI when it is the world.
func (w *group) Close() error {
	if !w.world {
		return w.do("MPI_Comm_free", func() C.int { return C.nash_free(&w.comm) })
	}
	err := w.do("MPI_Finalize", func() C.int { return C.nash_finalize() })
	close(w.calls)
	return err
}
