package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/internal/legacyruns"
)

// nash sample draws from runs written before the training core exactly
// the PNG files the old nash drew from them.
func TestLegacySample(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		run  string
		args []string
		want string // expected/<run>/<want>
	}{
		{"recipe", []string{"--n", "16", "--seed", "5"}, "sample.png"},
		{"dcgan", []string{"--n", "16", "--seed", "5"}, "sample.png"},
		{"cond", []string{"--n", "16", "--seed", "5", "--class", "3"}, "sample.png"},
		{"cond", []string{"--class-grid", "--seed", "5"}, "classes.png"},
	} {
		out := filepath.Join(dir, c.run+"-"+c.want)
		args := append([]string{"sample", "--run", legacyruns.Path(c.run), "--out", out}, c.args...)
		if err := runNash(args...); err != nil {
			t.Errorf("nash %s: %v", strings.Join(args, " "), err)
			continue
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(legacyruns.Path("expected", c.run, c.want))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("nash %s: the PNG differs from the old nash's expected/%s/%s", strings.Join(args, " "), c.run, c.want)
		}
	}
}

// A 2-D run written before the training core samples, and a run of images
// walks its latent space.
func TestLegacySampleAndInterpolate(t *testing.T) {
	dir := t.TempDir()
	recipe := legacyruns.Copy(t, "recipe")
	for _, args := range [][]string{
		{"sample", "--run", legacyruns.Path("ring8"), "--n", "16", "--seed", "5", "--out", filepath.Join(dir, "ring8.png")},
		{"interpolate", "--run", recipe, "--from", "1", "--to", "2", "--steps", "4", "--out", filepath.Join(dir, "walk.png")},
	} {
		if err := runNash(args...); err != nil {
			t.Errorf("nash %s: %v", strings.Join(args, " "), err)
			continue
		}
		out := args[len(args)-1]
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("nash %s: %s: %v", strings.Join(args, " "), out, err)
		}
		// The walk is one row of 4 images.
		if r := img.Bounds(); args[0] == "interpolate" && r.Dx() < 3*r.Dy() {
			t.Errorf("nash %s: a %d×%d picture, want a strip of 4 images", strings.Join(args, " "), r.Dx(), r.Dy())
		}
	}
}
