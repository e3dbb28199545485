package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// StateStopped is the state readers give a run without status.json (runs
// written before nash kept one) that neither reached its configured steps
// nor changed recently.
const StateStopped = "stopped"

// quietFor is how recently the metrics of a run without status.json must
// have changed for the run to count as running.
const quietFor = time.Minute

// maxFindDepth bounds how deep Find looks for runs below its root.
const maxFindDepth = 4

// IsRun reports whether the folder name of fsys is a run directory: it
// holds config.yaml, metrics.jsonl or status.json.
func IsRun(fsys fs.FS, name string) bool {
	for _, f := range []string{ConfigFile, MetricsFile, StatusFile} {
		if fi, err := fs.Stat(fsys, path.Join(name, f)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// Find returns the run directories in fsys below root (root itself if it
// is one), as slash-separated paths relative to fsys, in name order: the
// runs of a sweep or of toybench sit in sub-folders. It does not look
// inside a run, nor deeper than four folders, nor into folders whose name
// starts with '.'; a symbolic link to a run is a run (fsys decides where
// links may lead), but links are not followed into other folders.
func Find(fsys fs.FS, root string) ([]string, error) {
	if IsRun(fsys, root) {
		return []string{root}, nil
	}
	var runs []string
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			link := e.Type()&fs.ModeSymlink != 0
			if (!e.IsDir() && !link) || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			sub := path.Join(dir, e.Name())
			if fi, err := fs.Stat(fsys, sub); err != nil || !fi.IsDir() {
				continue
			}
			if IsRun(fsys, sub) {
				runs = append(runs, sub)
			} else if depth < maxFindDepth && !link {
				if err := walk(sub, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root, 1); err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	slices.Sort(runs)
	return runs, nil
}

// Summary is what a list of runs shows of one run.
type Summary struct {
	// Name is the run's path relative to the folder listed.
	Name string `json:"name"`
	// State is the run's state as Status.Effective gives it, or for a run
	// without status.json finished, running or stopped from its metrics.
	State   string `json:"state"`
	Model   string `json:"model,omitempty"`
	Dataset string `json:"dataset,omitempty"`
	Loss    string `json:"loss,omitempty"`
	// Step is the last step logged or completed; TotalSteps the step
	// training stops at (0 when unknown).
	Step       int `json:"step"`
	TotalSteps int `json:"total_steps,omitempty"`
	// Best is the best value of the evaluation during training, of the
	// metric BestMetric (fid, or swd for runs evaluated on pixels).
	Best       *float64 `json:"best,omitempty"`
	BestMetric string   `json:"best_metric,omitempty"`
	// Updated is when the run last wrote its status or metrics.
	Updated time.Time `json:"updated"`
	// Problem says what could not be read, if anything.
	Problem string `json:"problem,omitempty"`
}

// Summarize describes the run in the folder name of fsys at now. What
// cannot be read is named in Problem and left out.
func Summarize(fsys fs.FS, name string, now time.Time) Summary {
	sum := Summary{Name: name, State: StateStopped}
	var problems []string
	note := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	var cfg struct {
		Model   string `yaml:"model"`
		Dataset string `yaml:"dataset"`
		Loss    string `yaml:"loss"`
		Steps   int    `yaml:"steps"`
	}
	if b, err := fs.ReadFile(fsys, path.Join(name, ConfigFile)); err == nil {
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			note(fmt.Errorf("%s: %w", path.Join(name, ConfigFile), err))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		note(err)
	}
	sum.Model, sum.Dataset, sum.Loss, sum.TotalSteps = cfg.Model, cfg.Dataset, cfg.Loss, cfg.Steps

	metricsPath := path.Join(name, MetricsFile)
	if fi, err := fs.Stat(fsys, metricsPath); err == nil {
		sum.Updated = fi.ModTime()
		b, err := fs.ReadFile(fsys, metricsPath)
		note(err)
		recs, _, _ := ParseMetrics(b)
		if len(recs) > 0 {
			sum.Step = int(recs[len(recs)-1]["step"])
		}
		for _, r := range slices.Backward(recs) {
			if metric, v, ok := bestOf(r); ok {
				sum.Best, sum.BestMetric = &v, metric
				break
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		note(err)
	}

	var st *Status
	b, err := fs.ReadFile(fsys, path.Join(name, StatusFile))
	switch {
	case err == nil:
		st = new(Status)
		if err := json.Unmarshal(b, st); err != nil {
			note(fmt.Errorf("%s: %w", path.Join(name, StatusFile), err))
			st = nil
			break
		}
		sum.Step = max(sum.Step, st.Step)
		if st.TotalSteps > 0 {
			sum.TotalSteps = st.TotalSteps
		}
	case !errors.Is(err, fs.ErrNotExist):
		note(err)
	}
	sum.State = State(st, sum.Updated, sum.Step, sum.TotalSteps, now)
	if st != nil && st.Time.After(sum.Updated) {
		sum.Updated = st.Time
	}
	sum.Problem = strings.Join(problems, "; ")
	return sum
}

// State returns the state readers show at now of a run whose status.json
// is st (nil when it has none, as runs of older nash versions), whose
// metrics.jsonl last changed at updated (zero: never) and logged step of
// steps (0: unknown). With status.json it is the written state, or died
// for a running run whose process is gone (Status.Effective; a status
// without a process, written before heartbeats, counts as running while
// it or the metrics changed within a minute). Without one, a run is
// finished at its configured steps, running while its metrics change, and
// stopped otherwise.
func State(st *Status, updated time.Time, step, steps int, now time.Time) string {
	recent := func(t time.Time) bool { return !t.IsZero() && now.Sub(t) < quietFor }
	switch {
	case st != nil && st.State == StateRunning && st.PID == 0:
		if recent(st.Time) || recent(updated) {
			return StateRunning
		}
		return StateDied
	case st != nil:
		return st.Effective(now)
	case steps > 0 && step >= steps:
		return StateFinished
	case recent(updated):
		return StateRunning
	default:
		return StateStopped
	}
}

// bestOf returns the best-so-far value of the evaluation during training
// that the record r holds: eval_best_fid, or eval_best_swd for a run
// evaluated on pixels.
func bestOf(r Record) (metric string, v float64, ok bool) {
	for _, k := range []struct{ key, metric string }{{"eval_best_fid", "fid"}, {"eval_best_swd", "swd"}} {
		if v, ok := r[k.key]; ok && !math.IsNaN(v) {
			return k.metric, v, true
		}
	}
	return "", 0, false
}
