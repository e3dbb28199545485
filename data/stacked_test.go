package data

import (
	"bytes"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// Stacked MNIST stacks three MNIST digits, drawn from the 70,000 of the
// training and test sets with the stream given, in the channels of a
// 28×28 image: the same stream gives the same images, another other ones.
func TestStackedMNIST(t *testing.T) {
	const n = 40
	a, err := StackedMNIST("", n, tensor.NewRNG(1, "data/stacked-mnist"))
	if err != nil {
		t.Fatal(err)
	}
	if a.N != n || a.C != 3 || a.H != 28 || a.W != 28 || len(a.Pixels) != n*3*28*28 || a.Name != StackedMNISTName {
		t.Fatalf("dataset %s of %d images %d×%d×%d, %d bytes", a.Name, a.N, a.C, a.H, a.W, len(a.Pixels))
	}
	train, err := Load("mnist", "", "train")
	if err != nil {
		t.Fatal(err)
	}
	test, err := Load("mnist", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(1, "data/stacked-mnist")
	fromTest := 0
	for i := range n {
		for c := range 3 {
			var want []uint8
			if k := rng.IntN(70000); k < 60000 {
				want = train.Image(k)
			} else {
				want, fromTest = test.Image(k-60000), fromTest+1
			}
			if got := a.Pixels[(3*i+c)*784 : (3*i+c+1)*784]; !bytes.Equal(got, want) {
				t.Fatalf("image %d channel %d is not the digit drawn for it", i, c)
			}
		}
	}
	if fromTest == 0 {
		t.Errorf("none of %d digits came from the test set", 3*n)
	}
	b, err := StackedMNIST("", n, tensor.NewRNG(2, "data/stacked-mnist"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Pixels, b.Pixels) {
		t.Error("two seeds gave the same images")
	}
	if _, err := StackedMNIST("", 0, tensor.NewRNG(1, "x")); err == nil {
		t.Error("0 images: no error")
	}
}
