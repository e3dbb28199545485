package infer

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/internal/legacyruns"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// loadLegacy loads the generator of the legacy run name's last checkpoint.
func loadLegacy(t *testing.T, name string) *Generator {
	t.Helper()
	g, err := LoadRun(legacyruns.Path(name), "last")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// snapshot returns a copy of every tensor of m's state dict, running
// statistics included.
func snapshot(m nn.Module) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for name, t := range nn.StateDict(m) {
		out[name] = t.Clone()
	}
	return out
}

// sameBits reports the first index at which a and b differ bit for bit,
// or −1.
func sameBits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// Many goroutines sampling one generator at once get, bit for bit, what
// each batch gives alone, and leave every tensor of the generator as it
// was: a DCGAN whose BatchNorm layers keep running statistics, and a
// conditional generator with labels.
func TestConcurrentSamplingEqualsSerial(t *testing.T) {
	for _, name := range []string{"dcgan", "cond"} {
		t.Run(name, func(t *testing.T) {
			g := loadLegacy(t, name)
			before := snapshot(g.Net)
			const batches, rows, repeats = 8, 3, 3
			z := make([]*tensor.Tensor, batches)
			y := make([]*tensor.Tensor, batches)
			serial := make([]*tensor.Tensor, batches)
			for i := range batches {
				z[i] = g.Noise(rows, tensor.NewRNG(uint64(i), "test"))
				if g.Spec.Classes > 0 {
					y[i] = tensor.New(rows)
					for j := range rows {
						y[i].Data()[j] = float32((i + j) % g.Spec.Classes)
					}
				}
				x, err := g.Sample(z[i], y[i])
				if err != nil {
					t.Fatal(err)
				}
				serial[i] = x
			}
			if sameBits(serial[0].Data(), serial[1].Data()) == -1 {
				t.Fatal("two noise batches gave the same samples")
			}
			var wg sync.WaitGroup
			errs := make(chan error, batches*repeats)
			diffs := make(chan int, batches*repeats)
			for i := range batches {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range repeats {
						x, err := g.Sample(z[i], y[i])
						if err != nil {
							errs <- err
							return
						}
						if j := sameBits(x.Data(), serial[i].Data()); j >= 0 {
							diffs <- i
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			close(diffs)
			for err := range errs {
				t.Error(err)
			}
			for i := range diffs {
				t.Errorf("batch %d sampled concurrently differs from its serial samples", i)
			}
			after := nn.StateDict(g.Net)
			if len(after) != len(before) {
				t.Fatalf("%d tensors after sampling, %d before", len(after), len(before))
			}
			for k, v := range before {
				if a, ok := after[k]; !ok || sameBits(a.Data(), v.Data()) != -1 {
					t.Errorf("sampling changed %s", k)
				}
			}
		})
	}
}

// conditionalGenerator returns a freshly initialised conditional MLP
// generator of 3 classes.
func conditionalGenerator(t *testing.T) *Generator {
	t.Helper()
	spec := models.Spec{Family: "mlp", Data: data.Images, Sample: models.Shape{C: 1, H: 28, W: 28}, ZDim: 100, Classes: 3}
	nets, err := models.Build(spec, tensor.NewRNG(1, "init"))
	if err != nil {
		t.Fatal(err)
	}
	return &Generator{Net: nets[gan.GeneratorName], Spec: spec, ClassNames: []string{"a", "b", "c"}}
}

// Generate draws sample i of class i mod K, in batches of sampleBatch,
// and GenerateLabels says so; each row is the sample of its noise and class
// alone, past the first batch too.
func TestGenerateLabels(t *testing.T) {
	g := conditionalGenerator(t)
	n := sampleBatch + 7
	x := g.Generate(n, 5)
	labels := g.GenerateLabels(n)
	if len(labels) != n {
		t.Fatalf("%d labels for %d samples", len(labels), n)
	}
	z := g.Noise(n, tensor.NewRNG(5, "eval"))
	d, size := g.Spec.ZDim, g.Spec.Sample.Len()
	for _, i := range []int{0, 1, 2, sampleBatch - 1, sampleBatch, sampleBatch + 1, n - 1} {
		if labels[i] != i%3 {
			t.Fatalf("label of sample %d: %d, want %d", i, labels[i], i%3)
		}
		one, err := g.Sample(tensor.FromSlice(z.Data()[i*d:(i+1)*d], 1, d), gan.ClassLabels(1, labels[i]))
		if err != nil {
			t.Fatal(err)
		}
		row := x.Data()[i*size : (i+1)*size]
		for j, v := range one.Data() {
			if math.Abs(float64(v-row[j])) > 1e-5 {
				t.Fatalf("sample %d differs from its class %d's at pixel %d: %g against %g", i, labels[i], j, row[j], v)
			}
		}
	}
	// The classes matter: a row drawn with another class differs.
	other, err := g.Sample(tensor.FromSlice(z.Data()[:d], 1, d), gan.ClassLabels(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if sameBits(other.Data(), x.Data()[:size]) == -1 {
		t.Fatal("class 1 gives sample 0's image of class 0")
	}
	if g.Spec.Classes = 0; g.GenerateLabels(n) != nil {
		t.Error("labels for an unconditional generator")
	}
}

// norm returns the Euclidean norm of v.
func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// A walk begins and ends at the samples of its seeds' latents, along a
// line or a great circle; it writes a GIF and needs 2 steps.
func TestInterpolation(t *testing.T) {
	g := loadLegacy(t, "recipe")
	n := g.Spec.Sample.Len()
	for _, slerp := range []bool{false, true} {
		x, err := g.Interpolate(Walk{From: 3, To: 8, Steps: 5, Slerp: slerp})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := x.Shape(), []int{5, 1, 28, 28}; !tensor.EqualShapes(got, want) {
			t.Fatalf("slerp %v: walk of shape %v, want %v", slerp, got, want)
		}
		for i, seed := range []uint64{3, 8} {
			want, err := g.Sample(tensor.FromSlice(g.Latent(seed), 1, g.Spec.ZDim), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := x.Data()[i*4*n : i*4*n+n]
			for j, v := range want.Data() {
				if math.Abs(float64(got[j]-v)) > 1e-6 {
					t.Fatalf("slerp %v: end %d differs from seed %d's sample at %d: %g against %g", slerp, i, seed, j, got[j], v)
				}
			}
		}
		if sameBits(x.Data()[:n], x.Data()[2*n:3*n]) == -1 {
			t.Fatalf("slerp %v: the walk's middle is its start", slerp)
		}
	}
	// The latent of a seed is the first row nash sample --seed draws.
	first, err := g.Samples(1, 3, -1)
	if err != nil {
		t.Fatal(err)
	}
	fromLatent, err := g.Sample(tensor.FromSlice(g.Latent(3), 1, g.Spec.ZDim), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sameBits(first.Data(), fromLatent.Data()) != -1 {
		t.Fatal("Latent(3) is not the noise of Samples(1, 3, -1)")
	}
	// Spherical interpolation keeps the norm between the ends' norms for
	// latents of about equal norm; the straight line's midpoint is shorter.
	a, b := g.Latent(3), g.Latent(8)
	mid := make([]float32, len(a))
	mix(mid, a, b, 0.5, true)
	lin := make([]float32, len(a))
	mix(lin, a, b, 0.5, false)
	if norm(mid) < 0.98*math.Min(norm(a), norm(b)) || norm(lin) >= norm(mid) {
		t.Fatalf("norms: ends %.3f %.3f, slerp midpoint %.3f, linear midpoint %.3f", norm(a), norm(b), norm(mid), norm(lin))
	}
	if err := g.WriteInterpolationGIF(filepath.Join(t.TempDir(), "a.gif"), Walk{From: 3, To: 8, Steps: 4, Slerp: true}, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Interpolate(Walk{From: 1, To: 2, Steps: 1}); err == nil {
		t.Fatal("1 step accepted")
	}
}

// A conditional walk keeps to its class; classes out of range, and any
// class of an unconditional run, are refused.
func TestInterpolationClasses(t *testing.T) {
	cond, recipe := loadLegacy(t, "cond"), loadLegacy(t, "recipe")
	n := cond.Spec.Sample.Len()
	x, err := cond.Interpolate(Walk{From: 4, To: 9, Steps: 3, Class: 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		class int
		same  bool
	}{{6, true}, {2, false}} {
		want, err := cond.Samples(1, 4, c.class)
		if err != nil {
			t.Fatal(err)
		}
		if got := sameBits(x.Data()[:n], want.Data()) == -1; got != c.same {
			t.Errorf("the class-6 walk's first image equal to Samples(1, 4, %d): %v, want %v", c.class, got, c.same)
		}
	}
	for _, c := range []struct {
		g     *Generator
		class int
		want  string
	}{
		{cond, 10, "the run's classes are 0 to 9"},
		{cond, -1, "the run's classes are 0 to 9"},
		{recipe, 0, "not conditional"},
		{recipe, 3, "not conditional"},
	} {
		if err := c.g.CheckClass(c.class); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckClass(%d) of a generator of %d classes: %v, want an error containing %q", c.class, c.g.Spec.Classes, err, c.want)
		}
		if _, err := c.g.Interpolate(Walk{From: 1, To: 2, Steps: 2, Class: c.class}); c.g.Spec.Classes > 0 && err == nil {
			t.Errorf("a walk of class %d accepted by a generator of %d classes", c.class, c.g.Spec.Classes)
		}
	}
	if err := cond.CheckClass(9); err != nil {
		t.Errorf("CheckClass(9) of 10 classes: %v", err)
	}
}

// A run that has written no checkpoint (only its configuration, as a run
// stopped before its first checkpoint), or no best one, gives an error
// wrapping ErrNoCheckpoint, in words.
func TestLoadRunWithoutCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	run, err := rundir.Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.WriteConfig(map[string]int{"steps": 10}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, name string }{
		{dir, "last"},
		{dir, "best"},
		{legacyruns.Path("recipe"), "best"},
	} {
		_, err := LoadRun(c.dir, c.name)
		if !errors.Is(err, ErrNoCheckpoint) || !strings.Contains(err.Error(), "no checkpoint yet") || !strings.Contains(err.Error(), c.name+".safetensors") {
			t.Errorf("LoadRun(%s, %q): %v, want ErrNoCheckpoint naming %s.safetensors", c.dir, c.name, err, c.name)
		}
	}
}

// Metadata that describes a generator of absurd size is refused before
// anything is built, with an error naming the file and the key.
func TestHostileMetadata(t *testing.T) {
	src, err := checkpoint.Load(legacyruns.Path("recipe", "checkpoints", "last.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	g := loadLegacy(t, "recipe")
	spec, err := json.Marshal(g.Spec)
	if err != nil {
		t.Fatal(err)
	}
	// withModel returns the spec's JSON with key set to v.
	withModel := func(key string, v any) string {
		var m map[string]any
		if err := json.Unmarshal(spec, &m); err != nil {
			t.Fatal(err)
		}
		m[key] = v
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name, key, value string
		want             []string
	}{
		{"zdim", MetaModel, withModel("z_dim", int64(100000000000)), []string{"metadata model", "z_dim"}},
		{"shape", MetaModel, withModel("sample_shape", map[string]int{"C": 1, "H": 1000000, "W": 1000000}), []string{"metadata model", "sample shape"}},
		{"legacy-shape", metaShape, "[1,1000000,1000000]", []string{"sample_shape"}},
		{"legacy-zdim", metaConfig, strings.Replace(src.Metadata[metaConfig], "z_dim: 100\n", "z_dim: 100000000000\n", 1), []string{"metadata config", "z_dim"}},
	} {
		var f checkpoint.File
		f.Metadata = map[string]string{}
		for k, v := range src.Metadata {
			f.Metadata[k] = v
		}
		if f.Metadata[c.key] == c.value {
			t.Fatalf("%s: the metadata %s is already %q", c.name, c.key, c.value)
		}
		f.Metadata[c.key] = c.value
		for _, name := range src.Names() {
			if x, err := src.Tensor(name); err == nil {
				f.Set(name, x)
			}
		}
		path := filepath.Join(dir, c.name+".safetensors")
		if err := checkpoint.Save(path, &f); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil {
			t.Errorf("%s: a checkpoint with metadata %s %q loaded", c.name, c.key, c.value)
			continue
		}
		for _, w := range append([]string{path}, c.want...) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", c.name, err, w)
			}
		}
	}
}
