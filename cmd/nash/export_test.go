package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// trainTiny trains a two-step run of the recipe MLP into dir.
func trainTiny(t *testing.T, dir string, extra ...string) {
	t.Helper()
	args := append([]string{"train", "--steps", "2", "--batch", "8", "--out", dir}, extra...)
	if err := runNash(args...); err != nil {
		t.Fatalf("nash %s: %v", strings.Join(args, " "), err)
	}
}

// nash export writes an ONNX model and a safetensors generator that
// infer.Load reads back into the run's generator; bad input is one error
// naming the flag or file, and nothing is written.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	trainTiny(t, run, "--ema-kimg", "1")
	onnxPath, stPath := filepath.Join(dir, "g.onnx"), filepath.Join(dir, "g.safetensors")
	for _, args := range [][]string{
		{"export", "--run", run, "--format", "onnx", "--out", onnxPath},
		{"export", "--run", run, "--format", "safetensors", "--out", stPath, "--checkpoint", "last"},
	} {
		if err := runNash(args...); err != nil {
			t.Fatalf("nash %s: %v", strings.Join(args, " "), err)
		}
	}
	if b, err := os.ReadFile(onnxPath); err != nil || !bytes.Contains(b, []byte("generator_ema")) {
		t.Fatalf("%s: %v, or no EMA in its metadata", onnxPath, err)
	}
	want, err := infer.LoadRun(run, "last")
	if err != nil {
		t.Fatal(err)
	}
	got, err := infer.Load(stPath)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := want.Samples(3, 1, -1)
	b, _ := got.Samples(3, 1, -1)
	if !got.EMA || !bytes.Equal(float32Bytes(a.Data()), float32Bytes(b.Data())) {
		t.Fatalf("the exported generator (EMA %v) samples differently from the run's", got.EMA)
	}
	empty := filepath.Join(dir, "empty")
	trainTiny(t, empty)
	if err := os.Remove(filepath.Join(empty, "checkpoints", "last.safetensors")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "never.onnx")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--run", run, "--format", "tflite"}, `--format: "tflite"`},
		{[]string{"--run", run, "--checkpoint", "first"}, `--checkpoint: "first"`},
		{[]string{"--run", run, "--checkpoint", "best"}, "best.safetensors has not been written"},
		{[]string{"--run", empty}, "no checkpoint yet"},
	} {
		err := runNash(append([]string{"export", "--out", out}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("nash export %v: error %v, want one line containing %q", c.args, err, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("nash export %v wrote %s", c.args, out)
		}
	}
	walk := filepath.Join(dir, "walk.png")
	if err := runNash("interpolate", "--run", run, "--checkpoint", "last", "--out", walk); err != nil {
		t.Fatalf("nash interpolate --checkpoint last: %v", err)
	}
	if err := runNash("interpolate", "--run", run, "--checkpoint", "best", "--out", walk); err == nil || !strings.Contains(err.Error(), "best.safetensors") {
		t.Fatalf("nash interpolate --checkpoint best: error %v, want one naming best.safetensors", err)
	}
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// nash sample writes a .npy array, an IDX file and a folder of PNGs, and
// generates from the latent vectors of --z exactly what the generator
// gives them; a --z of the wrong shape is refused and nothing written.
func TestSampleFormats(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	trainTiny(t, run, "--conditional")
	g, err := infer.LoadRun(run, "last")
	if err != nil {
		t.Fatal(err)
	}
	npy, idx, folder := filepath.Join(dir, "s.npy"), filepath.Join(dir, "s-idx"), filepath.Join(dir, "pngs")
	for _, args := range [][]string{
		{"--format", "npy", "--n", "5", "--out", npy},
		{"--format", "idx", "--n", "5", "--out", idx},
		{"--format", "folder", "--n", "3", "--out", folder},
	} {
		if err := runNash(append([]string{"sample", "--run", run}, args...)...); err != nil {
			t.Fatalf("nash sample %v: %v", args, err)
		}
	}
	b, err := os.ReadFile(npy)
	if err != nil || !bytes.Contains(b, []byte("'descr': '<f4'")) || !bytes.Contains(b, []byte("'shape': (5, 1, 28, 28)")) {
		t.Fatalf("%s: %v, header %q", npy, err, b[:min(len(b), 80)])
	}
	want, _ := g.Samples(5, 0, -1)
	if !bytes.HasSuffix(b, float32Bytes(want.Data())) || len(b)%64 != (4*want.Len())%64 {
		t.Fatalf("%s: the values are not Samples(5, 0, -1)", npy)
	}
	x, err := data.OpenIDX(idx)
	if err != nil || len(x.Dims) != 3 || x.Dims[0] != 5 || x.Dims[1] != 28 {
		t.Fatalf("%s: %v %v", idx, err, x)
	}
	if entries, err := os.ReadDir(folder); err != nil || len(entries) != 3 || entries[2].Name() != "000002.png" {
		t.Fatalf("%s: %v %v", folder, err, entries)
	}

	z := g.Noise(4, tensor.NewRNG(9, "test"))
	feat, _ := metrics.FromTensor("z", z)
	zPath, zOut := filepath.Join(dir, "z.npy"), filepath.Join(dir, "z-samples.npy")
	if err := metrics.WriteNPY(zPath, feat); err != nil {
		t.Fatal(err)
	}
	if err := runNash("sample", "--run", run, "--z", zPath, "--class", "3", "--format", "npy", "--out", zOut); err != nil {
		t.Fatal(err)
	}
	fromZ, _ := g.Sample(z, tensor.FromSlice([]float32{3, 3, 3, 3}, 4))
	if b, _ := os.ReadFile(zOut); !bytes.HasSuffix(b, float32Bytes(fromZ.Data())) {
		t.Fatalf("--z: the samples are not the generator's of the file's vectors")
	}

	bad := filepath.Join(dir, "bad.npy")
	short, _ := metrics.FromTensor("bad", tensor.New(2, 7))
	if err := metrics.WriteNPY(bad, short); err != nil {
		t.Fatal(err)
	}
	never := filepath.Join(dir, "never.png")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--z", bad}, "bad.npy: shape (2, 7), the generator takes latent vectors of shape (n, 100)"},
		{[]string{"--z", filepath.Join(dir, "missing.npy")}, "missing.npy"},
		{[]string{"--z", zPath, "--n", "3"}, "--n and --seed cannot be used"},
		{[]string{"--format", "gif"}, `--format: "gif"`},
		{[]string{"--checkpoint", "best"}, "best.safetensors has not been written"},
		{[]string{"--class-grid", "--format", "npy"}, "--class-grid"},
		{[]string{"--format", "folder", "--out", folder}, "not empty"},
	} {
		args := append([]string{"sample", "--run", run, "--out", never}, c.args...)
		err := runNash(args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("nash %v: error %v, want one containing %q", args, err, c.want)
		}
		if _, err := os.Stat(never); err == nil {
			t.Fatalf("nash %v wrote %s", args, never)
		}
	}
}

// nash serve refuses contradictory flags and a model file that is not
// nash's, in one line naming the flag or file.
func TestServeBadInput(t *testing.T) {
	dir := t.TempDir()
	notNash := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(notNash, []byte("\x08\x08\x12\x04nash"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--run or --model"},
		{[]string{"--run", dir, "--model", notNash}, "--run or --model"},
		{[]string{"--model", notNash}, notNash},
		{[]string{"--model", notNash, "--checkpoint", "best"}, "--checkpoint"},
		{[]string{"--run", dir}, "is not a run directory"},
		{[]string{"--run", dir, "--checkpoint", "worst"}, `--checkpoint: "worst"`},
	} {
		err := runNash(append([]string{"serve"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("nash serve %v: error %v, want one line containing %q", c.args, err, c.want)
		}
	}
}

// nash serve --model serves an exported generator on the address it was
// given, answers, and returns when its context ends (as SIGTERM ends it).
func TestServeCommand(t *testing.T) {
	dir := t.TempDir()
	run, model := filepath.Join(dir, "run"), filepath.Join(dir, "g.safetensors")
	trainTiny(t, run)
	if err := runNash("export", "--run", run, "--format", "safetensors", "--out", model); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	cmd := newRoot()
	cmd.SetOut(w)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"serve", "--model", model, "--addr", "127.0.0.1:0", "--name", "digits"})
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		// A server that cannot start ends the read below, not the test's
		// time.
		w.CloseWithError(fmt.Errorf("nash serve returned %v", err))
		done <- err
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, r)
	url := line[strings.Index(line, "http://") : len(line)-1]
	resp, err := http.Get(url + "/v2/models/digits/ready")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ready: %v %v", err, resp)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("nash serve after its context ended: %v", err)
	}
}

// TestSampleFormatFromName: an --out name ending in .npy (or -ubyte, .idx)
// writes that format without --format; a --format that contradicts the
// name is refused, writing nothing.
func TestSampleFormatFromName(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := runNash("train", "--steps", "2", "--batch", "8", "--out", run); err != nil {
		t.Fatal(err)
	}
	npy := filepath.Join(dir, "x.npy")
	if err := runNash("sample", "--run", run, "--n", "4", "--out", npy); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(npy); err != nil || !bytes.HasPrefix(b, []byte("\x93NUMPY")) {
		t.Errorf("--out x.npy wrote %.8q, %v; want a .npy file", b, err)
	}
	bad := filepath.Join(dir, "y.npy")
	if err := runNash("sample", "--run", run, "--format", "png", "--out", bad); err == nil || !strings.Contains(err.Error(), "names a npy file, but --format is png") {
		t.Errorf("--format png --out y.npy: %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a refused sample wrote %s", bad)
	}
}

// TestSampleZWithinLimit: --z holds no more latent vectors than --n may
// ask for in the format.
func TestSampleZWithinLimit(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := runNash("train", "--steps", "2", "--batch", "8", "--out", run); err != nil {
		t.Fatal(err)
	}
	zPath := filepath.Join(dir, "z.npy")
	f, err := metrics.NewFeatures("z", make([]float64, (maxSamples+1)*100), maxSamples+1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := metrics.WriteNPY(zPath, f); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "grid.png")
	if err := runNash("sample", "--run", run, "--z", zPath, "--out", out); err == nil || !strings.Contains(err.Error(), "--z: "+zPath) {
		t.Errorf("%d latent vectors for a PNG grid: %v", maxSamples+1, err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused sample wrote %s", out)
	}
}
