package main

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTestPNG writes a w×h colour PNG to path, making its folder.
func writeTestPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := range w * h {
		img.Set(p%w, p/w, color.RGBA{uint8(3 * p), uint8(p / 3), 200, 255})
	}
	writePNGFile(t, path, img)
}

// writeTranslationData writes trainA/, trainB/, testA/ and testB/ of n
// random 10×10 images each under dir.
func writeTranslationData(t *testing.T, dir string, n int) {
	t.Helper()
	for k, sub := range []string{"trainA", "trainB", "testA", "testB"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			img := image.NewRGBA(image.Rect(0, 0, 10, 10))
			for p := range 100 {
				img.Set(p%10, p/10, color.RGBA{uint8(37*p + 11*i), uint8(50 * k), uint8(7 * p), 255})
			}
			f, err := os.Create(filepath.Join(dir, sub, string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// A CycleGAN run on the folder dataset trains, translates a file and a
// folder both ways, is measured by nash eval, and refuses what does not
// apply to it, writing nothing.
func TestTranslate(t *testing.T) {
	dir := t.TempDir()
	d, run, plain := filepath.Join(dir, "data"), filepath.Join(dir, "run"), filepath.Join(dir, "plain")
	writeTranslationData(t, d, 4)
	if err := runNash("train", "--model", "cyclegan", "--dataset", "folder", "--data", d, "--image-size", "8", "--load-size", "10",
		"--ngf", "2", "--ndf", "2", "--n-blocks", "1", "--n-layers-d", "1", "--steps", "3", "--out", run); err != nil {
		t.Fatal(err)
	}
	if err := runNash("train", "--steps", "1", "--batch", "8", "--out", plain); err != nil {
		t.Fatal(err)
	}
	one, folder := filepath.Join(dir, "one.png"), filepath.Join(dir, "out")
	if err := runNash("translate", "--run", run, "--direction", "a2b", "--in", filepath.Join(d, "testA", "a.png"), "--out", one); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(one)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width != 8 || cfg.Height != 8 {
		t.Fatalf("translation %v: %d×%d, want 8×8", err, cfg.Width, cfg.Height)
	}
	if err := runNash("translate", "--run", run, "--direction", "b2a", "--in", filepath.Join(d, "testB"), "--out", folder); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(folder); err != nil || len(entries) != 4 {
		t.Fatalf("translated folder: %v, %d files", err, len(entries))
	}
	out, err := execute(newRoot(), "eval", "--run", run)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "a2b") || !strings.Contains(out, "b2a") || !strings.Contains(out, "cycle L1") {
		t.Errorf("nash eval printed %q", out)
	}
	for _, f := range []string{"eval-last.json", "eval-translation-last.png", "evals.jsonl"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("nash eval did not write %s: %v", f, err)
		}
	}
	model := filepath.Join(dir, "b2a.onnx")
	if err := runNash("export", "--run", run, "--direction", "b2a", "--out", model); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(model); err != nil || !strings.Contains(string(b), "G_B (images of the other domain [batch, 3, 8, 8]") {
		t.Fatalf("nash export --direction b2a wrote %d bytes (%v), not G_B's model", len(b), err)
	}
	never := filepath.Join(dir, "never.png")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"translate", "--run", run, "--direction", "sideways", "--in", one, "--out", never}, "--direction"},
		{[]string{"translate", "--run", plain, "--in", one, "--out", never}, "not a translation run"},
		{[]string{"translate", "--run", run, "--in", filepath.Join(dir, "missing.png"), "--out", never}, "--in"},
		{[]string{"translate", "--run", run, "--in", one, "--out", filepath.Join(dir, "never.jpg")}, "--out"},
		{[]string{"translate", "--in", one, "--out", never}, "--run DIR"},
		{[]string{"sample", "--run", run, "--out", never}, "a translation run"},
		{[]string{"interpolate", "--run", run, "--out", never}, "a translation run"},
		{[]string{"export", "--run", run, "--format", "safetensors", "--out", filepath.Join(dir, "never.onnx")}, "--format"},
		{[]string{"export", "--run", run, "--direction", "sideways", "--out", filepath.Join(dir, "never.onnx")}, "--direction"},
		{[]string{"export", "--run", plain, "--direction", "b2a", "--out", filepath.Join(dir, "never.onnx")}, "not a translation run"},
	} {
		err := runNash(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("nash %s: error %v, want one line with %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	for _, f := range []string{never, filepath.Join(dir, "never.jpg"), filepath.Join(dir, "never.onnx")} {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was written", f)
		}
	}
}
