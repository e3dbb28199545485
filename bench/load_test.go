package bench

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/nash-gan/nash/train"
)

// busyArgv runs this test binary as a busy process (TestBusyHelper).
func busyArgv(t *testing.T) []string {
	t.Setenv("NASH_BENCH_BUSY", "1")
	return []string{os.Args[0], "-test.run=^TestBusyHelper$"}
}

// TestBusyHelper is the body of the busy processes the tests start; it does
// nothing in a normal run.
func TestBusyHelper(t *testing.T) {
	if os.Getenv("NASH_BENCH_BUSY") != "1" {
		t.Skip("runs only as a busy process started by another test")
	}
	Busy(context.Background(), os.Stdin)
}

// TestBusyStops checks that Busy returns once its input ends or its
// context is cancelled (nash bench --busy interrupted).
func TestBusyStops(t *testing.T) {
	r, w := io.Pipe()
	done := make(chan struct{})
	go func() {
		Busy(context.Background(), r)
		close(done)
	}()
	w.Write([]byte("still there"))
	w.Close()
	<-done
	ctx, cancel := context.WithCancel(context.Background())
	r, w = io.Pipe()
	defer w.Close()
	done = make(chan struct{})
	go func() {
		Busy(ctx, r)
		close(done)
	}()
	cancel()
	<-done
}

// TestBackground starts busy processes and stops them, and reports a
// command that cannot start.
func TestBackground(t *testing.T) {
	stop, err := Background(2, busyArgv(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	if _, err := Background(1, []string{"/nonexistent/nash"}); err == nil || !strings.Contains(err.Error(), "/nonexistent/nash") {
		t.Errorf("a missing program gave %v, want an error naming it", err)
	}
}

// TestUnderLoad times one thread, two and the default, quiet and beside a
// busy process, and reports a figure for each.
func TestUnderLoad(t *testing.T) {
	cfg := train.DefaultConfig()
	cfg.Batch = 8
	r, err := UnderLoad(cfg, 0, 1, 1, 1, 1, busyArgv(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Background != 1 || r.Rounds != 1 || len(r.Rows) != len(loadThreads) {
		t.Fatalf("result %+v", r)
	}
	for i, row := range r.Rows {
		if row.Threads != loadThreads[i] || row.Resolved < 1 || (row.Threads > 0 && row.Resolved != row.Threads) || !(row.QuietMs > 0 && row.LoadedMs > 0) {
			t.Errorf("row %d: %+v", i, row)
		}
	}
}
