package main

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/serve"
)

func newServe() *cobra.Command {
	var run, model, ckpt, addr string
	var watch bool
	var watchEvery, grace time.Duration
	o := serve.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "serve --run DIR | --model FILE",
		Short: "Serve a generator over HTTP: /v1 samples and images, the Open Inference Protocol under /v2, /metrics",
		Long: `Serve the generator of a run's checkpoint (--run, --checkpoint) or of a file (--model: a checkpoint or a
generator written by nash export --format safetensors) on --addr, 127.0.0.1:8080 unless told otherwise:
  GET  /v1/samples?n=&seed=&class=&format=png|npy|json   samples drawn as nash sample --seed draws them
  POST /v1/generate      {"z": [[…], …], "class": […], "format": "json"}: images of given latent vectors
  POST /v1/interpolate   {"from": S1, "to": S2, "steps": 10, "slerp": false, "class": K, "format": "png"}
  GET  /v1/model         what the generator is
  GET  /v2/health/live, /v2/health/ready, /v2/models/NAME, POST /v2/models/NAME/infer (Open Inference Protocol)
  GET  /metrics          Prometheus metrics
Concurrent requests are merged into forward passes of up to --max-batch samples, waiting at most --max-wait;
at most --queue requests wait, and one more is answered 503 with Retry-After. One JSON access-log record per
request goes to standard error. SIGTERM or Ctrl-C stops accepting and lets the requests in flight finish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (run == "") == (model == "") {
				return fmt.Errorf("--run or --model: give one of them")
			}
			if model != "" && cmd.Flags().Changed("checkpoint") {
				return fmt.Errorf("--checkpoint chooses a run's checkpoint: it cannot be used with --model")
			}
			if watchEvery <= 0 {
				return fmt.Errorf("--watch-every: %v, want more than 0", watchEvery)
			}
			path := model
			if run != "" {
				var err error
				if path, err = checkpointPath(run, ckpt); err != nil {
					return err
				}
			}
			g, err := infer.Load(path)
			if err != nil {
				return err
			}
			if g.Spec.Data == data.Tokens {
				return fmt.Errorf("%s: a generator of token sequences, whose samples are token ids to read through the run's vocabulary: nash serve answers only with pictures and arrays of numbers (png, npy, json), and has no text format; write sequences with nash sample --run DIR --n N --out FILE.txt", path)
			}
			if err := noiseGenerator(g, path); err != nil {
				return err
			}
			o.Log = slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
			s, err := serve.New(g, o)
			if err != nil {
				return err
			}
			if watch {
				s.Watch(cmd.Context(), path, watchEvery)
			}
			return s.ListenAndServe(cmd.Context(), addr, grace, func(a net.Addr) {
				fmt.Fprintf(cmd.OutOrStdout(), "serving %s (%s, step %d) on http://%s\n", path, g.Spec.Family, g.Step, a)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&run, "run", "", "run directory whose checkpoint to serve")
	f.StringVar(&model, "model", "", "checkpoint or exported safetensors generator to serve")
	addCheckpointFlag(f, &ckpt)
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; :8080 listens on every interface)")
	f.StringVar(&o.Name, "name", o.Name, "the model's name in /v2/models/NAME")
	f.IntVar(&o.MaxBatch, "max-batch", o.MaxBatch, "most samples in one forward pass")
	f.DurationVar(&o.MaxWait, "max-wait", o.MaxWait, "longest wait after a forward pass's first request for others to join it")
	f.IntVar(&o.Queue, "queue", o.Queue, "most requests waiting for a forward pass (then 503)")
	f.IntVar(&o.Workers, "workers", o.Workers, "forward passes run at once")
	f.IntVar(&o.MaxN, "max-n", o.MaxN, "most samples in one request")
	f.Int64Var(&o.MaxBody, "max-body", o.MaxBody, "largest request body in bytes")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "longest time of one request (then 503)")
	f.BoolVar(&watch, "watch", false, "reload the checkpoint when training writes a new one")
	f.DurationVar(&watchEvery, "watch-every", 2*time.Second, "how often --watch looks at the checkpoint")
	f.DurationVar(&grace, "grace", 30*time.Second, "longest wait for requests in flight at shutdown")
	return cmd
}
