package classifier

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/tensor"
)

func randomImages(n int, seed uint64) *tensor.Tensor {
	x := tensor.New(n, 1, Side, Side)
	tensor.NewRNG(seed, "images").Uniform(x, -1, 1)
	return x
}

// TestSaveLoad checks that a saved network computes the same features and
// logits after loading, and that the hash is of the file's bytes.
func TestSaveLoad(t *testing.T) {
	net := New(tensor.NewRNG(3, "init"), tensor.NewRNG(3, "dropout"))
	// Move BatchNorm's running statistics away from their initial values.
	for _, b := range net.Seq.Buffers() {
		if strings.HasSuffix(b.Name, "running_mean") {
			b.Value.Fill(0.25)
		}
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	tr := &Trained{Net: net, Config: DefaultTrainConfig("mnist"), Accuracy: 0.9912}
	if err := Save(path, tr); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dataset != "mnist" || m.Accuracy != 0.9912 || len(m.SHA256) != 64 || !strings.Contains(m.Describe(), m.SHA256) {
		t.Fatalf("model %+v, description %q", m, m.Describe())
	}
	x := randomImages(7, 1)
	want, err := Extract(net, x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Extract(m.Net, x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Features, want.Features) || !slices.Equal(got.Logits, want.Logits) {
		t.Fatal("loaded network computes other values")
	}
	// Saving the same network again gives the same bytes, so the same hash.
	again := filepath.Join(t.TempDir(), "again.safetensors")
	if err := Save(again, tr); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(again)
	if err != nil || m2.SHA256 != m.SHA256 {
		t.Fatalf("hash of the same weights %v, %v (%v)", m2.SHA256, m.SHA256, err)
	}
}

func TestParseRejects(t *testing.T) {
	net := New(tensor.NewRNG(3, "init"), tensor.NewRNG(3, "dropout"))
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := Save(good, &Trained{Net: net, Config: DefaultTrainConfig("mnist"), Accuracy: 0.5}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(f *checkpoint.File)
		want   string
	}{
		{"format", func(f *checkpoint.File) { f.Metadata["format"] = "nash-gan-checkpoint/1" }, "metadata format"},
		{"architecture", func(f *checkpoint.File) { f.Metadata["architecture"] = "resnet" }, "architecture"},
		{"accuracy", func(f *checkpoint.File) { f.Metadata["test_accuracy"] = "1.5" }, "test_accuracy"},
		{"missing tensor", func(f *checkpoint.File) { f.Delete("0.weight") }, `missing tensor "0.weight"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := checkpoint.Load(good)
			if err != nil {
				t.Fatal(err)
			}
			c.change(g)
			path := filepath.Join(dir, c.name+".safetensors")
			if err := checkpoint.Save(path, g); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and saying %q", err, path, c.want)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "none.safetensors")); err == nil {
		t.Error("missing file: no error")
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.safetensors"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "junk.safetensors")); err == nil || !strings.Contains(err.Error(), "junk.safetensors") {
		t.Errorf("junk file: error %v", err)
	}
}

// TestExtract checks shapes, batching (results do not depend on the batch
// an image falls in) and the rejection of bad input.
func TestExtract(t *testing.T) {
	net := New(tensor.NewRNG(5, "init"), tensor.NewRNG(5, "dropout"))
	x := randomImages(linearChunk+3, 2)
	out, err := Extract(net, x)
	if err != nil {
		t.Fatal(err)
	}
	if out.N != linearChunk+3 || len(out.Features) != out.N*FeatureDim || len(out.Logits) != out.N*Classes {
		t.Fatalf("output of %d images: %d features, %d logits", out.N, len(out.Features), len(out.Logits))
	}
	last := tensor.FromSlice(x.Data()[(linearChunk+2)*Side*Side:], 1, 1, Side, Side)
	one, err := Extract(net, last)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(one.Features, out.Features[(linearChunk+2)*FeatureDim:]) {
		t.Error("an image's features depend on its batch")
	}
	p, err := out.Probabilities("p")
	if err != nil || p.Len() != out.N || p.Dim() != Classes {
		t.Fatalf("probabilities: %v", err)
	}
	flat := tensor.FromSlice(x.Data()[:2*Side*Side], 2, Side*Side)
	if _, err := Extract(net, flat); err != nil {
		t.Errorf("flat images [N, 784]: %v", err)
	}
	bad := []*tensor.Tensor{tensor.New(2, 1, 32, 32), tensor.New(0, 1, Side, Side)}
	nan := tensor.New(1, 1, Side, Side)
	nan.Data()[3] = float32(nanValue())
	bad = append(bad, nan)
	for _, b := range bad {
		if _, err := Extract(net, b); err == nil {
			t.Errorf("images of shape %v (or with NaN): no error", b.Shape())
		}
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}
