package dashboard

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nash-gan/nash/rundir"
)

// Sizes of the first-paint benchmark: runs, and records per run.
const (
	benchRuns    = 10
	benchRecords = 100_000
)

// writeBenchRuns writes benchRuns runs of benchRecords records each, and
// 50 sample grids each, into dir.
func writeBenchRuns(b *testing.B, dir string) []string {
	names := make([]string, benchRuns)
	for i := range names {
		names[i] = fmt.Sprintf("run-%02d", i)
		r := writeRun(b, dir, names[i], 0)
		w, err := r.OpenMetrics()
		if err != nil {
			b.Fatal(err)
		}
		for step := 1; step <= benchRecords; step++ {
			var extra rundir.Record
			if step%1000 == 0 {
				extra = rundir.Record{"fid": 100 / float64(step)}
			}
			if err := w.Append(metricsAt(step, extra)); err != nil {
				b.Fatal(err)
			}
		}
		w.Close()
		for step := 2000; step <= benchRecords; step += 2000 {
			writeSample(b, r, step)
		}
	}
	return names
}

// getAll serves GETs of targets concurrently, as a browser loads a page,
// and fails unless every one answers 200.
func getAll(b *testing.B, h http.Handler, targets []string) {
	var wg sync.WaitGroup
	codes := make([]int, len(targets))
	for i, target := range targets {
		wg.Go(func() { codes[i], _ = get(h, target) })
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			b.Fatalf("GET %s: status %d", targets[i], code)
		}
	}
}

// BenchmarkFirstPaint times the API requests behind the first paint of the
// dashboard's pages over 10 runs of 100,000 records each: the runs list,
// one run's page and the comparison of all ten, with a cold cache (a new
// server, parsing every metrics.jsonl) and a warm one. Besides the wall
// time it reports cpu-ms/op, the processor time per page over all cores,
// which other processes on a shared machine do not inflate.
func BenchmarkFirstPaint(b *testing.B) {
	dir := b.TempDir()
	names := writeBenchRuns(b, dir)
	var compare []string
	for _, n := range names {
		compare = append(compare, "/api/runs/"+n, "/api/runs/"+n+"/metrics?max_points=2000", "/api/runs/"+n+"/samples")
	}
	pages := []struct {
		name    string
		targets []string
	}{
		{"list", []string{"/api/runs"}},
		{"run", compare[:3]},
		{"compare", compare},
	}
	for _, p := range pages {
		b.Run(p.name+"/cold", func(b *testing.B) {
			start, ok := cpuTime()
			for b.Loop() {
				s, err := New(dir)
				if err != nil {
					b.Fatal(err)
				}
				getAll(b, s, p.targets)
				s.Close()
			}
			reportCPU(b, start, ok)
		})
		b.Run(p.name+"/warm", func(b *testing.B) {
			s := newTestServer(b, dir)
			getAll(b, s, p.targets)
			start, ok := cpuTime()
			for b.Loop() {
				getAll(b, s, p.targets)
			}
			reportCPU(b, start, ok)
		})
	}
}

// reportCPU reports the processor time per operation since start, if the
// platform gives it.
func reportCPU(b *testing.B, start time.Duration, ok bool) {
	if end, _ := cpuTime(); ok {
		b.ReportMetric(float64((end-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkParse times reading metrics.jsonl into columns.
func BenchmarkParse(b *testing.B) {
	dir := b.TempDir()
	writeRun(b, dir, "a", 10_000)
	s := newTestServer(b, dir)
	data, err := s.root.ReadFile(filepath.Join("a", rundir.MetricsFile))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		t := newTable()
		if _, skipped := t.parse(data); skipped != 0 || t.rows != 10_000 {
			b.Fatalf("%d rows, %d skipped", t.rows, skipped)
		}
	}
}
