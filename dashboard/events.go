package dashboard

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/nash-gan/nash/rundir"
)

// maxEventRows is the most new records one metrics event carries; a client
// further behind is told to fetch the run's metrics again.
const maxEventRows = 5000

// heartbeat is how often an idle event stream sends a comment, so that
// proxies and browsers keep the connection open.
const heartbeat = 15 * time.Second

// watch is what an event stream's client holds of one run.
type watch struct {
	name    string
	gen     int
	rows    int
	samples []sample
	status  string
}

// events streams server-sent events about the runs named by the repeated
// parameter run. For each, gen and rows (repeated in the same order, 0 if
// absent) say which generation of its metrics the client has and how many
// rows, as /api/runs/{name}/metrics answered. Events, each with a JSON
// object holding "run":
//
//	metrics   {"run","gen","from","rows","columns":{key:[…]}}: the records from row "from" on
//	reset     {"run"}: the metrics were rewritten; fetch them again
//	samples   {"run","samples":[{"step","url","classes"?,"text"?}]}: every sample, when the list changes
//	status    {"run","status"}: when the run's state changes
//
// The stream starts with the samples and status of every run.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	names, gens, rows := q["run"], q["gen"], q["rows"]
	if len(names) == 0 || len(names) > maxWatched {
		httpError(w, http.StatusBadRequest, fmt.Errorf("run: want 1 to %d runs, got %d", maxWatched, len(names)))
		return
	}
	if len(gens) > len(names) || len(rows) > len(names) {
		httpError(w, http.StatusBadRequest, fmt.Errorf("gen, rows: %d and %d values for %d runs", len(gens), len(rows), len(names)))
		return
	}
	watches := make([]*watch, len(names))
	for i, name := range names {
		if err := s.checkRun(name); err != nil {
			httpError(w, http.StatusNotFound, fmt.Errorf("run %q: %w", name, err))
			return
		}
		wt := &watch{name: name}
		var err error
		if i < len(gens) {
			if wt.gen, err = strconv.Atoi(gens[i]); err != nil || wt.gen < 0 {
				httpError(w, http.StatusBadRequest, fmt.Errorf("gen: %q is not a generation", gens[i]))
				return
			}
		}
		if i < len(rows) {
			if wt.rows, err = strconv.Atoi(rows[i]); err != nil || wt.rows < 0 {
				httpError(w, http.StatusBadRequest, fmt.Errorf("rows: %q is not a row count", rows[i]))
				return
			}
		}
		watches[i] = wt
	}

	release, ok := acquire(w, s.streams, "event streams open")
	if !ok {
		return
	}
	defer release()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	quiet := time.Now()
	for {
		var b []byte
		for _, wt := range watches {
			b = s.update(b, wt)
		}
		if len(b) == 0 && time.Since(quiet) >= heartbeat {
			b = append(b, ": heartbeat\n\n"...)
		}
		if len(b) > 0 {
			if _, err := w.Write(b); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			quiet = time.Now()
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// update appends to b the events that bring wt up to date.
func (s *Server) update(b []byte, wt *watch) []byte {
	snap, err := s.metrics(wt.name)
	if err == nil {
		switch {
		case wt.rows == 0 && snap.rows <= maxEventRows:
			// A client with no rows takes whichever generation there is.
			wt.gen = snap.gen
		case snap.gen != wt.gen || snap.rows < wt.rows || snap.rows-wt.rows > maxEventRows:
			b = appendEvent(b, "reset", fmt.Appendf(nil, `{"run":%s}`, quote(wt.name)))
			wt.gen, wt.rows = snap.gen, snap.rows
		}
		if snap.rows > wt.rows {
			b = appendEvent(b, "metrics", metricsEvent(wt, snap))
			wt.rows = snap.rows
		}
	}
	if list, err := s.samples(wt.name); err == nil && (wt.samples == nil || !slices.Equal(list, wt.samples)) {
		wt.samples = list
		data, _ := json.Marshal(struct {
			Run     string   `json:"run"`
			Samples []sample `json:"samples"`
		}{wt.name, list})
		b = appendEvent(b, "samples", data)
	}
	if err != nil {
		return b
	}
	step := 0
	if c := snap.column(stepKey); len(c) > 0 && !math.IsNaN(c[len(c)-1]) {
		step = int(c[len(c)-1])
	}
	cfg, _ := s.config(wt.name)
	rs, _ := s.status(wt.name)
	st := rundir.State(rs, snap.modTime, step, configInt(cfg, "steps"), time.Now())
	if st != wt.status {
		wt.status = st
		b = appendEvent(b, "status", fmt.Appendf(nil, `{"run":%s,"status":%s}`, quote(wt.name), quote(st)))
	}
	return b
}

// metricsEvent returns the data of a metrics event: the rows of snap from
// wt.rows on.
func metricsEvent(wt *watch, snap snapshot) []byte {
	idx := make([]int, 0, snap.rows-wt.rows)
	for i := wt.rows; i < snap.rows; i++ {
		idx = append(idx, i)
	}
	b := fmt.Appendf(nil, `{"run":%s,"gen":%d,"from":%d,"rows":%d,"columns":{`, quote(wt.name), snap.gen, wt.rows, snap.rows)
	for i, k := range snap.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendColumn(b, k, snap.cols[i], idx)
	}
	return append(b, "}}"...)
}

// appendEvent appends a server-sent event to b; data must be one line.
func appendEvent(b []byte, event string, data []byte) []byte {
	b = fmt.Appendf(b, "event: %s\ndata: ", event)
	b = append(b, data...)
	return append(b, '\n', '\n')
}
