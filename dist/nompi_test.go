//go:build !mpi

package dist

import (
	"strings"
	"testing"
)

func TestOpenUnderLauncherWithoutMPI(t *testing.T) {
	t.Setenv("OMPI_COMM_WORLD_SIZE", "2")
	_, err := Open()
	if err == nil || !strings.Contains(err.Error(), "rebuild it with -tags mpi") {
		t.Fatalf("Open under mpirun in a build without MPI: %v", err)
	}
}
