// Package rundir lays out a training run's directory, the contract between
// training, the dashboard and evaluation described in docs/RUNDIR.md:
//
//	DIR/config.yaml                  the fully resolved configuration
//	DIR/metrics.jsonl                one JSON object per logged step
//	DIR/samples/step-NNNNNNN.png     a sample grid from one fixed z
//	DIR/samples/classes-NNNNNNN.png  a conditional run's grid, one row per class
//	DIR/checkpoints/NAME.safetensors checkpoints, last.safetensors the latest
//	DIR/status.json                  how training went, and its process
//	DIR/eval-CHECKPOINT.json         nash eval --run's latest report on a checkpoint
//	DIR/evals.jsonl                  every report of nash eval --run
//	DIR/eval-memorisation-CHECKPOINT.png  its picture of the closest training images
//	DIR/eval-translation-CHECKPOINT.png   a translation run's test images, translated and back
//
// Create refuses a directory that is not empty unless told to replace a
// previous run, and then removes only the files above, never anything else.
package rundir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// The names of the contract's files and folders inside a run directory.
const (
	ConfigFile  = "config.yaml"
	MetricsFile = "metrics.jsonl"
	// MalformedMetricsFile keeps the lines of metrics.jsonl that were not
	// records when the run was resumed (TruncateMetrics).
	MalformedMetricsFile = "metrics.malformed.jsonl"
	StatusFile           = "status.json"
	SamplesDir           = "samples"
	CheckpointsDir       = "checkpoints"
	// EvalHistoryFile, and the files of EvalFile and MemorisationFile, are
	// written by nash eval --run, not by training; replacing the run
	// removes them with the run they describe (and the eval.json and
	// eval-memorisation.png of runs evaluated before there was one file
	// per checkpoint).
	EvalHistoryFile        = "evals.jsonl"
	legacyEvalFile         = "eval.json"
	legacyMemorisationFile = "eval-memorisation.png"
)

// EvalFile returns the name of the latest evaluation of the run's
// checkpoint ("last" or "best"): eval-last.json, eval-best.json. Every
// evaluation is also appended to EvalHistoryFile, one JSON object a line,
// so that none is lost when a checkpoint is evaluated again.
func EvalFile(checkpoint string) string { return "eval-" + checkpoint + ".json" }

// MemorisationFile returns the name of the memorisation picture of the
// latest evaluation of the checkpoint: eval-memorisation-last.png.
func MemorisationFile(checkpoint string) string { return "eval-memorisation-" + checkpoint + ".png" }

// TranslationFile returns the name of the picture of a translation run's
// latest evaluation of the checkpoint: eval-translation-last.png.
func TranslationFile(checkpoint string) string { return "eval-translation-" + checkpoint + ".png" }

// isEvalName reports whether a file name in a run directory is one of nash
// eval's.
func isEvalName(name string) bool {
	switch {
	case name == EvalHistoryFile || name == legacyEvalFile || name == legacyMemorisationFile:
		return true
	case strings.HasPrefix(name, "eval-memorisation-") && strings.HasSuffix(name, ".png"):
		return true
	case strings.HasPrefix(name, "eval-translation-") && strings.HasSuffix(name, ".png"):
		return true
	default:
		return strings.HasPrefix(name, "eval-") && strings.HasSuffix(name, ".json")
	}
}

// checkpointExt ends the name of every checkpoint file.
const checkpointExt = ".safetensors"

// Run is a run directory.
type Run struct {
	dir string
}

// Create makes dir, with its samples and checkpoints folders, for a new run.
// If dir exists and is not empty, Create fails with an error that names it
// and says to pass --force, unless force is true: then it removes the files
// of a previous run (config.yaml, metrics.jsonl, metrics.malformed.jsonl,
// status.json, nash eval's eval-*.json, eval-memorisation-*.png,
// eval-translation-*.png and evals.jsonl (and an older nash eval's eval-memorisation.png),
// samples/step-<digits>.png, samples/classes-<digits>.png and
// checkpoints/*.safetensors) and leaves every other file in place.
func Create(dir string, force bool) (*Run, error) {
	if dir == "" {
		return nil, errors.New("rundir: the run directory's name is empty")
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("rundir: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("rundir: %s exists and is not a directory", dir)
	default:
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("rundir: %w", err)
		}
		if len(entries) > 0 && !force {
			return nil, fmt.Errorf("rundir: %s is not empty; pass --force to replace the run in it "+
				"(this removes %s, %s, %s, %s, eval-*.json, eval-memorisation-*.png, eval-translation-*.png, %s, %s/step-*.png, %s/classes-*.png and %s/*%s and nothing else)",
				dir, ConfigFile, MetricsFile, MalformedMetricsFile, StatusFile, EvalHistoryFile, SamplesDir, SamplesDir, CheckpointsDir, checkpointExt)
		}
		if err := removeRunFiles(dir); err != nil {
			return nil, err
		}
	}
	r := &Run{dir: dir}
	for _, d := range []string{dir, r.path(SamplesDir), r.path(CheckpointsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("rundir: %w", err)
		}
	}
	return r, nil
}

// removeRunFiles removes the contract's files from dir.
func removeRunFiles(dir string) error {
	_, err := removeMatching(dir, false)
	return err
}

// RemoveTemporaries removes the temporary files that writes of the run's
// files killed before their rename left behind (.<name>.tmp-<random>, see
// internal/atomicfile), and returns how many it removed. Call it only while
// no process writes the run: resuming it, or replacing it with --force.
func (r *Run) RemoveTemporaries() (int, error) { return removeMatching(r.dir, true) }

// removeMatching removes from dir the temporary files of the contract's
// files and, unless temporariesOnly, the files themselves, returning how
// many temporary files it removed.
func removeMatching(dir string, temporariesOnly bool) (temporaries int, err error) {
	top := []string{ConfigFile, MetricsFile, MalformedMetricsFile, StatusFile}
	if !temporariesOnly {
		for _, name := range top {
			if err := removeFile(filepath.Join(dir, name), true); err != nil {
				return 0, err
			}
		}
	}
	folders := []struct {
		name  string
		match func(string) bool
	}{
		{".", func(name string) bool { return slices.Contains(top, name) || isEvalName(name) }},
		{SamplesDir, func(name string) bool { return isSampleName(name) || isClassGridName(name) }},
		{CheckpointsDir, func(name string) bool { return strings.HasSuffix(name, checkpointExt) }},
	}
	for _, folder := range folders {
		sub := filepath.Join(dir, folder.name)
		fi, err := os.Stat(sub)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("rundir: %w", err)
		}
		if !fi.IsDir() {
			return 0, fmt.Errorf("rundir: %s is not a folder; remove it yourself", sub)
		}
		entries, err := os.ReadDir(sub)
		if err != nil {
			return 0, fmt.Errorf("rundir: %w", err)
		}
		for _, e := range entries {
			// The top level's own files were removed above, and must be
			// files; here, their temporary files and nash eval's files.
			base, temporary := temporaryOf(e.Name())
			if !folder.match(base) || !temporary && (temporariesOnly || slices.Contains(top, base)) {
				continue
			}
			if err := removeFile(filepath.Join(sub, e.Name()), false); err != nil {
				return 0, err
			}
			if temporary {
				temporaries++
			}
		}
	}
	return temporaries, nil
}

// temporaryOf returns the name of the file whose temporary file name is
// (.<name>.tmp-<random>, internal/atomicfile's), and whether it is one; for
// any other name it returns name itself.
func temporaryOf(name string) (string, bool) {
	if target, ok := atomicfile.TargetOf(name); ok {
		return target, true
	}
	return name, false
}

// removeFile removes the file or symbolic link at path, if there is one. A
// directory at path is an error if required is set and is left alone
// otherwise.
func removeFile(path string, required bool) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	if fi.IsDir() {
		if required {
			return fmt.Errorf("rundir: %s is a directory, not a run's file; remove it yourself", path)
		}
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// isSampleName reports whether name is step-<digits>.png, or the text
// samples of a run on token sequences, step-<digits>.txt.
func isSampleName(name string) bool {
	_, png := SampleStep(name)
	_, txt := TextSampleStep(name)
	return png || txt
}

// TextSampleStep returns the step of a file of generated sequences,
// step-<digits>.txt (TextSamplePath's), and whether name is one.
func TextSampleStep(name string) (int, bool) {
	base, ok := strings.CutSuffix(name, ".txt")
	if !ok {
		return 0, false
	}
	return SampleStep(base + ".png")
}

// isClassGridName reports whether name is classes-<digits>.png.
func isClassGridName(name string) bool { _, ok := ClassGridStep(name); return ok }

// SampleStep returns the step of a sample grid's file name,
// step-<digits>.png (SamplePath's), and whether name is one.
func SampleStep(name string) (int, bool) { return numberedStep(name, "step-") }

// ClassGridStep returns the step of a class grid's file name,
// classes-<digits>.png (ClassGridPath's), and whether name is one.
func ClassGridStep(name string) (int, bool) { return numberedStep(name, "classes-") }

// numberedStep returns the number of a file name prefix<digits>.png and
// whether name is one whose number fits an int.
func numberedStep(name, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ".png")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	step, err := strconv.Atoi(digits)
	return step, err == nil
}

// Open returns the existing run in dir. It fails, naming what is missing,
// unless dir holds config.yaml and the samples and checkpoints folders.
func Open(dir string) (*Run, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("rundir: %s is not a directory", dir)
	}
	r := &Run{dir: dir}
	var problems []string
	for _, want := range []struct {
		name string
		dir  bool
	}{{ConfigFile, false}, {SamplesDir, true}, {CheckpointsDir, true}} {
		fi, err := os.Stat(r.path(want.name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, "missing "+want.name)
		case err != nil:
			return nil, fmt.Errorf("rundir: %w", err)
		case want.dir && !fi.IsDir():
			problems = append(problems, want.name+" is not a folder")
		case !want.dir && !fi.Mode().IsRegular():
			problems = append(problems, want.name+" is not a regular file")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("rundir: %s is not a run directory: %s", dir, strings.Join(problems, "; "))
	}
	return r, nil
}

func (r *Run) path(elem ...string) string {
	return filepath.Join(append([]string{r.dir}, elem...)...)
}

// Dir returns the run's directory.
func (r *Run) Dir() string { return r.dir }

// ConfigPath returns the path of config.yaml.
func (r *Run) ConfigPath() string { return r.path(ConfigFile) }

// MetricsPath returns the path of metrics.jsonl.
func (r *Run) MetricsPath() string { return r.path(MetricsFile) }

// SamplePath returns the path of the sample grid of a step:
// samples/step-NNNNNNN.png, the step zero-padded to 7 digits.
func (r *Run) SamplePath(step int) string {
	return r.path(SamplesDir, fmt.Sprintf("step-%07d.png", step))
}

// TextSamplePath returns the path of the generated sequences of a step of
// a run on token sequences: samples/step-NNNNNNN.txt, numbered as
// SamplePath, one sequence a line.
func (r *Run) TextSamplePath(step int) string {
	return r.path(SamplesDir, fmt.Sprintf("step-%07d.txt", step))
}

// ClassGridPath returns the path of a conditional run's class grid of a
// step: samples/classes-NNNNNNN.png, numbered as SamplePath.
func (r *Run) ClassGridPath(step int) string {
	return r.path(SamplesDir, fmt.Sprintf("classes-%07d.png", step))
}

// CheckpointPath returns the path of the checkpoint called name, a plain
// file name without extension: "last" gives checkpoints/last.safetensors.
func (r *Run) CheckpointPath(name string) string {
	return r.path(CheckpointsDir, name+checkpointExt)
}

// WriteConfig writes v as YAML to config.yaml, under a temporary name and
// renamed, so that readers see the old or the new configuration whole.
func (r *Run) WriteConfig(v any) error {
	err := atomicfile.Write(r.ConfigPath(), 0o644, func(w io.Writer) error {
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return enc.Close()
	})
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// ReadConfig decodes config.yaml into v, which must be a pointer. A key that
// v has no field for is an error naming the key and its line, as is a file
// that is empty or holds more than one YAML document.
func (r *Run) ReadConfig(v any) error {
	path := r.ConfigPath()
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			return fmt.Errorf("rundir: %s is empty", path)
		}
		return fmt.Errorf("rundir: %s: %w", path, YAMLError(err))
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("rundir: %s: more than one YAML document", path)
	}
	return nil
}

// YAMLError returns err, an error of decoding YAML, in one line: the lines
// of a yaml.TypeError (one per value that does not fit) joined by "; ".
func YAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fmt.Errorf("yaml: %s", strings.Join(te.Errors, "; "))
	}
	return err
}

// AppendEvalHistory appends one evaluation report, JSON without newlines,
// as a line of the run directory dir's EvalHistoryFile.
func AppendEvalHistory(dir string, report []byte) error {
	f, err := os.OpenFile(filepath.Join(dir, EvalHistoryFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	if _, err := f.Write(append(report, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("rundir: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}
