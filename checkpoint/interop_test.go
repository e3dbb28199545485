package checkpoint

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// The files in testdata prove that nash and PyTorch read each other's
// checkpoints; scripts/torch_check.py is the PyTorch side:
//
//	go test ./checkpoint -run TestNashGolden -update
//	/usr/bin/python3 scripts/torch_check.py check checkpoint/testdata/nash.safetensors
//	/usr/bin/python3 scripts/torch_check.py write checkpoint/testdata/torch.safetensors
//
// Both hold, under "generator.", the state dict of the model
// Linear(3,4), BatchNorm1d(4), LeakyReLU(0.2), Linear(4,2) and, as "input"
// and "output", a batch and the model's output in eval mode computed by the
// writer's side, so that each side checks the other's values by running the
// model.
var update = flag.Bool("update", false, "rewrite testdata/nash.safetensors")

// mlp runs Linear(3,4), BatchNorm1d(4) in eval mode, LeakyReLU(0.2),
// Linear(4,2) with the tensors of sd on the rows of x, accumulating in
// float64.
func mlp(t *testing.T, sd map[string]*tensor.Tensor, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	get := func(name string, shape ...int) []float32 {
		v, ok := sd[name]
		if !ok || !slices.Equal(v.Shape(), shape) {
			t.Fatalf("state dict tensor %q is %v, want shape %v", name, v, shape)
		}
		return v.Data()
	}
	w0, b0 := get("0.weight", 4, 3), get("0.bias", 4)
	gamma, beta := get("1.weight", 4), get("1.bias", 4)
	mean, variance := get("1.running_mean", 4), get("1.running_var", 4)
	w3, b3 := get("3.weight", 2, 4), get("3.bias", 2)
	n := x.Dim(0)
	y := tensor.New(n, 2)
	for i := range n {
		row := x.Data()[3*i : 3*i+3]
		var h [4]float64
		for o := range h {
			s := float64(b0[o])
			for k, v := range row {
				s += float64(v) * float64(w0[3*o+k])
			}
			s = (s-float64(mean[o]))/math.Sqrt(float64(variance[o])+1e-5)*float64(gamma[o]) + float64(beta[o])
			if s < 0 {
				s *= 0.2
			}
			h[o] = s
		}
		for o := range 2 {
			s := float64(b3[o])
			for k, v := range h {
				s += v * float64(w3[4*o+k])
			}
			y.Data()[2*i+o] = float32(s)
		}
	}
	return y
}

// nashGolden returns the contents of testdata/nash.safetensors.
func nashGolden(t *testing.T) *File {
	rng := tensor.NewRNG(1, "checkpoint golden")
	normal := func(std float32, shape ...int) *tensor.Tensor {
		v := tensor.New(shape...)
		rng.Normal(v, 0, std)
		return v
	}
	uniform := func(lo, hi float32, shape ...int) *tensor.Tensor {
		v := tensor.New(shape...)
		rng.Uniform(v, lo, hi)
		return v
	}
	sd := map[string]*tensor.Tensor{
		"0.weight":       normal(0.5, 4, 3),
		"0.bias":         normal(0.1, 4),
		"1.weight":       uniform(0.5, 1.5, 4),
		"1.bias":         normal(0.1, 4),
		"1.running_mean": normal(0.2, 4),
		"1.running_var":  uniform(0.5, 2, 4),
		"3.weight":       normal(0.5, 2, 4),
		"3.bias":         normal(0.1, 2),
	}
	var f File
	f.SetStateDict("generator.", sd)
	f.SetInt64("generator.1.num_batches_tracked", []int64{7})
	x := normal(1, 5, 3)
	f.Set("input", x)
	f.Set("output", mlp(t, sd, x))
	f.SetInt64("optim_g.step", []int64{7})
	state, err := rng.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	f.SetBytes("rng.noise", state)
	f.Metadata = map[string]string{"format": "pt", "writer": "nash checkpoint test"}
	return &f
}

func TestNashGolden(t *testing.T) {
	want := nashGolden(t)
	var b bytes.Buffer
	if _, err := want.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "nash.safetensors")
	if *update {
		if err := Save(path, want); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), golden) {
		t.Errorf("WriteTo no longer reproduces %s (%d bytes, golden %d); run with -update and recheck with scripts/torch_check.py",
			path, b.Len(), len(golden))
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := equalFiles(got, want); err != nil {
		t.Error(err)
	}
}

func TestTorchWritten(t *testing.T) {
	path := filepath.Join("testdata", "torch.safetensors")
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"generator.0.bias", "generator.0.weight", "generator.1.bias",
		"generator.1.num_batches_tracked", "generator.1.running_mean", "generator.1.running_var",
		"generator.1.weight", "generator.3.bias", "generator.3.weight", "input", "output"}
	if !slices.Equal(f.Names(), wantNames) {
		t.Fatalf("names %q, want %q", f.Names(), wantNames)
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v lacks format pt", f.Metadata)
	}
	if n, err := f.Int64("generator.1.num_batches_tracked"); err != nil || !slices.Equal(n, []int64{3}) {
		t.Errorf("num_batches_tracked = %v, %v; the script runs 3 training passes", n, err)
	}
	if _, shape, _ := f.Info("generator.1.num_batches_tracked"); len(shape) != 0 {
		t.Errorf("num_batches_tracked has shape %v, want a scalar", shape)
	}
	sd, err := f.StateDict("generator.")
	if err != nil {
		t.Fatal(err)
	}
	x, err := f.Tensor("input")
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.Tensor("output")
	if err != nil {
		t.Fatal(err)
	}
	got := mlp(t, sd, x)
	if !got.SameShape(want) {
		t.Fatalf("output shape %v, torch's %v", got.Shape(), want.Shape())
	}
	for i, v := range got.Data() {
		if d := math.Abs(float64(v - want.Data()[i])); d > 1e-5 {
			t.Errorf("output[%d] = %g, torch computed %g", i, v, want.Data()[i])
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), raw) {
		t.Errorf("WriteTo does not reproduce the bytes PyTorch wrote (%d bytes, file %d)", b.Len(), len(raw))
	}
}
