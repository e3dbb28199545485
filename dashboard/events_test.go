package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nash-gan/nash/rundir"
)

// event is one server-sent event.
type event struct {
	name string
	data map[string]any
}

// readEvents sends the events of the stream r to the returned channel
// until the stream ends. The channel's buffer lets the goroutine reach the
// stream's end when a test stops reading early.
func readEvents(t *testing.T, r *bufio.Reader) <-chan event {
	ch := make(chan event, 64)
	go func() {
		defer close(ch)
		var ev event
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data); err != nil {
					t.Errorf("event %s: %v", ev.name, err)
				}
			case line == "" && ev.name != "":
				ch <- ev
				ev = event{}
			}
		}
	}()
	return ch
}

// next returns the next event called name, skipping others, or fails the
// test after a while.
func next(t *testing.T, ch <-chan event, name string) event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("the stream ended waiting for %s", name)
			}
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", name)
		}
	}
}

// A stream delivers lines appended after the client connected, new sample
// grids, and a reset when the file is replaced.
func TestEvents(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "a", 30, 10)
	s := newTestServer(t, dir, WithPollInterval(10*time.Millisecond))
	srv := httptest.NewServer(s)
	defer srv.Close()

	var m metricsReply
	getJSON(t, s, "/api/runs/a/metrics", &m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/events?run=a&gen=%d&rows=%d", srv.URL, m.Gen, m.Rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("status %d, %s", resp.StatusCode, ct)
	}
	events := readEvents(t, bufio.NewReader(resp.Body))

	if ev := next(t, events, "samples"); len(ev.data["samples"].([]any)) != 1 {
		t.Errorf("first samples event %v, want the grid of step 10", ev.data)
	}
	if ev := next(t, events, "status"); ev.data["status"] != rundir.StateRunning {
		t.Errorf("first status event %v, want running", ev.data)
	}

	w, err := r.OpenMetrics()
	if err != nil {
		t.Fatal(err)
	}
	rec := metricsAt(31, rundir.Record{"fid": 42.5})
	if err := w.Append(rec); err != nil {
		t.Fatal(err)
	}
	w.Close()
	ev := next(t, events, "metrics")
	cols := ev.data["columns"].(map[string]any)
	checks := []struct {
		what      string
		got, want any
	}{
		{"run", ev.data["run"], "a"},
		{"gen", ev.data["gen"], float64(m.Gen)},
		{"from", ev.data["from"], 30.0},
		{"rows", ev.data["rows"], 31.0},
		{"step", cols["step"], []any{31.0}},
		{"loss_g", float32(cols["loss_g"].([]any)[0].(float64)), float32(stat(rec, "loss_g"))},
		{"fid", cols["fid"], []any{42.5}},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("metrics event: %s = %v, want %v", c.what, c.got, c.want)
		}
	}

	writeSample(t, r, 31)
	if ev := next(t, events, "samples"); len(ev.data["samples"].([]any)) != 2 {
		t.Errorf("samples event %v, want two grids", ev.data)
	}

	if err := os.Remove(r.MetricsPath()); err != nil {
		t.Fatal(err)
	}
	appendRecords(t, r, 1, 5)
	if ev := next(t, events, "reset"); ev.data["run"] != "a" {
		t.Errorf("reset event %v", ev.data)
	}
}

// A client that has no rows gets them all in one event, unless there are
// too many: then it is told to fetch them.
func TestEventsCatchUp(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "small", 30)
	writeRun(t, dir, "big", maxEventRows+1)
	s := newTestServer(t, dir, WithPollInterval(10*time.Millisecond))
	srv := httptest.NewServer(s)
	defer srv.Close()
	tests := []struct {
		run, event string
	}{
		{"small", "metrics"},
		{"big", "reset"},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events?run="+tt.run, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		ev := <-readEvents(t, bufio.NewReader(resp.Body))
		if ev.name != tt.event {
			t.Errorf("run %s: first event %s, want %s", tt.run, ev.name, tt.event)
		}
		if cols, ok := ev.data["columns"].(map[string]any); ok && len(cols["step"].([]any)) != 30 {
			t.Errorf("run %s: %d rows, want 30", tt.run, len(cols["step"].([]any)))
		}
		cancel()
		resp.Body.Close()
	}
}

func TestEventsBadRequests(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "a", 3)
	s := newTestServer(t, dir)
	tests := []struct {
		query string
		code  int
	}{
		{"", http.StatusBadRequest},
		{"?run=a&gen=1&gen=2", http.StatusBadRequest},
		{"?run=a&rows=-1", http.StatusBadRequest},
		{"?run=a&gen=x", http.StatusBadRequest},
		{"?run=a" + strings.Repeat("&run=a", maxWatched), http.StatusBadRequest},
		{"?run=b", http.StatusNotFound},
	}
	for _, tt := range tests {
		if code, body := get(s, "/api/events"+tt.query); code != tt.code {
			t.Errorf("GET /api/events%s: status %d, %s; want %d", tt.query, code, body, tt.code)
		}
	}
}
