package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/rundir"
)

func newRuns() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs [DIR]",
		Short: "List the training runs in a folder (default runs): state, model, data, progress, best score, age",
		Long: `List the training runs in DIR (default: runs) and its sub-folders, most recently updated first:
each run's state, model, dataset, objective, step of the total, the best score of the evaluation
during training (FID, or the sliced Wasserstein distance ×10³ for runs measured on pixels) and how
long ago it last wrote anything.

A run is running while its process lives: training writes its process and host into status.json
and renews it every 30 s. A run whose process is gone without a word (killed, or its machine lost)
shows as died; interrupted runs (Ctrl-C, SIGTERM) saved a checkpoint and resume with nash train
--resume DIR.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "runs"
			if len(args) == 1 {
				dir = args[0]
			}
			if fi, err := os.Stat(dir); err != nil {
				return fmt.Errorf("runs folder: %w", err)
			} else if !fi.IsDir() {
				return fmt.Errorf("runs folder %s is not a directory", dir)
			}
			now := time.Now()
			names, err := rundir.Find(os.DirFS(dir), ".")
			if err != nil {
				return fmt.Errorf("runs folder %s: %w", dir, err)
			}
			list := make([]rundir.Summary, 0, len(names))
			for _, name := range names {
				list = append(list, rundir.Summarize(os.DirFS(dir), name, now))
			}
			slices.SortStableFunc(list, func(a, b rundir.Summary) int {
				return cmp.Or(b.Updated.Compare(a.Updated), strings.Compare(a.Name, b.Name))
			})
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			return printRuns(cmd.OutOrStdout(), dir, list, now)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

// printRuns writes the runs of the folder dir as a table.
func printRuns(w io.Writer, dir string, list []rundir.Summary, now time.Time) error {
	if len(list) == 0 {
		_, err := fmt.Fprintf(w, "no runs in %s (nash train writes them there)\n", dir)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATE\tMODEL\tDATASET\tLOSS\tSTEP\tBEST\tAGE")
	for _, r := range list {
		step := fmt.Sprint(r.Step)
		if r.TotalSteps > 0 {
			step = fmt.Sprintf("%d/%d", r.Step, r.TotalSteps)
		}
		best := "-"
		switch {
		case r.Best != nil && r.BestMetric == "swd":
			best = fmt.Sprintf("swd %.2f", 1e3**r.Best)
		case r.Best != nil:
			best = fmt.Sprintf("%s %.2f", r.BestMetric, *r.Best)
		}
		age := "-"
		if !r.Updated.IsZero() {
			age = humanAge(now.Sub(r.Updated))
		}
		state := r.State
		if r.Problem != "" {
			state += " (" + r.Problem + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, state, dash(r.Model), dash(r.Dataset), dash(r.Loss), step, best, age)
	}
	return tw.Flush()
}

// dash returns s, or "-" when it is empty.
func dash(s string) string { return cmp.Or(s, "-") }

// humanAge writes d in its largest whole unit: 42s, 5m, 3h, 12d.
func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
