package checkpoint

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// A state dict with a NaN or infinite value is refused, naming the file
// and the tensor; the container itself still holds any float.
func TestStateDictRefusesNonFiniteValues(t *testing.T) {
	for _, c := range []struct {
		v    float64
		text string
	}{{math.NaN(), "NaN"}, {math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"}} {
		v := c.v
		var f File
		f.Set("g.0.weight", tensor.FromSlice([]float32{1, 2, float32(v)}, 3))
		f.Set("d.0.weight", tensor.FromSlice([]float32{1}, 1))
		path := filepath.Join(t.TempDir(), "nan.safetensors")
		if err := Save(path, &f); err != nil {
			t.Fatal(err)
		}
		loaded, err := Load(path)
		if err != nil {
			t.Fatalf("the container refused %v: %v", v, err)
		}
		_, err = loaded.StateDict("g.")
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `tensor "g.0.weight": value 2 of 3 is `+c.text) {
			t.Errorf("StateDict of a tensor holding %v: error %v, want one naming %s, the tensor and the value", v, err, path)
		}
		if _, err := loaded.StateDict("d."); err != nil {
			t.Errorf("the finite tensors under another prefix: %v", err)
		}
	}
}
