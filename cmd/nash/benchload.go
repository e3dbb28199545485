package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/bench"
	"github.com/nash-gan/nash/train"
)

// benchUnderLoad runs `nash bench --background n`: the step at 1 and 2
// threads and the default, quiet and beside n busy processes (this binary
// with the hidden --busy flag).
func benchUnderLoad(cmd *cobra.Command, cfg train.Config, threadsGiven bool, warmup, repeats, steps, rounds, n int, asJSON bool) error {
	switch {
	case n < 0:
		return fmt.Errorf("--background must be ≥ 0, got %d", n)
	case rounds <= 0:
		return fmt.Errorf("--rounds must be > 0, got %d", rounds)
	case threadsGiven:
		return fmt.Errorf("--threads: not with --background, which times 1 and 2 threads and the default")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("--background: finding this program to start as the busy processes: %w", err)
	}
	r, err := bench.UnderLoad(cfg, warmup, repeats, steps, rounds, n, []string{exe, "bench", "--busy"})
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "nash model=%s loss=%s: ms/step, median of %d rounds alternating the machine as it is and %d busy processes beside it\n", r.Model, r.Loss, r.Rounds, r.Background)
	fmt.Fprintf(w, "%-12s %8s %8s %8s\n", "threads", "quiet", "loaded", "ratio")
	for _, row := range r.Rows {
		name := strconv.Itoa(row.Threads)
		if row.Threads == 0 {
			name = fmt.Sprintf("default (%d)", row.Resolved)
		}
		fmt.Fprintf(w, "%-12s %8.2f %8.2f %7.2f×\n", name, row.QuietMs, row.LoadedMs, row.LoadedMs/row.QuietMs)
	}
	return nil
}
