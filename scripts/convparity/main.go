// Command convparity runs nash's Conv2d, ConvTranspose2d and BatchNorm
// layers on the cases in a safetensors file written by
// scripts/torch_conv_check.py and writes their outputs, gradients and
// running statistics for that script to compare with PyTorch's:
//
//	go run ./scripts/convparity -in cases.safetensors -out nash.safetensors
//
// The input's metadata "cases" is a JSON list of layer descriptions; for a
// case named c the file holds c.x (input), c.gy (the weight of each output
// in the loss Σ gy ⊙ y) and the layer's state dict under "c.". The output
// holds c.y, c.dx and c.d<parameter> for each parameter, and for BatchNorm
// the running statistics after the forward pass under their state dict
// names.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// layerCase describes one layer as torch constructs it.
type layerCase struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"` // Conv2d, ConvTranspose2d, BatchNorm1d or BatchNorm2d
	In            int    `json:"in"`
	Out           int    `json:"out"`
	Kernel        int    `json:"kernel"`
	Stride        int    `json:"stride"`
	Padding       int    `json:"padding"`
	OutputPadding int    `json:"output_padding"`
	Bias          bool   `json:"bias"`
	Training      bool   `json:"training"`
}

func main() {
	in := flag.String("in", "", "safetensors file of cases from torch_conv_check.py")
	out := flag.String("out", "", "safetensors file for nash's results")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "convparity:", err)
		os.Exit(1)
	}
}

func run(inPath, outPath string) error {
	f, err := checkpoint.Load(inPath)
	if err != nil {
		return err
	}
	var cases []layerCase
	if err := json.Unmarshal([]byte(f.Metadata["cases"]), &cases); err != nil {
		return fmt.Errorf("%s: metadata \"cases\": %w", inPath, err)
	}
	var res checkpoint.File
	for _, c := range cases {
		if err := runCase(f, &res, c); err != nil {
			return fmt.Errorf("%s: case %q: %w", inPath, c.Name, err)
		}
	}
	return checkpoint.Save(outPath, &res)
}

// build returns the layer c describes, with weights to be loaded.
func build(c layerCase) (nn.Module, error) {
	rng := tensor.NewRNG(1, "convparity")
	switch c.Kind {
	case "Conv2d":
		return nn.NewConv2d(c.In, c.Out, c.Kernel, c.Stride, c.Padding, c.Bias, rng), nil
	case "ConvTranspose2d":
		return nn.NewConvTranspose2d(c.In, c.Out, c.Kernel, c.Stride, c.Padding, c.OutputPadding, c.Bias, rng), nil
	case "BatchNorm1d", "BatchNorm2d":
		bn := nn.NewBatchNorm2d(c.In)
		if c.Kind == "BatchNorm1d" {
			bn = nn.NewBatchNorm1d(c.In)
		}
		return bn, nil
	}
	return nil, fmt.Errorf("unknown kind %q", c.Kind)
}

func runCase(f *checkpoint.File, res *checkpoint.File, c layerCase) error {
	m, err := build(c)
	if err != nil {
		return err
	}
	prefix := c.Name + "."
	all, err := f.StateDict(prefix)
	if err != nil {
		return err
	}
	x, gy := all["x"], all["gy"]
	if x == nil || gy == nil {
		return fmt.Errorf("missing %sx or %sgy", prefix, prefix)
	}
	sd := make(map[string]*tensor.Tensor)
	for name, t := range all {
		if name != "x" && name != "gy" {
			sd[name] = t
		}
	}
	if err := nn.LoadStateDict(m, sd); err != nil {
		return err
	}
	tp := autograd.NewTape()
	tp.SetTraining(c.Training)
	xv := autograd.NewVar(x, true)
	y := m.Forward(tp, xv)
	if !y.Value.SameShape(gy) {
		return fmt.Errorf("output shape %v, gy %v", y.Shape(), gy.Shape())
	}
	params := m.Parameters()
	wrt := append([]*autograd.Var{xv}, nn.Vars(params)...)
	grads := tp.Grad([]*autograd.Var{tp.Sum(tp.Mul(y, autograd.Const(gy)))}, nil, wrt, false)
	res.Set(prefix+"y", y.Value.Clone())
	res.Set(prefix+"dx", grads[0].Value.Clone())
	for i, p := range params {
		res.Set(prefix+"d"+p.Name, grads[i+1].Value.Clone())
	}
	if bh, ok := m.(nn.BufferHolder); ok {
		for _, b := range bh.Buffers() {
			if strings.HasPrefix(b.Name, "running_") {
				res.Set(prefix+b.Name, b.Value.Clone())
			}
		}
	}
	return nil
}
