//go:build linux

package rundir

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A record that the file system takes only part of (here a file size
// limit, as a full disk would) is cut off again: the file keeps whole
// lines. Go ignores SIGXFSZ, so the write fails with EFBIG after a short
// write.
func TestAppendLeavesNoPartialLine(t *testing.T) {
	r := newRun(t)
	w, err := r.OpenMetrics()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rec := Metrics{Step: 1, Time: time.Unix(1795307118, 0), Stats: []Stat{{"loss_d", 0.5}}}
	if err := w.Append(rec); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(r.MetricsPath())
	if err != nil {
		t.Fatal(err)
	}
	var saved syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &saved); err != nil {
		t.Fatal(err)
	}
	limit := syscall.Rlimit{Cur: uint64(len(whole)) + 10, Max: saved.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("cannot limit the file size: %v", err)
	}
	rec.Step = 2
	err = w.Append(rec)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &saved); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil || !strings.Contains(err.Error(), "file too large") || strings.Contains(err.Error(), "partial line is left") {
		t.Fatalf("Append beyond the limit: error %v, want the write's error and the partial line removed", err)
	}
	if got, _ := os.ReadFile(r.MetricsPath()); !bytes.Equal(got, whole) {
		t.Fatalf("after the failed append the file is %q, want %q", got, whole)
	}
	rec.Step = 3
	if err := w.Append(rec); err != nil {
		t.Fatal(err)
	}
	if recs, skipped, err := ReadMetrics(r.MetricsPath()); err != nil || skipped != 0 || len(recs) != 2 || recs[1]["step"] != 3 {
		t.Errorf("after the next append: %v records, %d skipped, %v", recs, skipped, err)
	}
}
