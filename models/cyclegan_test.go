package models

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

func cycleSpec(c, side int, sizes CycleGANSpec) Spec {
	return Spec{Family: "cyclegan", Data: data.Unpaired, Sample: Shape{C: c, H: side, W: side}, CycleGAN: sizes}
}

// TestCycleGANNames checks the reference release's state-dict names and
// shapes, and the networks' output shapes: the generator keeps the image's
// shape, the PatchGAN gives a map of scores.
func TestCycleGANNames(t *testing.T) {
	nets, err := Build(cycleSpec(3, 32, CycleGANSpec{NGF: 8, Blocks: 6, NDF: 8, DLayers: 3}), tensor.NewRNG(1, "init"))
	if err != nil {
		t.Fatal(err)
	}
	g, d := nets[CycleGA], nets[CycleDA]
	shapes := parameterShapes(g)
	for name, want := range map[string][]int{
		"model.1.weight":               {8, 3, 7, 7},
		"model.4.weight":               {16, 8, 3, 3},
		"model.7.weight":               {32, 16, 3, 3},
		"model.10.conv_block.1.weight": {32, 32, 3, 3},
		"model.15.conv_block.5.bias":   {32},
		"model.16.weight":              {32, 16, 3, 3},
		"model.19.weight":              {16, 8, 3, 3},
		"model.23.weight":              {3, 8, 7, 7},
		"model.23.bias":                {3},
	} {
		if !reflect.DeepEqual(shapes[name], want) {
			t.Errorf("G %s has shape %v, want %v", name, shapes[name], want)
		}
	}
	if len(shapes) != 2*3+6*4+2*2+2 {
		t.Errorf("G has %d tensors: %v", len(shapes), shapes)
	}
	dshapes := parameterShapes(d)
	for name, want := range map[string][]int{
		"model.0.weight": {8, 3, 4, 4}, "model.2.weight": {16, 8, 4, 4}, "model.5.weight": {32, 16, 4, 4},
		"model.8.weight": {64, 32, 4, 4}, "model.11.weight": {1, 64, 4, 4}, "model.11.bias": {1},
	} {
		if !reflect.DeepEqual(dshapes[name], want) {
			t.Errorf("D %s has shape %v, want %v", name, dshapes[name], want)
		}
	}
	x := autograd.Const(tensor.New(2, 3, 32, 32))
	tp := autograd.NewTape()
	if s := g.Forward(tp, x).Shape(); !reflect.DeepEqual(s, []int{2, 3, 32, 32}) {
		t.Errorf("G output %v", s)
	}
	if s := d.Forward(tp, x).Shape(); !reflect.DeepEqual(s, []int{2, 1, 2, 2}) {
		t.Errorf("D output %v", s)
	}
}

func parameterShapes(m nn.Module) map[string][]int {
	out := map[string][]int{}
	for _, p := range m.Parameters() {
		out[p.Name] = p.Shape()
	}
	return out
}

// TestCycleGANRefusesSizes checks that every size the networks cannot
// take is refused naming the setting.
func TestCycleGANRefusesSizes(t *testing.T) {
	ok := CycleGANSpec{NGF: 8, Blocks: 2, NDF: 8, DLayers: 3}
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{cycleSpec(3, 30, ok), "image_size: 30×30"},
		{cycleSpec(2, 32, ok), "2 channels"},
		{cycleSpec(3, 16, ok), "n_layers_d"},
		{cycleSpec(3, 32, CycleGANSpec{NGF: 0, Blocks: 2, NDF: 8, DLayers: 3}), "ngf"},
		{cycleSpec(3, 32, CycleGANSpec{NGF: 8, Blocks: -1, NDF: 8, DLayers: 3}), "n_blocks"},
	} {
		if _, err := Build(c.spec, tensor.NewRNG(1, "init")); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %q", c.spec.Sample, err, c.want)
		}
	}
}
