package train

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The relativistic rsgan trains the classic game and RelGAN's, each
// resuming exactly, with D's outputs logged as scores; the games it does
// not fit refuse it in one line naming the loss, writing nothing.
func TestRSGAN(t *testing.T) {
	corpus := writeCorpus(t)
	classic := quickConfig()
	classic.Loss = "rsgan"
	relgan := tokenConfig("relgan", corpus)
	relgan.Loss = "rsgan"
	for name, cfg := range map[string]Config{"classic": classic, "relgan": relgan} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ref := filepath.Join(dir, "ref")
			if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
				t.Fatal(err)
			}
			stopped := filepath.Join(dir, "stopped")
			runStoppedAndResumed(t, cfg, stopped, 2)
			sameFiles(t, ref, stopped, "checkpoints/last.safetensors")
			last := lastRecord(t, ref)
			for _, key := range []string{"loss_d", "loss_g", "d_real", "d_fake"} {
				if _, ok := last[key].(float64); !ok {
					t.Errorf("metrics.jsonl's last record has %s = %v", key, last[key])
				}
			}
		})
	}

	domains := filepath.Join(t.TempDir(), "domains")
	writeDomains(t, domains, 3, 10)
	cycle := cycleConfig(domains)
	cycle.Loss = "rsgan"
	seqgan := tokenConfig("seqgan", corpus)
	seqgan.Loss = "rsgan"
	for name, c := range map[string]struct {
		cfg  Config
		want string
	}{
		"cyclegan": {cycle, "loss: cyclegan's discriminators judge translations drawn from history pools"},
		"seqgan":   {seqgan, "loss: seqgan's discriminator"},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			err := c.cfg.Validate()
			if err == nil {
				err = Run(context.Background(), c.cfg, out, false, io.Discard)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line with %q", err, c.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s was written: %v", out, err)
			}
		})
	}
}
