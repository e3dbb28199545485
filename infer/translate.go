package infer

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// blockName matches the tensors of a ResNet generator's residual blocks.
var blockName = regexp.MustCompile(`^model\.(\d+)\.conv_block\.`)

// LoadRelease loads a ResNet generator of the CycleGAN authors' release
// (latest_net_G_A.pth, converted to safetensors by scripts/torch_cyclegan.py
// convert: its state dict, model.1.weight …) as a translator of size×size
// images: its channels, width and residual blocks are read from the
// tensors' shapes, and the tensors must load strictly.
func LoadRelease(path string, size int) (*Generator, error) {
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	sd, err := f.StateDict("")
	if err != nil {
		return nil, err
	}
	first, ok := sd["model.1.weight"]
	if !ok || first.Dims() != 4 {
		return nil, fmt.Errorf("%s: no model.1.weight [ngf, C, 7, 7]: not a ResNet generator of the reference release", path)
	}
	ngf, c := first.Dim(0), first.Dim(1)
	blocks := map[int]bool{}
	for name := range sd {
		if m := blockName.FindStringSubmatch(name); m != nil {
			i, _ := strconv.Atoi(m[1])
			blocks[i] = true
		}
	}
	spec := models.Spec{Family: "cyclegan", Data: data.Unpaired, Sample: models.Shape{C: c, H: size, W: size}, ZDim: c * size * size,
		CycleGAN: models.CycleGANSpec{NGF: ngf, Blocks: len(blocks), NDF: 1, DLayers: 1}}
	if err := models.CheckCycleGAN(spec.Sample, spec.CycleGAN); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g := models.NewResnetGenerator(c, c, ngf, len(blocks), tensor.NewRNG(0, "init"))
	if err := nn.LoadStateDict(g, sd); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Generator{Net: g, Spec: spec}, nil
}
