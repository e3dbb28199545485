package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/dashboard"
	"github.com/nash-gan/nash/infer"
)

// shutdownGrace is how long nash board waits for requests in progress when
// it is stopped.
const shutdownGrace = 5 * time.Second

func newBoard() *cobra.Command {
	var runsDir, addr string
	var allowed []string
	cmd := &cobra.Command{
		Use:   "board",
		Short: "Serve a live web dashboard of the runs in a folder",
		Long: `Serve a web dashboard of the training runs in --runs: their loss and discriminator charts, every
further metric, sample grids over time and several runs overlaid. Pages follow runs that are still
training. The dashboard only reads the folder and listens on 127.0.0.1 unless --addr says otherwise. It answers
requests for loopback names (localhost, 127.0.0.1) and --addr's host; name any other host the browser uses to
reach it with --allow-host (a web page cannot then read it through a DNS name rebound to this machine).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			board, err := dashboard.New(runsDir, dashboard.WithInterpolator(interpolate), dashboard.WithAllowedHosts(boardHosts(addr, allowed)...))
			if err != nil {
				return err
			}
			defer board.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("--addr: %w", err)
			}
			ctx := cmd.Context()
			srv := &http.Server{
				Handler:           board,
				ReadHeaderTimeout: 10 * time.Second,
				// Requests end with the command, event streams included.
				BaseContext: func(net.Listener) context.Context { return ctx },
			}
			fmt.Fprintf(cmd.OutOrStdout(), "nash board: serving %s on http://%s/\n", runsDir, ln.Addr())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			select {
			case err := <-served:
				return err
			case <-ctx.Done():
			}
			shutdown, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				return err
			}
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runsDir, "runs", "runs", "folder of run directories")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:6006", "address to listen on")
	cmd.Flags().StringSliceVar(&allowed, "allow-host", nil, "host names or addresses the dashboard answers besides loopback ones and --addr's host, e.g. the machine's name with --addr 0.0.0.0:6006 (* for any)")
	return cmd
}

// boardHosts returns the hosts the dashboard answers beside the loopback
// names: those of --allow-host and the host of --addr, unless it listens on
// every interface (0.0.0.0, ::, or no host), whose name is not known.
func boardHosts(addr string, allowed []string) []string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
			return append(slices.Clone(allowed), host)
		}
	}
	return allowed
}

// interpolate renders the dashboard's latent walks from a run's checkpoint.
func interpolate(runDir string, from, to uint64, steps int, slerp bool) (image.Image, error) {
	g, err := infer.LoadRun(runDir, "last")
	if err != nil {
		return nil, err
	}
	if err := noiseGenerator(g, runDir); err != nil {
		return nil, err
	}
	return g.InterpolationStrip(infer.Walk{From: from, To: to, Steps: steps, Slerp: slerp})
}
