package train

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// writeDomains writes the reference release's layout under dir: trainA/
// with n grey-ish images, trainB/ with n colour ones, each side×side, and
// testA/ and testB/ with 3 each.
func writeDomains(t *testing.T, dir string, n, side int) {
	t.Helper()
	rng := tensor.NewRNG(7, "domains")
	for _, d := range []struct {
		name   string
		n      int
		colour bool
	}{{"trainA", n, false}, {"trainB", n, true}, {"testA", 3, false}, {"testB", 3, true}} {
		if err := os.MkdirAll(filepath.Join(dir, d.name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range d.n {
			img := image.NewRGBA(image.Rect(0, 0, side, side))
			for y := range side {
				for x := range side {
					v := uint8(rng.IntN(256))
					c := color.RGBA{v, v, v, 255}
					if d.colour {
						c = color.RGBA{v, uint8(rng.IntN(256)), 255 - v, 255}
					}
					img.Set(x, y, c)
				}
			}
			writePNG(t, filepath.Join(dir, d.name, string(rune('a'+i))+".png"), img)
		}
	}
}

// cycleConfig is a tiny CycleGAN on the folder dataset of writeDomains:
// 10×10 images cropped to 8×8 and flipped, pools of 3.
func cycleConfig(data string) Config {
	cfg := DefaultConfig()
	cfg.Model, cfg.Dataset, cfg.Data = "cyclegan", "folder", data
	cfg = cfg.Resolve(func(string) bool { return false })
	cfg.ImageSize, cfg.LoadSize = 8, 10
	cfg.NGF, cfg.NDF, cfg.NBlocks, cfg.NLayersD, cfg.PoolSize = 2, 2, 1, 1, 3
	cfg.Batch, cfg.Steps, cfg.Epochs, cfg.SampleEvery, cfg.LogEvery, cfg.LRDecay = 2, 9, 0, 3, 1, 0
	return cfg
}

// A CycleGAN run stopped and resumed ends with the same checkpoint, byte
// for byte, as an uninterrupted one: pools, crops, flips, the two domains'
// orders and both optimisers continue exactly. Its checkpoint holds the
// reference release's networks and its generator samples through infer.
func TestCycleGANResumesExactly(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeDomains(t, data, 5, 10)
	cfg := cycleConfig(data)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(dir, "ref")
	if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(dir, "stopped")
	runStoppedAndResumed(t, cfg, stopped, 4)
	sameFiles(t, ref, stopped, "checkpoints/last.safetensors", "samples/step-0000009.png")

	tr, err := LoadCheckpoint(ref, "last")
	if err != nil {
		t.Fatal(err)
	}
	game := tr.Game.(*gan.CycleGAN)
	for _, p := range []*gan.ImagePool{game.PoolA, game.PoolB} {
		if p.Size() != 3 || p.Images.Data()[p.Images.Len()-1] == 0 {
			t.Errorf("a pool of %d images whose last value is %g: its images were not saved", p.Size(), p.Images.Data()[p.Images.Len()-1])
		}
	}
	var names []string
	for _, n := range tr.Game.Networks() {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, " "); got != "G_A G_B D_A D_B fake_A_pool fake_B_pool" {
		t.Errorf("networks %s", got)
	}
	g, err := infer.LoadRun(ref, "last")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.Net.(*models.ResnetGenerator); !ok || g.Spec.ZDim != 3*8*8 {
		t.Fatalf("infer loaded %T with spec %+v", g.Net, g.Spec)
	}
	x := tensor.New(2, 3*8*8)
	tensor.NewRNG(1, "x").Uniform(x, -1, 1)
	y, err := g.Sample(x, nil)
	if err != nil || y.Dim(0) != 2 || y.Dim(1) != 3 {
		t.Fatalf("translating: %v, shape %v", err, y.Shape())
	}
}

// A translation run is evaluated during training every eval_every steps
// (an epoch by default) and at its end: the cycle error of each direction
// is logged by name; accuracy and FID only where a feature network scores
// the target domain (mnist-printed), which a folder has not.
func TestCycleGANEvaluatesDuringTraining(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeDomains(t, data, 5, 10)
	cfg := cycleConfig(data)
	out := filepath.Join(dir, "run")
	if err := Run(context.Background(), cfg, out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	recs, _, err := rundir.ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []float64
	for _, r := range recs {
		a, okA := r["eval_a2b_cycle_l1"]
		b, okB := r["eval_b2a_cycle_l1"]
		if okA != okB {
			t.Fatalf("step %v: one direction's cycle error logged without the other's: %v", r["step"], r)
		}
		if !okA {
			continue
		}
		if !(a > 0 && b > 0 && a < 2 && b < 2) {
			t.Errorf("step %v: cycle errors %v and %v, want in (0, 2)", r["step"], a, b)
		}
		if _, ok := r["eval_a2b_accuracy"]; ok {
			t.Errorf("step %v: a label preservation without a feature network", r["step"])
		}
		steps = append(steps, r["step"])
	}
	if fmt.Sprint(steps) != "[3 6 9]" {
		t.Errorf("evaluated at steps %v, want every epoch of 3 steps", steps)
	}
}

// Every bad translation dataset is refused in one line naming the folder
// or setting, and leaves no run directory behind.
func TestCycleGANBadData(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	writeDomains(t, good, 3, 10)
	noB := filepath.Join(dir, "nob")
	writeDomains(t, noB, 3, 10)
	if err := os.RemoveAll(filepath.Join(noB, "trainB")); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	writeDomains(t, empty, 3, 10)
	if err := os.RemoveAll(filepath.Join(empty, "trainA")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(empty, "trainA"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		set  func(*Config)
		want string
	}{
		{"missing trainB", func(c *Config) { c.Data = noB }, "has no trainB folder"},
		{"empty domain", func(c *Config) { c.Data = empty }, "trainA holds no images"},
		{"size", func(c *Config) { c.Data, c.ImageSize, c.LoadSize = good, 10, 0 }, "multiples of 4"},
		{"patch", func(c *Config) { c.Data, c.NLayersD = good, 3 }, "n_layers_d"},
		{"batch", func(c *Config) { c.Data, c.Batch = good, 4 }, "batch: 4 is more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := cycleConfig(good)
			c.set(&cfg)
			out := filepath.Join(dir, "run-"+strings.ReplaceAll(c.name, " ", "-"))
			err := cfg.Validate()
			if err == nil {
				err = Run(context.Background(), cfg, out, false, io.Discard)
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

// The translation settings are validated: they belong to cyclegan, and
// cyclegan to two domains.
func TestCycleGANValidate(t *testing.T) {
	for _, c := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Model = "dcgan"; c.NGF = 8 }, "ngf: is a setting of translation models"},
		{func(c *Config) { c.Model = "dcgan"; c.Dataset = "mnist-printed" }, "model: mnist-printed has two domains"},
		{func(c *Config) { c.Dataset = "mnist" }, "dataset: cyclegan translates between two domains"},
		{func(c *Config) { c.DataA = "x" }, "give both --data-a and --data-b"},
		{func(c *Config) { c.LambdaIdentity = -1 }, "lambda_identity"},
		{func(c *Config) { c.LambdaCycleB = -1 }, "lambda_cycle_b: must be 0 to 1e6"},
		{func(c *Config) { c.Model = "dcgan"; c.LambdaCycleB = 1 }, "lambda_cycle_b: is a setting of translation models"},
		{func(c *Config) { c.PoolSize = -1 }, "pool_size"},
		{func(c *Config) { c.LoadSize = 6 }, "load_size: 6 is smaller"},
		{func(c *Config) { c.Conditional = true }, "conditional: cyclegan is not conditional"},
	} {
		cfg := cycleConfig("d")
		c.set(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// BenchmarkCycleGANDigitsStep times one step of the digits benchmark's
// configuration (ngf = ndf = 16, 3 blocks, 2 discriminator layers, 32×32,
// batch 1) on noise; go test -bench CycleGAN -cpuprofile shows where the
// time goes.
func BenchmarkCycleGANDigitsStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Model, cfg.Dataset = "cyclegan", "mnist-printed"
	cfg = cfg.Resolve(func(string) bool { return false })
	cfg.NGF, cfg.NDF, cfg.NBlocks, cfg.NLayersD = 16, 16, 3, 2
	spec, err := Spec(cfg, data.Unpaired, models.Shape{C: 3, H: 32, W: 32}, 0)
	if err != nil {
		b.Fatal(err)
	}
	g, err := Build(cfg, spec)
	if err != nil {
		b.Fatal(err)
	}
	x, y := tensor.New(1, 3, 32, 32), tensor.New(1, 3, 32, 32)
	rng := tensor.NewRNG(1, "noise")
	rng.Uniform(x, -1, 1)
	rng.Uniform(y, -1, 1)
	g.Step(gan.Batch{X: x, Y: y})
	b.ResetTimer()
	for range b.N {
		g.Step(gan.Batch{X: x, Y: y})
	}
}

// A cyclegan run weighs A's terms by lambda_cycle and B's by
// lambda_cycle_b, or by lambda_cycle when that is 0 (as every run made
// before it was a setting).
func TestCycleGANLambdaB(t *testing.T) {
	for _, c := range []struct{ lambda, b, wantB float64 }{{10, 0, 10}, {10, 1, 1}, {4, 25, 25}} {
		cfg := cycleConfig("d")
		cfg.LambdaCycle, cfg.LambdaCycleB = c.lambda, c.b
		spec, err := Spec(cfg, data.Unpaired, models.Shape{C: 3, H: 8, W: 8}, 0)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Build(cfg, spec)
		if err != nil {
			t.Fatal(err)
		}
		cg := g.(*gan.CycleGAN)
		if cg.LambdaA != float32(c.lambda) || cg.LambdaB != float32(c.wantB) {
			t.Errorf("lambda_cycle %g, lambda_cycle_b %g: λ_A %g, λ_B %g, want %g and %g", c.lambda, c.b, cg.LambdaA, cg.LambdaB, c.lambda, c.wantB)
		}
	}
}
