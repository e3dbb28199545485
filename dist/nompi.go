//go:build !mpi

package dist

import "fmt"

// openMPI refuses: this build has no MPI.
func openMPI(n int, v string) (Comm, error) {
	return nil, fmt.Errorf("this nash was built without MPI but was launched as one of %d ranks (%s is set): rebuild it with -tags mpi (go build -tags mpi ./cmd/nash, which needs libopenmpi-dev)", n, v)
}
