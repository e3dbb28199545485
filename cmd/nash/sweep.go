package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/sweep"
)

// maxJobs bounds --jobs.
const maxJobs = 1024

func newSweep() *cobra.Command {
	var configFile, out string
	var jobs, perRun, part, parts int
	var force bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Train a grid of configurations, shared among MPI ranks or local jobs, into one table",
		Long: `Train every configuration of a grid and gather the results into one table (sweep.md, and sweep.jsonl
with a line per run) beside the runs, in one folder that nash runs and nash board read. The grid is a YAML
file of train's settings ('_' for '-'), each a value or a list of values; it is the product of the lists:

  loss: [ns, hinge]
  seed: [1, 2, 3]
  dataset: ring8
  steps: 2000

Each run is named by its swept values (loss=ns_seed=1). Under mpirun (a build with -tags mpi) each rank
trains its share of the runs (or, with --per-run K, each group of K ranks trains one run at a time,
data-parallel as nash train does under mpirun); otherwise --jobs processes do. On 2-D mixtures the table is
nash toybench's: mode coverage, mean ± standard deviation over the seeds.`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&configFile, "config", "", "the grid: a YAML file of train's settings, each a value or a list (required)")
	cmd.Flags().StringVar(&out, "out", filepath.Join("runs", "sweep"), "folder for the runs and the table")
	cmd.Flags().IntVar(&jobs, "jobs", 1, "processes training runs at once, each on its share of the cores (without mpirun)")
	cmd.Flags().IntVar(&perRun, "per-run", 1, "under mpirun: ranks that train each run together, data-parallel")
	cmd.Flags().BoolVar(&force, "force", false, "replace runs of the same names in the folder")
	cmd.Flags().IntVar(&part, "part", 0, "")
	cmd.Flags().IntVar(&parts, "parts", 0, "")
	cmd.Flags().MarkHidden("part")
	cmd.Flags().MarkHidden("parts")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if configFile == "" {
			return fmt.Errorf("--config: give the grid's YAML file")
		}
		if jobs < 1 || jobs > maxJobs {
			return fmt.Errorf("--jobs: must be between 1 and %d, got %d", maxJobs, jobs)
		}
		g, err := sweep.Load(configFile)
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		if parts > 0 {
			// One of --jobs' processes: its share, as JSON lines.
			if part < 0 || part >= parts {
				return fmt.Errorf("--part: %d is not one of %d parts", part, parts)
			}
			res, err := sweep.Train(ctx, g, out, part, parts, force, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return sweep.WriteResults(cmd.OutOrStdout(), res)
		}
		comm, err := dist.Open()
		if err != nil {
			return err
		}
		var res []sweep.Result
		switch size := comm.Size(); {
		case perRun < 1 || size%perRun != 0:
			return fmt.Errorf("--per-run: %d does not divide the %d ranks into groups", perRun, size)
		case size > 1 && jobs > 1:
			return fmt.Errorf("--jobs: under mpirun the %d ranks share the runs; leave --jobs out", size)
		case size > 1:
			res, err = rankSweep(ctx, comm, g, out, perRun, force, cmd.ErrOrStderr())
			if err != nil {
				fmt.Fprintf(os.Stderr, "nash: rank %d: %v\n", comm.Rank(), err)
				comm.Abort(1)
			}
			if err := comm.Close(); err != nil || comm.Rank() != 0 {
				return err
			}
		case jobs == 1:
			if res, err = sweep.Train(ctx, g, out, 0, 1, force, cmd.ErrOrStderr()); err != nil {
				return err
			}
		default:
			if res, err = runJobs(ctx, configFile, out, jobs, force, cmd.ErrOrStderr()); err != nil {
				return err
			}
		}
		table, err := sweep.Write(g, res, out)
		if err != nil {
			return err
		}
		fmt.Fprint(cmd.OutOrStdout(), table)
		return nil
	}
	return cmd
}

// rankSweep trains the grid g on the ranks of comm, in groups of perRun
// that train a run together, and gathers the results on every rank.
func rankSweep(ctx context.Context, comm dist.Comm, g *sweep.Grid, out string, perRun int, force bool, log io.Writer) ([]sweep.Result, error) {
	rank, size := comm.Rank(), comm.Size()
	if perRun == 1 {
		mine, err := sweep.Train(ctx, g, out, rank, size, force, log)
		if err != nil {
			return nil, err
		}
		return sweep.Gather(comm, mine)
	}
	team, err := comm.Split(rank/perRun, rank)
	if err != nil {
		return nil, err
	}
	if team.Rank() != 0 {
		log = io.Discard
	}
	mine, err := sweep.Train(dist.NewContext(ctx, team), g, out, rank/perRun, size/perRun, force, log)
	if err == nil {
		err = team.Close()
	}
	if err != nil {
		return nil, err
	}
	return sweep.Gather(comm, mine)
}

// runJobs trains the grid of configFile with jobs processes of this
// binary, each given its part and an even share of the cores, and gathers
// their results; the first failure stops the others.
func runJobs(ctx context.Context, configFile, out string, jobs int, force bool, log io.Writer) ([]sweep.Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]bytes.Buffer, jobs)
	var failed error
	var wg sync.WaitGroup
	var mu sync.Mutex
	for j := range jobs {
		args := []string{"sweep", "--config", configFile, "--out", out, "--part", strconv.Itoa(j), "--parts", strconv.Itoa(jobs)}
		if force {
			args = append(args, "--force")
		}
		c := exec.CommandContext(ctx, exe, args...)
		c.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(max(1, runtime.NumCPU()/jobs)))
		c.Stdout = &outs[j]
		var stderr bytes.Buffer
		c.Stderr = &stderr
		wg.Go(func() {
			err := c.Run()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && failed == nil:
				// The first to fail says why, in its own last line; the
				// others are stopped.
				why := strings.TrimPrefix(lastLine(stderr.String()), "nash: ")
				failed = fmt.Errorf("--jobs: process %d of %d: %s (%v)", j+1, jobs, why, err)
				cancel()
			case err == nil:
				log.Write(stderr.Bytes())
			}
		})
	}
	wg.Wait()
	if failed != nil {
		return nil, failed
	}
	var res []sweep.Result
	for j := range jobs {
		got, err := sweep.ReadResults(&outs[j])
		if err != nil {
			return nil, fmt.Errorf("--jobs: process %d of %d: %w", j+1, jobs, err)
		}
		res = append(res, got...)
	}
	return res, nil
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
