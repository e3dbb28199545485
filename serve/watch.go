package serve

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/nash-gan/nash/infer"
)

// Watch reloads the generator from the checkpoint at path whenever the
// file changes (its size or modification time) from what it is when Watch
// is called, checking every interval on a goroutine of its own until ctx
// ends: a run served while it trains. Watch returns at once; the file's
// state is taken before it returns, so a checkpoint written after the
// call is never missed. Training writes a checkpoint under a temporary
// name and renames it, so a reload never reads half a file; a file that
// fails to load is logged and the generator served is kept.
func (s *Server) Watch(ctx context.Context, path string, interval time.Duration) {
	last, _ := os.Stat(path)
	go s.watch(ctx, path, interval, last)
}

func (s *Server) watch(ctx context.Context, path string, interval time.Duration, last os.FileInfo) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fi, err := os.Stat(path)
		if err != nil || (last != nil && fi.Size() == last.Size() && fi.ModTime().Equal(last.ModTime())) {
			continue
		}
		last = fi
		g, err := infer.Load(path)
		if err != nil {
			s.metrics.reloads.WithLabelValues("error").Inc()
			s.log.Warn("reload", slog.String("path", path), slog.String("error", err.Error()))
			continue
		}
		s.Swap(g)
		s.metrics.reloads.WithLabelValues("ok").Inc()
		s.log.Info("reload", slog.String("path", path), slog.Int("step", g.Step))
	}
}
