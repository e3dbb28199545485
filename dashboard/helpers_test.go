package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/rundir"
)

// testStart is the wall-clock time of the generated runs' first step.
var testStart = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// metricsAt returns the record training would log at step: smooth,
// distinct curves, so that a test can tell the keys and steps apart, of
// float32 values as training computes them.
func metricsAt(step int, extra rundir.Record) rundir.Metrics {
	x := float64(step)
	return rundir.Metrics{
		Step:  step,
		Epoch: step / 100,
		Time:  testStart.Add(time.Duration(step) * 10 * time.Millisecond),
		Stats: []rundir.Stat{
			{Key: "loss_d", Value: float64(float32(1.4 - 0.3*math.Sin(x/50)))},
			{Key: "loss_g", Value: float64(float32(0.7 + 0.4*math.Cos(x/70)))},
			{Key: "d_real", Value: float64(float32(0.5 + 0.3*math.Exp(-x/500)))},
			{Key: "d_fake", Value: float64(float32(0.5 - 0.3*math.Exp(-x/500)))},
		},
		Extra: extra,
	}
}

// testConfig is the config.yaml of the generated runs.
var testConfig = map[string]any{"dataset": "mnist", "model": "mlp", "loss": "ns", "epochs": 5, "steps": 0, "batch": 64, "lr": 2e-4, "seed": 1}

// writeRun creates the run called name in dir with records for steps
// 1 … n through the writer training uses, and sample grids for the steps
// in samples.
func writeRun(tb testing.TB, dir, name string, n int, samples ...int) *rundir.Run {
	tb.Helper()
	r, err := rundir.Create(filepath.Join(dir, name), false)
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.WriteConfig(testConfig); err != nil {
		tb.Fatal(err)
	}
	appendRecords(tb, r, 1, n)
	for _, step := range samples {
		writeSample(tb, r, step)
	}
	return r
}

// appendRecords appends the records of steps from … to to the run's
// metrics.jsonl.
func appendRecords(tb testing.TB, r *rundir.Run, from, to int) {
	tb.Helper()
	w, err := r.OpenMetrics()
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Close()
	for step := from; step <= to; step++ {
		if err := w.Append(metricsAt(step, nil)); err != nil {
			tb.Fatal(err)
		}
	}
}

// appendText appends s to the file at path as it is.
func appendText(tb testing.TB, path, s string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.WriteString(f, s); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// writeSample writes a small grey sample grid for step whose pixels depend
// on the step, and returns its bytes.
func writeSample(tb testing.TB, r *rundir.Run, step int) []byte {
	tb.Helper()
	return writeGrey(tb, r.SamplePath(step), 62, 62, step)
}

// writeLines writes the generated sequences of a run on token sequences
// for step, lines of words that depend on step, and returns them.
func writeLines(tb testing.TB, r *rundir.Run, step int) string {
	tb.Helper()
	var b strings.Builder
	for i := range 3 {
		fmt.Fprintf(&b, "line %d of step %d: <unk> «é»\n", i+1, step)
	}
	if err := atomicfile.WriteFile(r.TextSamplePath(step), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// writeClassGrid writes a conditional run's class grid for step, 62 pixels
// wide and 30 high, and returns its bytes.
func writeClassGrid(tb testing.TB, r *rundir.Run, step int) []byte {
	tb.Helper()
	return writeGrey(tb, r.ClassGridPath(step), 62, 30, step)
}

// writeGrey writes a grey PNG of w × h pixels that depend on step to path.
func writeGrey(tb testing.TB, path string, w, h, step int) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: uint8((x*y + 37*step) % 256)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// newTestServer returns a dashboard of dir and closes it when the test ends.
func newTestServer(tb testing.TB, dir string, opts ...Option) *Server {
	tb.Helper()
	s, err := New(dir, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// get serves a GET of target (sent as is, not cleaned) and returns the
// response's status and body.
func get(h http.Handler, target string) (int, []byte) {
	rec := httpGet(h, target)
	return rec.Code, rec.Body.Bytes()
}

// getJSON serves a GET of target, fails the test unless it answers 200,
// and decodes the body into v.
func getJSON(tb testing.TB, h http.Handler, target string, v any) {
	tb.Helper()
	code, body := get(h, target)
	if code != http.StatusOK {
		tb.Fatalf("GET %s: status %d: %s", target, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		tb.Fatalf("GET %s: %v in %.200s", target, err, body)
	}
}

// metricsReply is the body of /api/runs/{name}/metrics; a null value
// decodes as nil.
type metricsReply struct {
	Run     string                `json:"run"`
	Gen     int                   `json:"gen"`
	Rows    int                   `json:"rows"`
	Skipped int                   `json:"skipped"`
	Keys    []string              `json:"keys"`
	Columns map[string][]*float64 `json:"columns"`
}

// httpGet serves a GET of target and returns the recorded response.
func httpGet(h http.Handler, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Host = "localhost:6006"
	h.ServeHTTP(rec, req)
	return rec
}

// stat returns the value of the statistic key in m, NaN when m has none.
func stat(m rundir.Metrics, key string) float64 {
	for _, s := range m.Stats {
		if s.Key == key {
			return s.Value
		}
	}
	return math.NaN()
}
