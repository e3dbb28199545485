package infer

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/onnx"
)

// MetaExported marks a safetensors file written by WriteSafetensors: the
// generator alone, its tensors under their PyTorch names with no prefix.
// Its value is the network the weights came from, generator or
// generator_ema.
const MetaExported = "exported_from"

// The names of the exported ONNX model's inputs and output.
const (
	// ONNXNoise is the noise input, float32 [batch, z_dim].
	ONNXNoise = "z"
	// ONNXClass is a conditional generator's class input, int64 [batch].
	ONNXClass = "class"
	// ONNXImages is the output, float32 [batch, C, H, W] in [−1, 1].
	ONNXImages = "images"
	// ONNXSource is a translator's input (a translation run's G_A or
	// G_B): images of the other domain, float32 [batch, C, H, W] in
	// [−1, 1].
	ONNXSource = "source"
	// onnxBatch names the dynamic batch dimension.
	onnxBatch = "batch"
)

// Producer names nash in the files it exports.
const Producer = "nash"

// network returns the name of the network g's weights come from.
func (g *Generator) network() string {
	if g.name != "" {
		return g.name
	}
	if g.EMA {
		return gan.GeneratorEMAName
	}
	return gan.GeneratorName
}

// metadata returns what describes g, under the checkpoint's metadata keys.
func (g *Generator) metadata() (map[string]string, error) {
	spec, err := json.Marshal(g.Spec)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{
		MetaModel:     string(spec),
		MetaStep:      strconv.Itoa(g.Step),
		MetaExported:  g.network(),
		MetaGenerator: g.network(),
		metaConfig:    g.Config,
	}
	if g.Spec.Classes > 0 {
		names, err := json.Marshal(g.ClassNames)
		if err != nil {
			return nil, err
		}
		meta[MetaClasses] = string(names)
	}
	return meta, nil
}

// WriteSafetensors writes the generator alone to path: its parameters and
// buffers under their PyTorch state-dict names ("0.weight", or
// "embed.weight" and "net.0.weight" for a conditional generator), so
// torch's load_state_dict reads them, and the metadata that describes it,
// so that Load reads it back.
func (g *Generator) WriteSafetensors(path string) error {
	meta, err := g.metadata()
	if err != nil {
		return err
	}
	f := &checkpoint.File{Metadata: meta}
	for name, t := range nn.StateDict(g.Net) {
		// num_batches_tracked is an int64 scalar, as PyTorch keeps it
		// (and as train writes checkpoints).
		if strings.HasSuffix(name, ".num_batches_tracked") {
			f.SetInt64(name, []int64{int64(t.Item())})
			continue
		}
		f.Set(name, t)
	}
	return checkpoint.Save(path, f)
}

// ONNX returns the generator as an ONNX model: inputs ONNXNoise (and
// ONNXClass for a conditional generator; ONNXSource for a translator
// instead) and output ONNXImages, each with
// a dynamic batch dimension, its weights under their PyTorch names (the
// moving average's when g holds it), and the metadata that describes it
// (the checkpoint's keys: model, step, generator, class_names, config).
func (g *Generator) ONNX() (*onnx.Model, error) {
	gr := onnx.NewGraph("nash_generator")
	batch := onnx.Dim{Param: onnxBatch}
	s := g.Spec.Sample
	images := []onnx.Dim{batch, {Size: int64(s.C)}, {Size: int64(s.H)}, {Size: int64(s.W)}}
	var x string
	var err error
	switch {
	case g.Spec.Data == data.Unpaired:
		src := gr.Input(onnx.Value{Name: ONNXSource, Type: onnx.Float, Dims: images})
		x, err = onnx.Export(gr, g.Net, "", src)
	case g.Spec.Classes > 0:
		z := gr.Input(onnx.Value{Name: ONNXNoise, Type: onnx.Float, Dims: []onnx.Dim{batch, {Size: int64(g.Spec.ZDim)}}})
		c, ok := g.Net.(onnx.ConditionalExporter)
		if !ok {
			return nil, fmt.Errorf("onnx: the conditional generator %T cannot be exported", g.Net)
		}
		y := gr.Input(onnx.Value{Name: ONNXClass, Type: onnx.Int64, Dims: []onnx.Dim{batch}})
		x, err = c.ExportONNXClasses(gr, "", z, y)
	default:
		z := gr.Input(onnx.Value{Name: ONNXNoise, Type: onnx.Float, Dims: []onnx.Dim{batch, {Size: int64(g.Spec.ZDim)}}})
		x, err = onnx.Export(gr, g.Net, "", z)
	}
	if err != nil {
		return nil, err
	}
	dims := []int64{-1, int64(s.C), int64(s.H), int64(s.W)}
	x = gr.Node("Reshape", "images", []string{x, gr.Int64s("images_shape", dims...)})
	gr.Output(x, onnx.Value{Name: ONNXImages, Type: onnx.Float, Dims: images})
	meta, err := g.metadata()
	if err != nil {
		return nil, err
	}
	return &onnx.Model{Graph: gr, Producer: Producer, Doc: g.describe(), Metadata: meta}, nil
}

// describe says what the generator is in one sentence.
func (g *Generator) describe() string {
	s := g.Spec
	in := fmt.Sprintf("z [batch, %d] from N(0, 1)", s.ZDim)
	if s.Data == data.Unpaired {
		in = fmt.Sprintf("%s (images of the other domain [batch, %d, %d, %d] in [-1, 1])", g.name, s.Sample.C, s.Sample.H, s.Sample.W)
	}
	if s.Classes > 0 {
		in += fmt.Sprintf(" and class [batch] in [0, %d)", s.Classes)
	}
	weights := "G"
	if g.EMA {
		weights = "the moving average of G"
	}
	return fmt.Sprintf("nash %s generator of %s: %s to images [batch, %d, %d, %d] in [-1, 1]; %s after %d steps",
		s.Family, describeData(g), in, s.Sample.C, s.Sample.H, s.Sample.W, weights, g.Step)
}

// describeData names the data the generator was trained on.
func describeData(g *Generator) string {
	if g.Dataset == "" {
		return string(g.Spec.Data)
	}
	return g.Dataset
}

// WriteONNX writes the generator's ONNX model (ONNX) to path, atomically.
func (g *Generator) WriteONNX(path string) error {
	m, err := g.ONNX()
	if err != nil {
		return err
	}
	b := m.Encode()
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
