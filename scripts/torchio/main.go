// Command torchio writes, for the last checkpoint of a nash run, one
// safetensors file per network holding its weights (under "generator." or
// "discriminator."), a fixed "input" batch and nash's "output" for it, so
// that scripts/torch_check.py can load the weights into torch.nn and compare
// outputs:
//
//	go run ./scripts/torchio -run DIR -out /tmp/check
//	/usr/bin/python3 scripts/torch_check.py check /tmp/check/generator.safetensors --prefix generator. \
//	    --model "Linear(100,256), LeakyReLU(0.2), Linear(256,512), LeakyReLU(0.2), Linear(512,784), Tanh()"
//	/usr/bin/python3 scripts/torch_check.py check /tmp/check/discriminator.safetensors --prefix discriminator. \
//	    --model "Linear(784,512), LeakyReLU(0.2), Linear(512,256), LeakyReLU(0.2), Linear(256,1)"
//
// For a conditional run the files also hold the int64 "labels" of the
// batch (sample i of class i mod K), which torch_check.py passes to the
// conditional generator (--classes K) or the projection discriminator
// (--classes K --head …); see torch_check.py.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/train"
)

func main() {
	run := flag.String("run", "", "nash run directory")
	out := flag.String("out", "", "folder for generator.safetensors and discriminator.safetensors")
	n := flag.Int("n", 16, "batch size of the check")
	flag.Parse()
	if err := export(*run, *out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "torchio:", err)
		os.Exit(1)
	}
}

func export(run, out string, n int) error {
	c, err := train.LoadCheckpoint(run, "last")
	if err != nil {
		return err
	}
	g, ok := c.Game.(*gan.GAN)
	if !ok {
		return fmt.Errorf("%s: torchio checks the classic game's generator and discriminator, not %T", run, c.Game)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	z := g.Noise(n, tensor.NewRNG(1, "torchio"))
	tp := autograd.NewTape()
	tp.SetGrad(false)
	// Evaluation mode, as torch_check.py runs the networks: BatchNorm uses
	// its running statistics.
	tp.SetTraining(false)
	var fake, logits, labels *tensor.Tensor
	if g.Classes > 0 {
		labels = gan.CycleLabels(n, g.Classes)
		fake = g.SampleClasses(z, labels)
		logits = g.D.(gan.Conditional).ForwardClasses(tp, autograd.Const(fake), autograd.Const(labels)).Value
	} else {
		fake = g.Sample(z)
		logits = g.D.Forward(tp, autograd.Const(fake)).Value
	}
	for _, net := range []struct {
		name          string
		m             nn.Module
		input, output *tensor.Tensor
	}{{"generator", g.G, z, fake}, {"discriminator", g.D, fake, logits}} {
		var f checkpoint.File
		f.SetStateDict(net.name+".", nn.StateDict(net.m))
		f.Set("input", net.input)
		f.Set("output", net.output)
		if labels != nil {
			y := make([]int64, n)
			for i, v := range labels.Data() {
				y[i] = int64(v)
			}
			f.SetInt64("labels", y, n)
		}
		path := filepath.Join(out, net.name+".safetensors")
		if err := checkpoint.Save(path, &f); err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}
