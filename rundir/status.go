package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// The states of a run's status.json.
const (
	StateRunning     = "running"
	StateFinished    = "finished"
	StateInterrupted = "interrupted"
	StateFailed      = "failed"
)

// Status is a run's status.json: how far training got and how it ended. A
// process killed outright leaves "running" behind, so readers should also
// look at how recently metrics.jsonl changed.
type Status struct {
	// State is running, finished, interrupted (stopped by a signal, with a
	// checkpoint saved) or failed.
	State string `json:"state"`
	// Step is the last step completed and TotalSteps the step training
	// stops at.
	Step       int `json:"step"`
	TotalSteps int `json:"total_steps"`
	// Error says why training failed or was interrupted.
	Error string `json:"error,omitempty"`
	// Time is when the status was written.
	Time time.Time `json:"time"`
}

// StatusPath returns the path of the run's status.json.
func (r *Run) StatusPath() string { return r.path(StatusFile) }

// WriteStatus replaces the run's status.json atomically.
func (r *Run) WriteStatus(st Status) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	if err := atomicfile.WriteFile(r.StatusPath(), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// ReadStatus reads a run directory's status.json; ok is false when the run
// has none (runs written before nash kept one).
func ReadStatus(dir string) (st Status, ok bool, err error) {
	path := dir + string(os.PathSeparator) + StatusFile
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Status{}, false, nil
	}
	if err != nil {
		return Status{}, false, fmt.Errorf("rundir: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return Status{}, false, fmt.Errorf("rundir: %s: %w", path, err)
	}
	return st, true, nil
}
