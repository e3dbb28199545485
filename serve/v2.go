package serve

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/tensor"
)

// The Open Inference Protocol (version 2, as KServe, Triton and Seldon
// speak it) over JSON: tensors are {name, shape, datatype, data}, where
// data is the row-major values, flat or nested.

// v2Tensor is a tensor of an inference request or response.
type v2Tensor struct {
	Name       string          `json:"name"`
	Shape      []int           `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// v2Request is the body of POST /v2/models/{name}/infer.
type v2Request struct {
	ID         string          `json:"id,omitempty"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Inputs     []v2Tensor      `json:"inputs"`
	Outputs    []struct {
		Name       string          `json:"name"`
		Parameters json.RawMessage `json:"parameters,omitempty"`
	} `json:"outputs,omitempty"`
}

// v2Output is a tensor of a response, its data flat.
type v2Output struct {
	Name     string    `json:"name"`
	Shape    []int     `json:"shape"`
	Datatype string    `json:"datatype"`
	Data     []float32 `json:"data"`
}

// v2Response is the body answering an inference request.
type v2Response struct {
	ModelName    string     `json:"model_name"`
	ModelVersion string     `json:"model_version,omitempty"`
	ID           string     `json:"id,omitempty"`
	Outputs      []v2Output `json:"outputs"`
}

// v2TensorMeta describes an input or output in the model's metadata.
type v2TensorMeta struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// v2Metadata is GET /v2/models/{name}'s answer.
type v2Metadata struct {
	Name     string         `json:"name"`
	Versions []string       `json:"versions"`
	Platform string         `json:"platform"`
	Inputs   []v2TensorMeta `json:"inputs"`
	Outputs  []v2TensorMeta `json:"outputs"`
}

// v2Meta returns the metadata of g served as name: the inputs and output
// of its ONNX export, −1 for the batch.
func v2Meta(name string, g *infer.Generator) v2Metadata {
	s := g.Spec
	in := []v2TensorMeta{{Name: infer.ONNXNoise, Datatype: "FP32", Shape: []int{-1, s.ZDim}}}
	if s.Classes > 0 {
		in = append(in, v2TensorMeta{Name: infer.ONNXClass, Datatype: "INT64", Shape: []int{-1}})
	}
	return v2Metadata{Name: name, Versions: []string{strconv.Itoa(g.Step)}, Platform: "nash",
		Inputs:  in,
		Outputs: []v2TensorMeta{{Name: infer.ONNXImages, Datatype: "FP32", Shape: []int{-1, s.Sample.C, s.Sample.H, s.Sample.W}}}}
}

// flatten returns the numbers of data, a JSON array nested to any depth,
// refusing more than max of them. The error is in words.
func flatten(data json.RawMessage, max int) ([]float64, string) {
	var dst []float64
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, "malformed data"
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '[' {
				depth++
				if depth > 8 {
					return nil, "data nested deeper than 8"
				}
			} else {
				depth--
			}
		case json.Number:
			if depth == 0 {
				return nil, "data must be an array"
			}
			v, err := t.Float64()
			if err != nil {
				return nil, "a value of data is not a finite number"
			}
			if len(dst) >= max {
				return nil, "more values in data than its shape allows"
			}
			dst = append(dst, v)
		default:
			return nil, "data holds something other than numbers"
		}
		if depth == 0 {
			if _, err := dec.Token(); err == nil {
				return nil, "data after the array"
			}
			return dst, ""
		}
	}
}

// decodeV2 reads an inference request for g: the input z [n, ZDim] and,
// for a conditional generator, class [n].
func decodeV2(body []byte, g *infer.Generator, lim limits) (id string, z, labels *tensor.Tensor, err error) {
	var r v2Request
	if err := decodeJSON(body, &r); err != nil {
		return "", nil, nil, err
	}
	for _, o := range r.Outputs {
		if o.Name != infer.ONNXImages {
			return "", nil, nil, badField("outputs", "unknown output %q, the model's output is %q", o.Name, infer.ONNXImages)
		}
	}
	d := g.Spec.ZDim
	var ys []int
	n := -1
	for _, in := range r.Inputs {
		switch in.Name {
		case infer.ONNXNoise:
			if z != nil {
				return "", nil, nil, badField("inputs", "input %q given twice", in.Name)
			}
			if in.Datatype != "FP32" && in.Datatype != "FP64" {
				return "", nil, nil, badField("inputs.z.datatype", "%q, want FP32", in.Datatype)
			}
			if len(in.Shape) != 2 || in.Shape[1] != d || in.Shape[0] < 1 || in.Shape[0] > lim.maxN {
				return "", nil, nil, badField("inputs.z.shape", "%v, want [n, %d] with n from 1 to %d", in.Shape, d, lim.maxN)
			}
			vals, msg := flatten(in.Data, in.Shape[0]*d)
			if msg != "" {
				return "", nil, nil, badField("inputs.z.data", "%s", msg)
			}
			if len(vals) != in.Shape[0]*d {
				return "", nil, nil, badField("inputs.z.data", "%d values for shape %v", len(vals), in.Shape)
			}
			n = in.Shape[0]
			z = tensor.New(n, d)
			for i, v := range vals {
				if math.Abs(v) > math.MaxFloat32 {
					return "", nil, nil, badField("inputs.z.data", "value %d is %g, beyond float32", i, v)
				}
				z.Data()[i] = float32(v)
			}
		case infer.ONNXClass:
			if ys != nil {
				return "", nil, nil, badField("inputs", "input %q given twice", in.Name)
			}
			if in.Datatype != "INT64" && in.Datatype != "INT32" {
				return "", nil, nil, badField("inputs.class.datatype", "%q, want INT64", in.Datatype)
			}
			if len(in.Shape) != 1 || in.Shape[0] < 1 || in.Shape[0] > lim.maxN {
				return "", nil, nil, badField("inputs.class.shape", "%v, want [n] with n from 1 to %d", in.Shape, lim.maxN)
			}
			vals, msg := flatten(in.Data, in.Shape[0])
			if msg != "" {
				return "", nil, nil, badField("inputs.class.data", "%s", msg)
			}
			if len(vals) != in.Shape[0] {
				return "", nil, nil, badField("inputs.class.data", "%d values for shape %v", len(vals), in.Shape)
			}
			ys = make([]int, len(vals))
			for i, v := range vals {
				if v != math.Trunc(v) || math.Abs(v) > 1<<31 {
					return "", nil, nil, badField("inputs.class.data", "value %d is %g, not a class", i, v)
				}
				ys[i] = int(v)
			}
		default:
			return "", nil, nil, badField("inputs", "unknown input %q (the model takes %q%s)", in.Name, infer.ONNXNoise, classNote(g))
		}
	}
	if z == nil {
		return "", nil, nil, badField("inputs", "missing input %q", infer.ONNXNoise)
	}
	labels, err = classes(g, ys, n, "inputs.class")
	return r.ID, z, labels, err
}

// classNote names the class input of a conditional generator.
func classNote(g *infer.Generator) string {
	if g.Spec.Classes > 0 {
		return " and " + strconv.Quote(infer.ONNXClass)
	}
	return ""
}
