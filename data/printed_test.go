package data

import (
	"bytes"
	"testing"
)

// The printed digits are deterministic (image i of a split depends on i
// alone, whatever the number of goroutines), balanced enough over the ten
// labels, and not blank.
func TestPrintedDeterministic(t *testing.T) {
	a, err := RenderPrinted(300, "printed test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := RenderPrinted(100, "printed test")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Pixels[:len(b.Pixels)], b.Pixels) || !bytes.Equal(a.Labels[:100], b.Labels) {
		t.Fatal("the first 100 images differ between renderings of 100 and 300")
	}
	counts := make([]int, 10)
	for _, l := range a.Labels {
		counts[l]++
	}
	for d, c := range counts {
		if c < 10 {
			t.Errorf("digit %d drawn %d times in 300", d, c)
		}
	}
	for i := range a.N {
		img := a.Image(i)
		lo, hi := img[0], img[0]
		for _, v := range img {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo < 60 {
			t.Errorf("image %d spans only %d to %d", i, lo, hi)
		}
	}
	if a.C != 3 || a.H != PrintedSide || a.W != PrintedSide {
		t.Errorf("shape %d×%d×%d", a.C, a.H, a.W)
	}
}

// GreyCentre keeps a grey image's centre and takes Rec. 601 luma of a
// colour one.
func TestGreyCentre(t *testing.T) {
	d := &Dataset{N: 1, C: 3, H: 4, W: 4, Pixels: make([]uint8, 48), Labels: []uint8{0}}
	for i := range 16 {
		d.Pixels[i], d.Pixels[16+i], d.Pixels[32+i] = 100, 200, uint8(20*i)
	}
	g := GreyCentre(d, 2)
	// 0.299·100 + 0.587·200 + 0.114·b, at b = 100, 120, 180, 200.
	want := []uint8{159, 161, 168, 170}
	if !bytes.Equal(g.Pixels, want) {
		t.Errorf("GreyCentre = %v, want %v", g.Pixels, want)
	}
}

// MNIST's digits become domain A of mnist-printed: centred on a 32×32
// black square, grey copied to three channels.
func TestPadToRGB(t *testing.T) {
	d := &Dataset{N: 1, C: 1, H: 2, W: 2, Pixels: []uint8{1, 2, 3, 4}, Labels: []uint8{0}}
	out := toRGB(pad(d, 4))
	want := []uint8{0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0}
	if out.C != 3 || out.H != 4 || !bytes.Equal(out.Pixels, bytes.Repeat(want, 3)) {
		t.Errorf("pad and toRGB gave %d×%d×%d %v", out.C, out.H, out.W, out.Pixels)
	}
}
