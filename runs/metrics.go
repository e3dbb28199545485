package runs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Record is one line of metrics.jsonl: named numbers such as step, epoch,
// time, loss_d, loss_g, d_real and d_fake (docs/RUNDIR.md lists the keys).
// A NaN or infinite value is written as null and read back as NaN.
type Record map[string]float64

// leadingKeys open every line, in this order, when present; the other keys
// follow sorted.
var leadingKeys = []string{"step", "epoch", "time"}

// MetricsWriter appends records to a metrics.jsonl file, one JSON object per
// line. Each record reaches the file in a single write ending in a newline,
// so a reader of the live file sees whole lines and at most one partial
// last line. It is safe for concurrent use.
type MetricsWriter struct {
	mu   sync.Mutex
	f    *os.File
	line []byte
	keys []string
}

// OpenMetrics opens the metrics file at path for appending, creating it if
// needed. If the file ends in a partial line, left by a process that died
// while writing, a newline is added first so that the next record starts a
// line of its own and the partial one stays a single malformed line.
func OpenMetrics(path string) (*MetricsWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err = f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			_, err = f.Write([]byte{'\n'})
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("runs: %s: %w", path, err)
	}
	return &MetricsWriter{f: f}, nil
}

// Append writes rec as one line. It must have a finite "step"; keys must be
// valid UTF-8.
func (w *MetricsWriter) Append(rec Record) error {
	if step, ok := rec["step"]; !ok || math.IsNaN(step) || math.IsInf(step, 0) {
		return fmt.Errorf("runs: %s: record needs a finite \"step\"", w.f.Name())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keys = w.keys[:0]
	for k := range rec {
		if !utf8.ValidString(k) {
			return fmt.Errorf("runs: %s: key %q is not valid UTF-8", w.f.Name(), k)
		}
		if !slices.Contains(leadingKeys, k) {
			w.keys = append(w.keys, k)
		}
	}
	slices.Sort(w.keys)
	b := append(w.line[:0], '{')
	for _, k := range leadingKeys {
		if v, ok := rec[k]; ok {
			b = appendPair(b, k, v)
		}
	}
	for _, k := range w.keys {
		b = appendPair(b, k, rec[k])
	}
	b = append(b, '}', '\n')
	w.line = b
	if _, err := w.f.Write(b); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
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
		return fmt.Errorf("runs: %w", err)
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
	for {
		i := bytes.IndexByte(data[n:], '\n')
		if i < 0 {
			return recs, n, skipped
		}
		line := data[n : n+i]
		n += i + 1
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
		return nil, 0, fmt.Errorf("runs: %w", err)
	}
	recs, n, skipped := ParseMetrics(data)
	if len(bytes.TrimSpace(data[n:])) > 0 {
		skipped++
	}
	return recs, skipped, nil
}
