package train

import (
	"context"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/models"
)

// A conditional run writes a class grid beside every sample grid, stores
// its class names and networks under PyTorch's names, samples by class,
// and resumes to the same checkpoint, byte for byte, as a run that never
// stopped.
func TestConditionalRun(t *testing.T) {
	cfg := quickConfig()
	cfg.Conditional, cfg.Steps, cfg.SampleEvery, cfg.R1 = true, 6, 3, 0.5
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if err := Run(context.Background(), cfg, ref, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"samples/step-0000003.png", "samples/classes-0000003.png", "samples/classes-0000006.png"} {
		if _, err := os.Stat(filepath.Join(ref, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	grid := readPNG(t, filepath.Join(ref, "samples", "classes-0000006.png"))
	// Ten rows of 28-pixel digits with 2-pixel padding; eight columns
	// after the label margin.
	if b := grid.Bounds(); b.Dy() != 10*30+2 || b.Dx() <= 8*30+2 {
		t.Errorf("class grid is %v, want 302 pixels high and wider than 242", b)
	}
	f, err := checkpoint.Load(filepath.Join(ref, "checkpoints", "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Metadata[metaClasses]; got != `["0","1","2","3","4","5","6","7","8","9"]` {
		t.Errorf("metadata %s = %s", metaClasses, got)
	}
	for _, name := range []string{"generator.embed.weight", "generator.net.0.weight", "discriminator.embed.weight", "discriminator.head.weight", "discriminator.body.0.weight"} {
		if _, _, ok := f.Info(name); !ok {
			t.Errorf("checkpoint lacks %s", name)
		}
	}
	tr, err := infer.LoadRun(ref, "last")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.ClassNames) != 10 || tr.Spec.Classes != 10 {
		t.Fatalf("loaded %d class names, a generator of %d classes", len(tr.ClassNames), tr.Spec.Classes)
	}
	x, err := tr.Samples(5, 1, 7)
	if err != nil || !reflect.DeepEqual(x.Shape(), []int{5, 1, 28, 28}) {
		t.Fatalf("samples of class 7: %v, %v", x, err)
	}
	if _, err := tr.Samples(5, 1, 10); err == nil || !strings.Contains(err.Error(), "0 to 9") {
		t.Errorf("class 10: error %v, want one naming the classes 0 to 9", err)
	}
	// A latent walk keeps to one class: its ends are that class's samples
	// of the ends' latents.
	if _, err := tr.Interpolate(infer.Walk{From: 1, To: 2, Steps: 3, Class: 10}); err == nil {
		t.Error("a walk of class 10 was accepted, out of range")
	}
	walk, err := tr.Interpolate(infer.Walk{From: 1, To: 2, Steps: 3, Class: 3})
	if err != nil {
		t.Fatal(err)
	}
	end, err := tr.Samples(1, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(walk.Data()[:end.Len()], end.Data()) {
		t.Error("the walk's first image is not the class-3 sample of its latent")
	}

	stopped := filepath.Join(dir, "stopped")
	runStoppedAndResumed(t, cfg, stopped, 3)
	sameFiles(t, ref, stopped, "checkpoints/last.safetensors", "samples/classes-0000006.png")
}

// An unconditional run refuses a class, and a conditional configuration
// is refused where there are no classes.
func TestClassesRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	cfg := quickConfig()
	cfg.Steps = 2
	if err := Run(context.Background(), cfg, out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	tr, err := infer.LoadRun(out, "last")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Samples(4, 1, 3); err == nil || !strings.Contains(err.Error(), "not conditional") {
		t.Errorf("class of an unconditional run: error %v", err)
	}
	if _, err := tr.ClassGrid(1); err == nil || !strings.Contains(err.Error(), "not conditional") {
		t.Errorf("class grid of an unconditional run: error %v", err)
	}
	if err := tr.CheckClass(0); err == nil || !strings.Contains(err.Error(), "not conditional") {
		t.Errorf("walk class of an unconditional run: error %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"toy", func(c *Config) { c.Dataset, c.Conditional = "ring8", true }, "conditional: the 2-D dataset ring8 has no classes"},
		{"image size", func(c *Config) { c.ImageSize = -3 }, "image_size: must be between 1 and 1024"},
		{"folder", func(c *Config) { c.Dataset = "folder" }, "data: dataset folder needs a data folder"},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := Spec(Config{Model: "mlp", Conditional: true}, data.Images, models.Shape{C: 1, H: 28, W: 28}, 0); err == nil {
		t.Error("Spec described a conditional GAN without classes")
	}
}

// A folder of the user's RGB images in class sub-folders trains the
// conditional 32×32 DCGAN of Radford et al.
func TestFolderConditionalDCGAN(t *testing.T) {
	dir := t.TempDir()
	for i, class := range []string{"blue", "red"} {
		if err := os.Mkdir(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			img := image.NewRGBA(image.Rect(0, 0, 40+j, 36))
			for y := range 36 {
				for x := range 40 + j {
					img.Set(x, y, color.RGBA{R: uint8(200 * i), G: uint8(10 * j), B: uint8(200 * (1 - i)), A: 255})
				}
			}
			writePNG(t, filepath.Join(dir, class, string(rune('a'+j))+".png"), img)
		}
	}
	cfg := quickConfig()
	cfg.Dataset, cfg.Data, cfg.Model, cfg.Conditional, cfg.ImageSize = "folder", dir, "dcgan", true, 32
	cfg.Batch, cfg.Steps, cfg.SampleEvery = 4, 2, 2
	out := filepath.Join(t.TempDir(), "run")
	if err := Run(context.Background(), cfg, out, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	tr, err := infer.LoadRun(out, "last")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Spec.Sample != (models.Shape{C: 3, H: 32, W: 32}) || !slices.Equal(tr.ClassNames, []string{"blue", "red"}) {
		t.Fatalf("shape %+v, classes %q", tr.Spec.Sample, tr.ClassNames)
	}
	if b := readPNG(t, filepath.Join(out, "samples", "classes-0000002.png")).Bounds(); b.Dy() != 2*34+2 {
		t.Errorf("class grid %v, want two rows of 32-pixel images", b)
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := images.WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	img, _, err := images.Decode(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
