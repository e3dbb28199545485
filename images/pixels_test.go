package images

import (
	"math"
	"testing"
)

// ToValues gives float32(p)/127.5 − 1 in float32 arithmetic, the value
// torchvision's ToTensor and Normalize(0.5, 0.5) give.
func TestToValues(t *testing.T) {
	src := make([]uint8, 256)
	for p := range src {
		src[p] = uint8(p)
	}
	dst := make([]float32, 257)
	dst[256] = 7
	ToValues(dst, src)
	for _, c := range []struct {
		p    int
		want float32
	}{
		{0, -1}, {255, 1}, {51, -0.6}, {204, 0.6},
		{127, math.Float32frombits(0xbb808080)}, {128, math.Float32frombits(0x3b808100)},
	} {
		if dst[c.p] != c.want {
			t.Errorf("byte %d: %v (%#x), want %v (%#x)", c.p, dst[c.p], math.Float32bits(dst[c.p]), c.want, math.Float32bits(c.want))
		}
	}
	for p, v := range dst[:256] {
		if want := float32(p)/127.5 - 1; v != want {
			t.Errorf("byte %d: %v, want %v", p, v, want)
		}
	}
	if dst[256] != 7 {
		t.Errorf("ToValues wrote past len(src): %v", dst[256])
	}
}

// Pixels are scaled as torchvision's ToTensor then Normalize(0.5, 0.5) do it
// in float32: (p/255 − 0.5)/0.5.
func TestToValuesMatchesTorchvision(t *testing.T) {
	for p := range 256 {
		x := float32(p) / 255
		want := (x - 0.5) / 0.5
		if got := pixelValue(p); got != want {
			t.Errorf("pixel %d scales to %g, torchvision gives %g", p, got, want)
		}
	}
}

// Every byte survives the trip to a value and back.
func TestPixelRoundTrip(t *testing.T) {
	for p := range 256 {
		if got := ToPixel(pixelValue(p)); int(got) != p {
			t.Errorf("byte %d comes back as %d", p, got)
		}
	}
}

// ToPixel clamps to [−1, 1] and maps NaN to 0.
func TestToPixel(t *testing.T) {
	for _, c := range []struct {
		v    float32
		want uint8
	}{
		{-5, 0}, {-1, 0}, {0, 128}, {0.5, 191}, {1, 255}, {1.0001, 255},
		{float32(math.Inf(1)), 255}, {float32(math.Inf(-1)), 0}, {float32(math.NaN()), 0},
	} {
		if got := ToPixel(c.v); got != c.want {
			t.Errorf("ToPixel(%v) = %d, want %d", c.v, got, c.want)
		}
	}
}
