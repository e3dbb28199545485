package train

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/infer"
)

// A self-conditioned run clusters the training images, trains on the
// clusters as classes, keeps their sizes in the generator's spec, draws
// them in those proportions when no cluster is asked for, asks the
// evaluation for no dataset class, and resumes to the same checkpoint,
// byte for byte, as a run that never stopped.
func TestSelfConditionedRun(t *testing.T) {
	cfg := quickConfig()
	cfg.Model, cfg.Clusters, cfg.Steps, cfg.SampleEvery = "dcgan", 4, 6, 3
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	f, err := checkpoint.Load(filepath.Join(ref, "checkpoints", "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Metadata[metaClasses]; got != `["cluster 0","cluster 1","cluster 2","cluster 3"]` {
		t.Errorf("metadata %s = %s", metaClasses, got)
	}
	tr, err := infer.LoadRun(ref, "last")
	if err != nil {
		t.Fatal(err)
	}
	sizes := tr.Spec.Clusters
	total := 0
	for _, s := range sizes {
		total += s
	}
	if tr.Spec.Classes != 4 || len(sizes) != 4 || total != 60000 || slices.Contains(sizes, 0) {
		t.Fatalf("spec of %d classes with cluster sizes %v, want 4 clusters of MNIST's 60,000 images", tr.Spec.Classes, sizes)
	}
	// Without a cluster asked for, each gets its share of any number of
	// samples to within one; the evaluation is asked for no class.
	const n = 1000
	counts := make([]int, 4)
	for _, v := range tr.Cycle(n).Data() {
		counts[int(v)]++
	}
	for j, c := range counts {
		if share := float64(sizes[j]) * n / float64(total); float64(c) < share-1 || float64(c) > share+1 {
			t.Errorf("cluster %d: %d of %d samples, its share is %.1f", j, c, n, share)
		}
	}
	if labels := tr.GenerateLabels(n); labels != nil {
		t.Errorf("GenerateLabels = %v…, want nil: clusters are not the dataset's classes", labels[:4])
	}
	if _, err := tr.Samples(3, 1, 2); err != nil {
		t.Errorf("samples of cluster 2: %v", err)
	}
	stopped := filepath.Join(dir, "stopped")
	runStoppedAndResumed(t, cfg, stopped, 3)
	sameFiles(t, ref, stopped, "checkpoints/last.safetensors", "samples/classes-0000006.png")
}

func TestClustersRefused(t *testing.T) {
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Clusters = 1 }, "clusters: must be 2 to 256 (0: off), got 1"},
		{func(c *Config) { c.Clusters = 257 }, "clusters: must be 2 to 256 (0: off), got 257"},
		{func(c *Config) { c.Clusters = -2 }, "clusters: must be 2 to 256"},
		{func(c *Config) { c.Clusters, c.Conditional = 10, true }, "clusters: clusters the images to condition on; --conditional uses the dataset's classes: choose one"},
		{func(c *Config) { c.Clusters, c.Pack = 10, 2 }, "pack: packing judges samples of different clusters together: not with --clusters"},
		{func(c *Config) { c.Clusters, c.Dataset = 10, "ring8" }, "clusters: clusters images; dataset \"ring8\" has none"},
		{func(c *Config) { c.Clusters, c.Dataset = 10, "oracle" }, "clusters: clusters images; dataset \"oracle\" has none"},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		t.Run(fmt.Sprint(c.want), func(t *testing.T) {
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
