package infer

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// TestResnetGeneratorMatchesTorch saves a nash generator with an input and
// its evaluation-mode output, and checks with scripts/torch_cyclegan.py
// that the file loads strictly into the PyTorch twin written from the
// paper and that the twin's output agrees to 1e-4; it skips where Debian's
// PyTorch is absent.
func TestResnetGeneratorMatchesTorch(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("PyTorch is absent (%s with python3-torch): %v", py, err)
	}
	rng := tensor.NewRNG(3, "init")
	for _, c := range []struct{ channels, ngf, blocks int }{{3, 8, 2}, {1, 4, 3}} {
		g := models.NewResnetGenerator(c.channels, c.channels, c.ngf, c.blocks, rng)
		models.InitCycleGAN(g, rng)
		for _, p := range g.Parameters() {
			// Biases off zero, weights large enough to matter.
			rng.Uniform(p.Value, -0.3, 0.3)
		}
		x := tensor.New(2, c.channels, 16, 16)
		rng.Uniform(x, -1, 1)
		tp := autograd.NewTape()
		tp.SetTraining(false)
		y := g.Forward(tp, autograd.Const(x)).Value
		f := &checkpoint.File{}
		f.SetStateDict("G_A.", nn.StateDict(g))
		f.Set("input", x)
		f.Set("output", y)
		path := filepath.Join(t.TempDir(), "g.safetensors")
		if err := checkpoint.Save(path, f); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "../scripts/torch_cyclegan.py", "check", path, "--prefix", "G_A.", "--tol", "1e-4").CombinedOutput()
		if err != nil {
			t.Fatalf("%+v: torch_cyclegan.py check: %v\n%s", c, err, out)
		}
		t.Logf("%+v: %s", c, strings.TrimSpace(string(out)))
	}
}

// TestReleaseGeneratorLoads writes a generator of the PyTorch twin with
// scripts/torch_cyclegan.py, as a converted latest_net_G_A.pth is, and
// checks that LoadRelease reads its sizes from the shapes, loads it
// strictly and translates as PyTorch does to 1e-4; it skips where Debian's
// PyTorch is absent.
func TestReleaseGeneratorLoads(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("PyTorch is absent (%s with python3-torch): %v", py, err)
	}
	dir := t.TempDir()
	model, io := filepath.Join(dir, "g.safetensors"), filepath.Join(dir, "io.safetensors")
	if out, err := exec.Command(py, "../scripts/torch_cyclegan.py", "write", model, io, "--ngf", "4", "--blocks", "3",
		"--channels", "3", "--size", "12").CombinedOutput(); err != nil {
		t.Fatalf("torch_cyclegan.py write: %v\n%s", err, out)
	}
	g, err := LoadRelease(model, 12)
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Spec.CycleGAN; s.NGF != 4 || s.Blocks != 3 || g.Spec.Sample.C != 3 {
		t.Fatalf("read sizes %+v, channels %d", s, g.Spec.Sample.C)
	}
	f, err := checkpoint.Load(io)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := f.StateDict("")
	if err != nil {
		t.Fatal(err)
	}
	x, want := pair["input"], pair["output"]
	got, err := g.SampleAll(x.Reshape(x.Dim(0), x.Len()/x.Dim(0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Data() {
		if d := v - want.Data()[i]; d > 1e-4 || d < -1e-4 {
			t.Fatalf("value %d: nash %g, PyTorch %g", i, v, want.Data()[i])
		}
	}
}
