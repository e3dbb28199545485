package infer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// exportCases are the generators nash trains: the recipe MLP, the three
// DCGANs, and conditional forms.
var exportCases = []struct {
	name string
	spec models.Spec
}{
	{"mlp", models.Spec{Family: "mlp", Data: data.Images, Sample: models.Shape{C: 1, H: 28, W: 28}, ZDim: 100}},
	{"mlp-points", models.Spec{Family: "mlp", Data: data.Points, Sample: models.Shape{C: 1, H: 1, W: 2}, ZDim: 2}},
	{"dcgan28", models.Spec{Family: "dcgan", Data: data.Images, Sample: models.Shape{C: 1, H: 28, W: 28}, ZDim: 100}},
	{"dcgan32-rgb", models.Spec{Family: "dcgan", Data: data.Images, Sample: models.Shape{C: 3, H: 32, W: 32}, ZDim: 64}},
	{"dcgan64", models.Spec{Family: "dcgan", Data: data.Images, Sample: models.Shape{C: 1, H: 64, W: 64}, ZDim: 32}},
	{"cmlp", models.Spec{Family: "mlp", Data: data.Images, Sample: models.Shape{C: 1, H: 28, W: 28}, ZDim: 100, Classes: 10}},
	{"cdcgan28", models.Spec{Family: "dcgan", Data: data.Images, Sample: models.Shape{C: 1, H: 28, W: 28}, ZDim: 100, Classes: 10}},
	{"cdcgan32", models.Spec{Family: "dcgan", Data: data.Images, Sample: models.Shape{C: 3, H: 32, W: 32}, ZDim: 16, Classes: 3}},
}

// randomGenerator builds the generator of spec with random weights and,
// so that evaluation mode matters, random BatchNorm statistics.
func randomGenerator(t testing.TB, spec models.Spec, ema bool) *Generator {
	t.Helper()
	nets, err := models.Build(spec, tensor.NewRNG(1, "init"))
	if err != nil {
		t.Fatal(err)
	}
	net := nets[gan.GeneratorName]
	rng := tensor.NewRNG(2, "stats")
	nn.Walk(net, func(m nn.Module) {
		if b, ok := m.(*nn.BatchNorm); ok {
			rng.Uniform(b.RunningMean, -0.5, 0.5)
			rng.Uniform(b.RunningVar, 0.5, 2)
			rng.Uniform(b.Bias.Value, -0.2, 0.2)
			b.NumBatchesTracked.Data()[0] = 7
		}
	})
	var names []string
	for k := range spec.Classes {
		names = append(names, fmt.Sprintf("class %d", k))
	}
	return &Generator{Net: net, Spec: spec, ClassNames: names, EMA: ema, Step: 42, Dataset: "mnist",
		Config: "dataset: mnist\nmodel: " + spec.Family + "\n"}
}

// inputs returns n noise vectors and, for a conditional generator, n
// classes cycling through them.
func inputs(g *Generator, n int, seed uint64) (*tensor.Tensor, *tensor.Tensor) {
	return g.Noise(n, tensor.NewRNG(seed, "test")), g.Cycle(n)
}

// An exported safetensors generator holds its tensors under PyTorch's
// names with no prefix and loads back into a generator that samples, bit
// for bit, what the original does, with its description and EMA flag.
func TestWriteSafetensorsLoadsBack(t *testing.T) {
	for _, c := range exportCases {
		for _, ema := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ema=%v", c.name, ema), func(t *testing.T) {
				g := randomGenerator(t, c.spec, ema)
				path := filepath.Join(t.TempDir(), "g.safetensors")
				if err := g.WriteSafetensors(path); err != nil {
					t.Fatal(err)
				}
				f, err := checkpoint.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				for name := range nn.StateDict(g.Net) {
					if _, _, ok := f.Info(name); !ok {
						t.Fatalf("tensor %q missing from %v", name, f.Names())
					}
				}
				if strings.HasSuffix(c.name, "28") && c.spec.Family == "dcgan" && c.spec.Classes == 0 {
					if dt, _, _ := f.Info("2.num_batches_tracked"); dt != checkpoint.I64 {
						t.Fatalf("num_batches_tracked is %s, want I64", dt)
					}
				}
				back, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				if !back.Spec.Equal(g.Spec) || back.EMA != ema || back.Step != g.Step || back.Dataset != "mnist" ||
					back.Config != g.Config || fmt.Sprint(back.ClassNames) != fmt.Sprint(g.ClassNames) {
					t.Fatalf("loaded %+v, want %+v", back, g)
				}
				z, y := inputs(g, 5, 3)
				want, _ := g.Sample(z, y)
				got, err := back.Sample(z, y)
				if err != nil {
					t.Fatal(err)
				}
				if i := sameBits(got.Data(), want.Data()); i >= 0 {
					t.Fatalf("sample differs at %d", i)
				}
			})
		}
	}
}

// A file that claims to be exported from an unknown network is refused,
// naming the key.
func TestLoadRefusesBadExport(t *testing.T) {
	g := randomGenerator(t, exportCases[0].spec, false)
	path := filepath.Join(t.TempDir(), "g.safetensors")
	if err := g.WriteSafetensors(path); err != nil {
		t.Fatal(err)
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata[MetaExported] = "discriminator"
	if err := checkpoint.Save(path, f); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), MetaExported) {
		t.Fatalf("Load = %v, want an error naming %s", err, MetaExported)
	}
}

// protoFields returns the length-delimited fields number of the message
// b, as raw bytes, and fails on malformed input.
func protoFields(t *testing.T, b []byte, number protowire.Number) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			t.Fatalf("bad field %d: %v", num, protowire.ParseError(n))
		}
		if num == number && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			out = append(out, v)
		}
		b = b[n:]
	}
	return out
}

// The ONNX model is well-formed protocol buffers with the documented
// inputs, output and metadata, decoded here without an oracle.
func TestONNXInputsOutputsMetadata(t *testing.T) {
	for _, c := range exportCases {
		t.Run(c.name, func(t *testing.T) {
			g := randomGenerator(t, c.spec, true)
			m, err := g.ONNX()
			if err != nil {
				t.Fatal(err)
			}
			b := m.Encode()
			graph := protoFields(t, b, 7)
			if len(graph) != 1 {
				t.Fatalf("%d graphs", len(graph))
			}
			var names []string
			for _, field := range []protowire.Number{11, 12} {
				for _, v := range protoFields(t, graph[0], field) {
					names = append(names, string(protoFields(t, v, 1)[0]))
				}
			}
			want := []string{ONNXNoise, ONNXImages}
			if c.spec.Classes > 0 {
				want = []string{ONNXNoise, ONNXClass, ONNXImages}
			}
			if fmt.Sprint(names) != fmt.Sprint(want) {
				t.Fatalf("inputs and outputs %v, want %v", names, want)
			}
			meta := map[string]string{}
			for _, e := range protoFields(t, b, 14) {
				meta[string(protoFields(t, e, 1)[0])] = string(protoFields(t, e, 2)[0])
			}
			if meta[MetaGenerator] != gan.GeneratorEMAName || meta[MetaStep] != "42" || !strings.Contains(meta[MetaModel], c.spec.Family) {
				t.Fatalf("metadata %v", meta)
			}
			var inits []string
			for _, v := range protoFields(t, graph[0], 5) {
				inits = append(inits, string(protoFields(t, v, 8)[0]))
			}
			for name := range nn.StateDict(g.Net) {
				if !strings.HasSuffix(name, "num_batches_tracked") && !strings.Contains(strings.Join(inits, " ")+" ", name+" ") {
					t.Fatalf("weight %q not among the initializers %v", name, inits)
				}
			}
		})
	}
}

// oracleDir is where .ci/run installs onnxruntime-node, relative to this
// package.
const oracleDir = "../.oracle/node_modules"

// pythonONNX returns the Python that has the onnx package, or skips.
func pythonONNX(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		t.Skipf("the ONNX checker is absent (%s with python3-onnx; .ci/run installs it): %v", py, err)
	}
	return py
}

// nodeORT returns node and the NODE_PATH of onnxruntime-node, or skips.
func nodeORT(t *testing.T) (string, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("onnxruntime-node is absent: no node on PATH (.ci/run installs nodejs)")
	}
	dir, err := filepath.Abs(oracleDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "onnxruntime-node")); err != nil {
		t.Skipf("onnxruntime-node is absent from %s (npm install --ignore-scripts --prefix .oracle onnxruntime-node; .ci/run does)", dir)
	}
	return node, dir
}

// ortTensor is a tensor as ort.cjs reads and writes it.
type ortTensor struct {
	Type string    `json:"type,omitempty"`
	Dims []int     `json:"dims"`
	Data []float64 `json:"data"`
}

// Every exported model passes the ONNX checker with full shape inference,
// and onnxruntime gives nash's own samples for the same latent vectors
// and classes to 1e-4, at two batch sizes (the batch is dynamic).
func TestONNXMatchesRuntime(t *testing.T) {
	py := pythonONNX(t)
	node, modules := nodeORT(t)
	dir := t.TempDir()
	cases := map[string]*Generator{"layers": layersGenerator(), "translator": translator()}
	for _, c := range exportCases {
		cases[c.name] = randomGenerator(t, c.spec, false)
	}
	for name, g := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".onnx")
			if err := g.WriteONNX(path); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, "testdata/check_onnx.py", path).CombinedOutput()
			if err != nil {
				t.Fatalf("onnx checker: %v\n%s", err, out)
			}
			t.Logf("%s", bytes.TrimSpace(out))
			var feeds []map[string]ortTensor
			var want []*tensor.Tensor
			for _, n := range []int{1, 7} {
				z, y := inputs(g, n, uint64(n))
				x, err := g.Sample(z, y)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, x)
				feed := map[string]ortTensor{ONNXNoise: {Type: "float32", Dims: z.Shape(), Data: float64s(z.Data())}}
				if g.Spec.Data == data.Unpaired {
					feed = map[string]ortTensor{ONNXSource: {Type: "float32", Dims: x.Shape(), Data: float64s(z.Data())}}
				}
				if y != nil {
					feed[ONNXClass] = ortTensor{Type: "int64", Dims: []int{n}, Data: float64s(y.Data())}
				}
				feeds = append(feeds, feed)
			}
			in, out1 := filepath.Join(dir, name+".in.json"), filepath.Join(dir, name+".out.json")
			b, err := json.Marshal(feeds)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(in, b, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(node, "testdata/ort.cjs", path, in, out1)
			cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("onnxruntime-node: %v\n%s", err, out)
			}
			b, err = os.ReadFile(out1)
			if err != nil {
				t.Fatal(err)
			}
			var got []map[string]ortTensor
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				o := got[i][ONNXImages]
				if fmt.Sprint(o.Dims) != fmt.Sprint(w.Shape()) {
					t.Fatalf("batch %d: onnxruntime's shape %v, nash's %v", i, o.Dims, w.Shape())
				}
				worst := 0.0
				for k, v := range w.Data() {
					worst = math.Max(worst, math.Abs(float64(v)-o.Data[k]))
				}
				if worst > 1e-4 {
					t.Fatalf("batch %d: onnxruntime differs from nash by %g", i, worst)
				}
				t.Logf("batch of %d: max |nash − onnxruntime| = %.2g", w.Dim(0), worst)
			}
		})
	}
}

// translator is a translation run's G_B (CycleGAN's ResNet generator:
// reflection padding, instance normalisation, transposed convolutions,
// residual blocks, Tanh) of RGB 12×12 images with random weights, as
// infer loads it from a checkpoint.
func translator() *Generator {
	rng := tensor.NewRNG(4, "init")
	net := models.NewResnetGenerator(3, 3, 4, 2, rng)
	for _, p := range net.Parameters() {
		rng.Uniform(p.Value, -0.3, 0.3)
	}
	spec := models.Spec{Family: "cyclegan", Data: data.Unpaired, Sample: models.Shape{C: 3, H: 12, W: 12}, ZDim: 3 * 12 * 12,
		CycleGAN: models.CycleGANSpec{NGF: 4, NDF: 4, Blocks: 2, DLayers: 1}}
	return &Generator{Net: net, Spec: spec, Step: 42, Dataset: "folder", Config: "dataset: folder\nmodel: cyclegan\n", name: "G_B"}
}

// A translator's ONNX model takes images, ONNXSource [batch, C, H, W], to
// images, and names the network it was exported from.
func TestTranslatorONNX(t *testing.T) {
	m, err := translator().ONNX()
	if err != nil {
		t.Fatal(err)
	}
	b := m.Encode()
	graph := protoFields(t, b, 7)[0]
	var names []string
	for _, field := range []protowire.Number{11, 12} {
		for _, v := range protoFields(t, graph, field) {
			names = append(names, string(protoFields(t, v, 1)[0]))
		}
	}
	if fmt.Sprint(names) != fmt.Sprint([]string{ONNXSource, ONNXImages}) {
		t.Fatalf("inputs and outputs %v, want %s and %s", names, ONNXSource, ONNXImages)
	}
	meta := map[string]string{}
	for _, e := range protoFields(t, b, 14) {
		meta[string(protoFields(t, e, 1)[0])] = string(protoFields(t, e, 2)[0])
	}
	if meta[MetaGenerator] != "G_B" || !strings.Contains(m.Doc, "G_B (images of the other domain [batch, 3, 12, 12]") {
		t.Fatalf("metadata %v, description %q", meta, m.Doc)
	}
}

// layersGenerator is a generator made of the layers no generator of
// nash's families uses yet (Conv2d, Sigmoid, Dropout, Flatten, BatchNorm1d),
// so that their ONNX forms are checked too.
func layersGenerator() *Generator {
	rng := tensor.NewRNG(3, "init")
	bn := nn.NewBatchNorm1d(16)
	rng.Uniform(bn.RunningMean, -0.5, 0.5)
	rng.Uniform(bn.RunningVar, 0.5, 2)
	net := nn.NewSequential(nn.NewLinear(8, 2*6*6, true, rng), nn.Unflatten{Dim: 1, Shape: []int{2, 6, 6}},
		nn.NewConv2d(2, 3, 3, 2, 1, true, rng), nn.Sigmoid{}, nn.NewDropout(0.5, rng), nn.Flatten{},
		nn.NewLinear(27, 16, false, rng), bn, nn.Tanh{})
	return &Generator{Net: net, Spec: models.Spec{Family: "mlp", Data: data.Images, Sample: models.Shape{C: 1, H: 4, W: 4}, ZDim: 8}}
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// SampleEach hands over the samples of every row, in batches of
// sampleBatch, equal bit for bit to Sample's; it stops at f's first
// error and refuses noise of the wrong shape.
func TestSampleEach(t *testing.T) {
	g := randomGenerator(t, exportCases[5].spec, false) // conditional MLP
	const n = 2*sampleBatch + 7
	z, y := inputs(g, n, 1)
	want, err := g.Sample(z, y)
	if err != nil {
		t.Fatal(err)
	}
	var los []int
	got := make([]float32, 0, want.Len())
	err = g.SampleEach(z, y, func(lo int, x *tensor.Tensor) error {
		los = append(los, lo)
		got = append(got, x.Data()...)
		return nil
	})
	if err != nil || fmt.Sprint(los) != fmt.Sprint([]int{0, sampleBatch, 2 * sampleBatch}) || sameBits(got, want.Data()) >= 0 {
		t.Fatalf("batches at %v (%v), or samples that differ from Sample's", los, err)
	}
	stop := fmt.Errorf("stop")
	calls := 0
	if err := g.SampleEach(z, y, func(int, *tensor.Tensor) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("SampleEach = %v after %d calls, want f's error after 1", err, calls)
	}
	for _, c := range []struct {
		z, y *tensor.Tensor
		want string
	}{
		{tensor.New(3, 7), gan.ClassLabels(3, 1), "noise of shape [3 7]"},
		{tensor.New(3, 100), nil, "each sample needs a class"},
		{tensor.New(3, 100), gan.ClassLabels(3, 10), "not a class in [0, 10)"},
	} {
		err := g.SampleEach(c.z, c.y, func(int, *tensor.Tensor) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SampleEach: error %v, want %q", err, c.want)
		}
	}
}
