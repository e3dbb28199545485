package infer_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"

	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/tensor"
)

// The directory of a conditional run of the recipe MLP on MNIST, written by
// nash train --conditional.
const run = "../testdata/runs-v1/cond"

// Load a run's generator and draw samples of one class from a seed, as
// nash sample --seed 7 --class 3 does; each sample is a picture.
func Example() {
	g, err := infer.LoadRun(run, "last")
	if err != nil {
		log.Fatal(err)
	}
	x, err := g.Samples(4, 7, 3) // 4 samples, seed 7, class 3
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Spec.Family, g.Spec.ZDim, g.ClassNames[3], x.Shape())
	fmt.Println(infer.Image(x, 0).Bounds())
	// Output:
	// mlp 100 3 [4 1 28 28]
	// (0,0)-(28,28)
}

// Generate from latent vectors of your own and the classes you choose.
func ExampleGenerator_Sample() {
	g, err := infer.LoadRun(run, "last")
	if err != nil {
		log.Fatal(err)
	}
	z := tensor.New(2, g.Spec.ZDim) // two latent vectors: zeros, and ones
	for i := g.Spec.ZDim; i < 2*g.Spec.ZDim; i++ {
		z.Data()[i] = 1
	}
	classes := tensor.FromSlice([]float32{0, 9}, 2)
	x, err := g.Sample(z, classes)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.Shape())
	_, err = g.Sample(tensor.New(1, 5), nil)
	fmt.Println(err)
	// Output:
	// [2 1 28 28]
	// noise of shape [1 5], the generator takes [n, 100]
}

// A Generator is safe for concurrent use: many goroutines may sample it at
// once, each getting what it would get alone.
func ExampleGenerator_Samples_concurrent() {
	g, err := infer.LoadRun(run, "last")
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	shapes := make([][]int, 4)
	for i := range shapes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x, err := g.Samples(8, uint64(i), -1) // class −1: sample j of class j mod 10
			if err != nil {
				log.Fatal(err)
			}
			shapes[i] = x.Shape()
		}()
	}
	wg.Wait()
	fmt.Println(shapes)
	// Output:
	// [[8 1 28 28] [8 1 28 28] [8 1 28 28] [8 1 28 28]]
}

// Export the generator alone (nash export --format safetensors) and load
// it back: the weights under PyTorch's names, with what describes them.
func ExampleLoad() {
	g, err := infer.LoadRun(run, "last")
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "nash")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "generator.safetensors")
	if err := g.WriteSafetensors(path); err != nil {
		log.Fatal(err)
	}
	h, err := infer.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Spec.Family, h.Spec.Classes, h.Step == g.Step, h.Dataset)
	// Output:
	// mlp 10 true mnist
}

// Export the generator as an ONNX model for onnxruntime and other runtimes.
func ExampleGenerator_ONNX() {
	g, err := infer.LoadRun(run, "last")
	if err != nil {
		log.Fatal(err)
	}
	m, err := g.ONNX()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Doc)
	// Output:
	// nash mlp generator of mnist: z [batch, 100] from N(0, 1) and class [batch] in [0, 10) to images [batch, 1, 28, 28] in [-1, 1]; G after 100 steps
}
