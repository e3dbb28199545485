package bench

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"time"

	"github.com/nash-gan/nash/train"
)

// Busy keeps one CPU busy with floating-point work until r reaches its end
// or ctx is done, then returns. It is the body of the processes Background
// starts: their standard input is a pipe from the benchmark, which closes
// when the benchmark stops or dies.
func Busy(ctx context.Context, r io.Reader) {
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r)
		close(done)
	}()
	x := 1.0
	for {
		select {
		case <-done:
			busySink = x
			return
		case <-ctx.Done():
			busySink = x
			return
		default:
		}
		for range 1 << 16 {
			x = x*1.0000001 + 1e-9
		}
	}
}

// busySink keeps Busy's arithmetic from being optimised away.
var busySink float64

// Background starts n copies of the command argv (a program that runs Busy
// on its standard input, such as `nash bench --busy`) beside the caller and
// returns a function that stops them and waits for them to exit.
func Background(n int, argv []string) (stop func() error, err error) {
	type proc struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
	}
	var procs []proc
	stop = func() error {
		var first error
		for _, p := range procs {
			p.stdin.Close()
			if err := p.cmd.Wait(); err != nil && first == nil {
				first = fmt.Errorf("background process %s: %w", p.cmd.Path, err)
			}
		}
		return first
	}
	for range n {
		cmd := exec.Command(argv[0], argv[1:]...)
		stdin, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			stop()
			return nil, fmt.Errorf("starting background process %s: %w", argv[0], err)
		}
		procs = append(procs, proc{cmd, stdin})
	}
	return stop, nil
}

// LoadRow is the step time of one thread count on a quiet machine and with
// busy processes beside it.
type LoadRow struct {
	// Threads is the thread count asked for; 0 is the default, which
	// Resolved gives.
	Threads  int     `json:"threads"`
	Resolved int     `json:"resolved_threads"`
	QuietMs  float64 `json:"quiet_ms_per_step"`
	LoadedMs float64 `json:"loaded_ms_per_step"`
}

// LoadResult is what UnderLoad measured.
type LoadResult struct {
	Model      string    `json:"model"`
	Loss       string    `json:"loss"`
	Background int       `json:"background"`
	Rounds     int       `json:"rounds"`
	Rows       []LoadRow `json:"rows"`
}

// loadThreads are the thread counts UnderLoad times: one, two and the
// default (0).
var loadThreads = []int{1, 2, 0}

// UnderLoad times cfg's step as Bench does at one thread, two and the
// default thread count, on the machine as it is and with n busy processes
// (argv, see Background) beside it, alternating the two conditions for
// rounds rounds; each figure is the median of the rounds' medians.
// cfg.Threads is ignored.
func UnderLoad(cfg train.Config, warmup, repeats, steps, rounds, n int, argv []string) (LoadResult, error) {
	quiet := make([][]float64, len(loadThreads))
	loaded := make([][]float64, len(loadThreads))
	resolved := make([]int, len(loadThreads))
	measure := func(into [][]float64) error {
		for i, t := range loadThreads {
			c := cfg
			c.Threads = t
			r, err := Bench(c, warmup, repeats, steps)
			if err != nil {
				return err
			}
			into[i] = append(into[i], r.MsMedian)
			resolved[i] = r.Threads
		}
		return nil
	}
	for range rounds {
		if err := measure(quiet); err != nil {
			return LoadResult{}, err
		}
		stop, err := Background(n, argv)
		if err != nil {
			return LoadResult{}, err
		}
		// Let the busy processes reach their loop before timing.
		time.Sleep(100 * time.Millisecond)
		err = measure(loaded)
		if serr := stop(); err == nil {
			err = serr
		}
		if err != nil {
			return LoadResult{}, err
		}
	}
	res := LoadResult{Model: cfg.Model, Loss: cfg.Loss, Background: n, Rounds: rounds}
	for i, t := range loadThreads {
		res.Rows = append(res.Rows, LoadRow{Threads: t, Resolved: resolved[i], QuietMs: median(quiet[i]), LoadedMs: median(loaded[i])})
	}
	return res, nil
}

// median returns the median of xs, leaving xs as it is.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return m
}
