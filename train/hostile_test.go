package train

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Resuming moves the lines of metrics.jsonl that are not records aside,
// naming the file in a warning, rather than deleting them.
func TestResumeKeepsMalformedMetricsAside(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), quickConfig(), out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "metrics.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := "{\"step\":3,\"loss_d\":NaN}\n"
	if err := os.WriteFile(path, append([]byte(bad), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	longer := func(stored Config) (Config, error) {
		req := stored
		req.Steps = 6
		return MergeResume(stored, req, []string{"steps"})
	}
	var log strings.Builder
	if err := Resume(context.Background(), out, longer, &log); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(out, "metrics.malformed.jsonl")
	if !strings.Contains(log.String(), "1 lines that are not records were moved to "+aside) {
		t.Errorf("log %q does not name %s", log.String(), aside)
	}
	if got, err := os.ReadFile(aside); err != nil || string(got) != bad {
		t.Errorf("%s holds %q (%v), want %q", aside, got, err, bad)
	}
	if got := loggedSteps(t, path); got != "1 2 3 4 5 6" {
		t.Errorf("metrics.jsonl steps %s, want each step once", got)
	}
}
