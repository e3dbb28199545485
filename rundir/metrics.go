package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// Metrics is the record of one logged training step, one line of
// metrics.jsonl. docs/RUNDIR.md defines the keys and their units.
type Metrics struct {
	Step  int       // "step": training steps completed
	Epoch int       // "epoch": the epoch of the step's batch, from 0
	Time  time.Time // "time": written as Unix seconds with millisecond precision
	// Stats are the game's statistics of the step, written after time in
	// their order: the classic game's loss_d, loss_g, d_real and d_fake.
	Stats []Stat
	// Extra holds further named values, written after the statistics in
	// sorted order. No key may appear twice in a record.
	Extra Record
}

// Stat is a named value of a step.
type Stat struct {
	Key   string
	Value float64
}

// Record is one line of metrics.jsonl as read back: every key with a
// number (or null, read as NaN) as its value.
type Record map[string]float64

// standardKeys open every line, in this order.
var standardKeys = []string{"step", "epoch", "time"}

// MetricsWriter appends records to a metrics.jsonl file, one JSON object per
// line. Each record reaches the file in a single write ending in a newline,
// so a reader of the live file sees whole lines and at most one partial
// last line. It is safe for concurrent use.
type MetricsWriter struct {
	mu   sync.Mutex
	f    *os.File
	size int64 // the file's length: up to the end of the last whole line
	line []byte
	keys []string
}

// OpenMetrics opens the run's metrics.jsonl for appending, creating it if
// needed. If the file ends in a partial line, left by a process that died
// while writing, a newline is added first so that the next record starts a
// line of its own and the partial one stays a single malformed line.
func (r *Run) OpenMetrics() (*MetricsWriter, error) {
	path := r.MetricsPath()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	fi, err := f.Stat()
	var size int64
	if err == nil && fi.Size() > 0 {
		size = fi.Size()
		last := make([]byte, 1)
		if _, err = f.ReadAt(last, size-1); err == nil && last[0] != '\n' {
			_, err = f.Write([]byte{'\n'})
			size++
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("rundir: %s: %w", path, err)
	}
	return &MetricsWriter{f: f, size: size}, nil
}

// Append writes m as one line. A NaN or infinite value is written as null.
// A line that cannot be written whole (a full disk) is removed again.
func (w *MetricsWriter) Append(m Metrics) error {
	if m.Time.IsZero() {
		return fmt.Errorf("rundir: %s: step %d: record has no time", w.f.Name(), m.Step)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keys = append(w.keys[:0], standardKeys...)
	for _, st := range m.Stats {
		if err := w.addKey(m.Step, st.Key); err != nil {
			return err
		}
	}
	extra := len(w.keys)
	for k := range m.Extra {
		if err := w.addKey(m.Step, k); err != nil {
			return err
		}
	}
	slices.Sort(w.keys[extra:])
	b := append(w.line[:0], '{')
	for i, v := range []float64{float64(m.Step), float64(m.Epoch), float64(m.Time.UnixMilli()) / 1000} {
		b = appendPair(b, standardKeys[i], v)
	}
	for _, st := range m.Stats {
		b = appendPair(b, st.Key, st.Value)
	}
	for _, k := range w.keys[extra:] {
		b = appendPair(b, k, m.Extra[k])
	}
	b = append(b, '}', '\n')
	w.line = b
	if _, err := w.f.Write(b); err != nil {
		// A full disk may have taken part of the line: cut it off, so
		// that the file keeps whole lines only.
		if terr := w.f.Truncate(w.size); terr != nil {
			return fmt.Errorf("rundir: %w (and the partial line is left: %v)", err, terr)
		}
		return fmt.Errorf("rundir: %w", err)
	}
	w.size += int64(len(b))
	return nil
}

// addKey adds key to the keys of the record being written, refusing a
// key already there or one that is not valid UTF-8. The records are short:
// a linear search is fastest.
func (w *MetricsWriter) addKey(step int, key string) error {
	if slices.Contains(w.keys, key) {
		return fmt.Errorf("rundir: %s: step %d: key %q appears twice", w.f.Name(), step, key)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("rundir: %s: step %d: key %q is not valid UTF-8", w.f.Name(), step, key)
	}
	w.keys = append(w.keys, key)
	return nil
}

// appendPair appends "key":value to the object being written in b.
func appendPair(b []byte, key string, v float64) []byte {
	if len(b) > 1 {
		b = append(b, ',')
	}
	quoted, _ := json.Marshal(key) // A valid UTF-8 string always marshals.
	b = append(b, quoted...)
	b = append(b, ':')
	return appendNumber(b, v)
}

// appendNumber appends v as a JSON number in the shortest form that reads
// back to it: float32's shortest form when v is a fraction that is exactly
// a float32 value (so that a float32 loss appears as 0.6931472, not
// 0.6931471824645996), float64's otherwise (so that integers such as a
// time of 1732235136 s stay exact), and null when v is NaN or infinite.
// Like encoding/json, it uses an exponent only below 1e-6 or from 1e21.
func appendNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	bits := 64
	if float64(float32(v)) == v && v != math.Trunc(v) {
		bits = 32
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, v, format, -1, bits)
}

// Close closes the file.
func (w *MetricsWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}

// ParseMetrics decodes the complete lines of data, a metrics.jsonl file or
// the part of one that follows a newline. It returns the records, the
// number of bytes up to and including the last newline (where a reader that
// follows a live file resumes) and the number of malformed lines skipped: a
// line is malformed unless it is a JSON object with a numeric "step". Values
// that are neither numbers nor null are ignored; null reads as NaN. Blank
// lines are ignored.
func ParseMetrics(data []byte) (recs []Record, n, skipped int) {
	for line := range bytes.Lines(data) {
		if line[len(line)-1] != '\n' {
			break
		}
		n += len(line)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rec, ok := parseRecord(line)
		if !ok {
			skipped++
			continue
		}
		recs = append(recs, rec)
	}
	return recs, n, skipped
}

// parseRecord decodes one line of metrics.jsonl.
func parseRecord(line []byte) (Record, bool) {
	var obj map[string]any
	if err := json.Unmarshal(line, &obj); err != nil || obj == nil {
		return nil, false
	}
	rec := make(Record, len(obj))
	for k, v := range obj {
		switch v := v.(type) {
		case float64:
			rec[k] = v
		case nil:
			rec[k] = math.NaN()
		}
	}
	if step, ok := rec["step"]; !ok || math.IsNaN(step) {
		return nil, false
	}
	return rec, true
}

// ReadMetrics reads the metrics file at path. Malformed lines, and a last
// line without its newline (one being written, or left by a process that
// died while writing it), are skipped and counted rather than failing the
// read.
func ReadMetrics(path string) (recs []Record, skipped int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("rundir: %w", err)
	}
	recs, n, skipped := ParseMetrics(data)
	if len(bytes.TrimSpace(data[n:])) > 0 {
		skipped++
	}
	return recs, skipped, nil
}

// TruncateMetrics removes from the run's metrics.jsonl the records of steps
// after step and a partial last line, so that a run resumed from a
// checkpoint of that step logs the later steps again without duplicates.
// Complete lines that are not records (malformed, or written by another
// tool) are not destroyed: they are appended to metrics.malformed.jsonl
// (MalformedMetricsPath) first, and their number is returned so that the
// caller can say so. Both files are rewritten under a temporary name and
// renamed; a missing metrics file is left missing. Call it before
// OpenMetrics.
func (r *Run) TruncateMetrics(step int) (moved int, err error) {
	path := r.MetricsPath()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("rundir: %w", err)
	}
	var keep, aside []byte
	for line := range bytes.Lines(data) {
		if line[len(line)-1] != '\n' {
			break
		}
		rec, ok := parseRecord(line)
		switch {
		case ok && rec["step"] <= float64(step):
			keep = append(keep, line...)
		case !ok && len(bytes.TrimSpace(line)) > 0:
			aside = append(aside, line...)
			moved++
		}
	}
	if len(keep) == len(data) {
		return 0, nil
	}
	if moved > 0 {
		old, err := os.ReadFile(r.MalformedMetricsPath())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("rundir: %w", err)
		}
		if err := atomicfile.WriteFile(r.MalformedMetricsPath(), append(old, aside...), 0o644); err != nil {
			return 0, fmt.Errorf("rundir: %w", err)
		}
	}
	if err := atomicfile.WriteFile(path, keep, 0o644); err != nil {
		return 0, fmt.Errorf("rundir: %w", err)
	}
	return moved, nil
}

// MalformedMetricsPath returns the path of metrics.malformed.jsonl, where
// resuming moves the lines of metrics.jsonl that are not records.
func (r *Run) MalformedMetricsPath() string { return r.path(MalformedMetricsFile) }

// KeyLabels are the labels readers (the dashboard) show for the keys that
// training adds to metrics.jsonl besides a game's statistics, which carry
// their own labels (gan.Statistic).
var KeyLabels = map[string]string{
	"eval_fid":            "FID (2,000 samples)",
	"eval_best_fid":       "best FID so far",
	"eval_classes":        "classes covered",
	"eval_class_kl":       "class KL to uniform",
	"eval_class_accuracy": "class asked for, seen",
	"eval_diversity":      "feature diversity / real",
	"eval_swd":            "SWD (sliced Wasserstein, pixels)",
	"eval_best_swd":       "best SWD so far",
	"eval_ms_ssim":        "MS-SSIM between samples",
	"modes":               "modes covered",
	"hq":                  "high-quality samples",
	"mode_kl":             "mode KL to uniform",
	"eval_best_mode_kl":   "best mode KL so far",
	"eval_a2b_accuracy":   "label preservation A→B",
	"eval_b2a_accuracy":   "label preservation B→A",
	"eval_a2b_fid":        "FID A→B (target features)",
	"eval_b2a_fid":        "FID B→A (target features)",
	"eval_a2b_cycle_l1":   "cycle error A→B→A",
	"eval_b2a_cycle_l1":   "cycle error B→A→B",
	"nll_oracle":          "NLL_oracle (quality)",
	"nll_test":            "NLL_test (diversity)",
	"bleu2":               "BLEU-2",
	"bleu3":               "BLEU-3",
	"bleu4":               "BLEU-4",
	"bleu5":               "BLEU-5",
	"self_bleu2":          "Self-BLEU-2",
	"self_bleu3":          "Self-BLEU-3",
	"self_bleu4":          "Self-BLEU-4",
	"self_bleu5":          "Self-BLEU-5",
}
