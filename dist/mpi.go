//go:build mpi

package dist

/*
#cgo pkg-config: ompi
#include <mpi.h>

static int nash_init(int *provided) {
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, provided);
}
static int nash_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int nash_size(int *n) { return MPI_Comm_size(MPI_COMM_WORLD, n); }
static int nash_bcast(void *buf, int n, int root) {
	return MPI_Bcast(buf, n, MPI_BYTE, root, MPI_COMM_WORLD);
}
static int nash_allgather(void *send, void *recv, int n) {
	return MPI_Allgather(send, n, MPI_BYTE, recv, n, MPI_BYTE, MPI_COMM_WORLD);
}
static int nash_alltoall(void *send, void *recv, int n) {
	return MPI_Alltoall(send, n, MPI_BYTE, recv, n, MPI_BYTE, MPI_COMM_WORLD);
}
static int nash_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int nash_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
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

// MPI reports whether this build links MPI.
const MPI = true

// world is MPI's world communicator. Go moves goroutines among OS threads
// and MPI initialised at MPI_THREAD_FUNNELED must be called from the
// thread that initialised it, so every call runs on one goroutine locked
// to its thread, which receives them on calls.
type world struct {
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
	w := &world{calls: make(chan func())}
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
		C.nash_rank(&rank)
		C.nash_size(&size)
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
func (w *world) do(op string, f func() C.int) error {
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

func (w *world) Rank() int { return w.rank }
func (w *world) Size() int { return w.size }

func (w *world) Bcast(buf []byte, root int) error {
	n, err := count("MPI_Bcast", len(buf))
	if err != nil {
		return err
	}
	return w.do("MPI_Bcast", func() C.int { return C.nash_bcast(ptr(buf), n, C.int(root)) })
}

func (w *world) Allgather(send, recv []byte) error {
	if len(recv) != w.size*len(send) {
		return fmt.Errorf("dist: allgather of %d bytes from %d ranks into %d", len(send), w.size, len(recv))
	}
	n, err := count("MPI_Allgather", len(send))
	if err != nil {
		return err
	}
	return w.do("MPI_Allgather", func() C.int { return C.nash_allgather(ptr(send), ptr(recv), n) })
}

func (w *world) Alltoall(send, recv []byte) error {
	if len(send) != len(recv) || len(send)%w.size != 0 {
		return fmt.Errorf("dist: all-to-all of %d bytes into %d among %d ranks", len(send), len(recv), w.size)
	}
	n, err := count("MPI_Alltoall", len(send)/w.size)
	if err != nil {
		return err
	}
	return w.do("MPI_Alltoall", func() C.int { return C.nash_alltoall(ptr(send), ptr(recv), n) })
}

func (w *world) Barrier() error {
	return w.do("MPI_Barrier", func() C.int { return C.nash_barrier() })
}

func (w *world) Abort(code int) {
	w.do("MPI_Abort", func() C.int { return C.nash_abort(C.int(code)) })
	os.Exit(code)
}

func (w *world) Close() error {
	err := w.do("MPI_Finalize", func() C.int { return C.nash_finalize() })
	close(w.calls)
	return err
}
