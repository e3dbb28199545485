package infer

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// toyCheckpoint returns a checkpoint of a small generator (the toy MLP of
// 2-D points) with the metadata nash writes, to be altered.
func toyCheckpoint(t testing.TB) *checkpoint.File {
	spec := models.Spec{Family: "mlp", Data: data.Points, Sample: models.Shape{C: 1, H: 1, W: 2}, ZDim: 2}
	nets, err := models.Build(spec, tensor.NewRNG(1, "init"))
	if err != nil {
		t.Fatal(err)
	}
	model, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := &checkpoint.File{Metadata: map[string]string{
		MetaModel:     string(model),
		MetaGenerator: gan.GeneratorName,
		MetaStep:      "7",
		metaConfig:    "dataset: ring8\nmodel: mlp\nz_dim: 2\n",
		metaShape:     "[1,1,2]",
	}}
	f.SetStateDict(gan.GeneratorName+".", nn.StateDict(nets[gan.GeneratorName]))
	return f
}

// Metadata describing a generator larger than the tensors the file holds,
// or samples larger than nash trains, is refused before anything is built.
func TestMetadataMustFitTheTensors(t *testing.T) {
	for _, c := range []struct {
		name, model, want string
	}{
		{"huge flat samples", `{"family":"mlp","data":"images","sample_shape":{"C":64,"H":4096,"W":4096},"z_dim":2}`, "sample shape 64×4096×4096 out of range"},
		{"samples beyond the tensors", `{"family":"mlp","data":"images","sample_shape":{"C":3,"H":256,"W":256},"z_dim":2}`, "does not fit the"},
		{"noise beyond the tensors", `{"family":"mlp","data":"points","sample_shape":{"C":1,"H":1,"W":2},"z_dim":4096}`, "a generator of z_dim 4096"},
		{"noise beyond the bound", `{"family":"mlp","data":"points","sample_shape":{"C":1,"H":1,"W":2},"z_dim":3000000}`, "z_dim 3000000 out of range"},
		{"classes beyond the bound", `{"family":"mlp","data":"images","sample_shape":{"C":1,"H":2,"W":2},"z_dim":2,"classes":65536}`, "65536 classes, want 0 or 2 to 1024"},
		{"clusters for other classes", `{"family":"mlp","data":"images","sample_shape":{"C":1,"H":2,"W":2},"z_dim":2,"classes":2,"clusters":[5]}`, "1 cluster sizes for 2 classes"},
		{"a negative cluster", `{"family":"mlp","data":"images","sample_shape":{"C":1,"H":2,"W":2},"z_dim":2,"classes":2,"clusters":[5,-1]}`, "a cluster of -1 samples"},
		{"empty clusters", `{"family":"mlp","data":"images","sample_shape":{"C":1,"H":2,"W":2},"z_dim":2,"classes":2,"clusters":[0,0]}`, "clusters of 0 samples in all"},
		{"classes beyond the tensors", `{"family":"mlp","data":"images","sample_shape":{"C":1,"H":2,"W":2},"z_dim":2,"classes":1000}`, "1000 classes and samples of 1×2×2 does not fit the 4 values"},
	} {
		f := toyCheckpoint(t)
		f.Metadata[MetaModel] = c.model
		if strings.Contains(c.model, "classes") {
			names, _ := json.Marshal(make([]string, 1000))
			f.Metadata[MetaClasses] = string(names)
		}
		var small checkpoint.File
		small.Metadata = f.Metadata
		small.Set("generator.0.weight", tensor.New(2, 2))
		_, err := FromCheckpoint(&small, "g.safetensors")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "g.safetensors: metadata model") {
			t.Errorf("%s: error %v, want one naming the file, the key and %q", c.name, err, c.want)
		}
	}
	if _, err := FromCheckpoint(toyCheckpoint(t), "g.safetensors"); err != nil {
		t.Fatalf("the unaltered checkpoint: %v", err)
	}
}

// FuzzFromCheckpoint checks that no metadata makes restoring a generator
// panic or allocate beyond the bounds, and that a generator it restores
// samples the shape its spec describes.
func FuzzFromCheckpoint(f *testing.F) {
	base := toyCheckpoint(f)
	keys := []string{MetaModel, MetaGenerator, MetaStep, metaConfig, metaShape, MetaClasses}
	seed := func(values ...string) {
		args := make([]string, len(keys))
		for i, k := range keys {
			args[i] = base.Metadata[k]
			if i < len(values) && values[i] != "" {
				args[i] = values[i]
			}
		}
		f.Add(args[0], args[1], args[2], args[3], args[4], args[5])
	}
	seed()
	seed(`{"family":"mlp","data":"images","sample_shape":{"C":1,"H":28,"W":28},"z_dim":100,"classes":10}`)
	seed(`{"family":"dcgan","data":"images","sample_shape":{"C":1,"H":28,"W":28},"z_dim":2}`, "generator_ema", "-1")
	seed(`{"family":"mlp","data":"points","sample_shape":{"C":1,"H":1,"W":2},"z_dim":1e9}`, "", "1e3", "z_dim: [1]")
	f.Fuzz(func(t *testing.T, model, generator, step, config, shape, classes string) {
		file := toyCheckpoint(t)
		for i, v := range []string{model, generator, step, config, shape, classes} {
			file.Metadata[keys[i]] = v
		}
		if model == "" {
			delete(file.Metadata, MetaModel)
		}
		g, err := FromCheckpoint(file, "fuzz.safetensors")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.safetensors") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := checkSpec(g.Spec, "fuzz"); err != nil {
			t.Fatalf("restored a generator beyond the bounds: %v", err)
		}
		x := g.Generate(2, 0)
		if s := g.Spec.Sample; fmt.Sprint(x.Shape()) != fmt.Sprint([]int{2, s.C, s.H, s.W}) {
			t.Fatalf("samples of shape %v, the spec says %v", x.Shape(), s)
		}
	})
}

// A generator with a NaN weight is refused when it is loaded, naming the
// tensor, rather than sampling black images.
func TestNonFiniteWeightsAreRefused(t *testing.T) {
	f := toyCheckpoint(t)
	w, err := f.Tensor("generator.0.weight")
	if err != nil {
		t.Fatal(err)
	}
	w.Data()[3] = float32(math.NaN())
	_, err = FromCheckpoint(f, "g.safetensors")
	if err == nil || !strings.Contains(err.Error(), `tensor "generator.0.weight": value 3 of`) || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("error %v, want one naming generator.0.weight and its NaN", err)
	}
}

// A long metadata value is cut in the message that names it.
func TestLongMetadataIsCutInMessages(t *testing.T) {
	f := toyCheckpoint(t)
	f.Metadata[MetaStep] = strings.Repeat("9", 100_000) + "x"
	_, err := FromCheckpoint(f, "g.safetensors")
	if err == nil || !strings.Contains(err.Error(), "metadata step is \"999") || len(err.Error()) > 200 {
		t.Fatalf("error %.300v, want a short one naming the step", err)
	}
}
