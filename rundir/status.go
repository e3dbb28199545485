package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// The states of a run's status.json.
const (
	StateRunning     = "running"
	StateFinished    = "finished"
	StateInterrupted = "interrupted"
	StateFailed      = "failed"
	// StateDied is never written: readers give it (Status.Effective) to a
	// run whose status.json says running but whose process is gone.
	StateDied = "died"
)

// HeartbeatEvery is how often a training process rewrites its running
// status.json; a running status older than StaleAfter is taken for a
// process that died on another machine (on this one, its PID tells).
const (
	HeartbeatEvery = 30 * time.Second
	StaleAfter     = 10 * time.Minute
)

// Status is a run's status.json: how far training got and how it ended. A
// process killed outright leaves "running" behind, so a running status
// names the process (PID and Host) and is rewritten every HeartbeatEvery;
// Effective tells whether it still runs.
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
	// Time is when the status was written: for a running process, its
	// latest heartbeat.
	Time time.Time `json:"time"`
	// PID and Host name the training process.
	PID  int    `json:"pid,omitempty"`
	Host string `json:"host,omitempty"`
}

// Effective returns the run's state as readers should show it at now:
// StateDied for a running status whose process is gone (on this host: no
// process has its PID; elsewhere: no heartbeat for StaleAfter), else the
// written state.
func (st Status) Effective(now time.Time) string {
	if st.State != StateRunning {
		return st.State
	}
	if host, err := os.Hostname(); err == nil && st.Host == host && st.PID > 0 {
		if !processAlive(st.PID) {
			return StateDied
		}
		return StateRunning
	}
	if now.Sub(st.Time) > StaleAfter {
		return StateDied
	}
	return StateRunning
}

// processAlive reports whether a process with the given PID exists: signal
// 0 checks without sending anything; only an answer that the process is
// gone counts as gone (another user's process answers with a permission
// error).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	if errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) {
		return false
	}
	// A process that has exited but that no parent has reaped yet (a
	// zombie, as under a container's init that does not reap) answers the
	// signal too: Linux's /proc tells.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command's name in parentheses, which may
	// itself hold ") ": it is after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// Running returns the running status of this process at step of total,
// written now.
func Running(step, total int, now time.Time) Status {
	host, _ := os.Hostname()
	return Status{State: StateRunning, Step: step, TotalSteps: total, Time: now.UTC(), PID: os.Getpid(), Host: host}
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
