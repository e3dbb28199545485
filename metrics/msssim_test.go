package metrics

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// windowedDirect is the plain reference of windowed: the full 2-D window
// at each valid position.
func windowedDirect(x []float64, h, w int) []float64 {
	oh, ow := h-ssimWindow+1, w-ssimWindow+1
	out := make([]float64, oh*ow)
	for i := range oh {
		for j := range ow {
			for a, ga := range ssimGauss {
				for b, gb := range ssimGauss {
					out[i*ow+j] += ga * gb * x[(i+a)*w+j+b]
				}
			}
		}
	}
	return out
}

func TestWindowedMatchesDirect(t *testing.T) {
	h, w := 14, 17
	x := toFloat64(randomPlane(h*w, 3))
	got, want := windowed(x, h, w), windowedDirect(x, h, w)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("windowed[%d] = %g, want %g", i, got[i], want[i])
		}
	}
}

func TestMSSSIMScales(t *testing.T) {
	for _, c := range []struct{ h, w, want int }{{28, 28, 2}, {32, 32, 2}, {64, 64, 3}, {176, 176, 5}, {256, 200, 5}, {10, 28, 0}, {11, 11, 1}} {
		if got := MSSSIMScales(c.h, c.w); got != c.want {
			t.Errorf("MSSSIMScales(%d, %d) = %d, want %d", c.h, c.w, got, c.want)
		}
	}
}

// TestMSSSIMConstantImages: for flat images a and a + δ every variance is
// 0, so the contrast-structure terms are 1 and MS-SSIM is the luminance
// term of the coarsest scale raised to its share of the exponents.
func TestMSSSIMConstantImages(t *testing.T) {
	const h, w = 64, 64
	a, b := make([]float32, h*w), make([]float32, h*w)
	for i := range a {
		a[i], b[i] = 0.2, 0.5
	}
	got, err := MSSSIM(a, b, 1, h, w)
	if err != nil {
		t.Fatal(err)
	}
	c1 := (ssimK1 * ssimRange) * (ssimK1 * ssimRange)
	l := (2*0.2*0.5 + c1) / (0.2*0.2 + 0.5*0.5 + c1)
	want := math.Pow(l, 0.3001/(0.0448+0.2856+0.3001))
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("MS-SSIM of flat 0.2 and 0.5 = %.8f, want %.8f", got, want)
	}
}

func TestMSSSIM(t *testing.T) {
	const c, h, w = 3, 32, 32
	x := randomPlane(c*h*w, 1)
	same, err := MSSSIM(x, x, c, h, w)
	if err != nil || math.Abs(same-1) > 1e-9 {
		t.Fatalf("MS-SSIM of an image with itself = %v, %v; want 1", same, err)
	}
	y := randomPlane(c*h*w, 2)
	xy, _ := MSSSIM(x, y, c, h, w)
	yx, _ := MSSSIM(y, x, c, h, w)
	if xy != yx || xy > 0.1 {
		t.Errorf("MS-SSIM of two noise images %v, swapped %v: want equal and near 0", xy, yx)
	}
	noisy := make([]float32, len(x))
	for i := range x {
		noisy[i] = x[i] + 0.1*y[i]
	}
	if v, _ := MSSSIM(x, noisy, c, h, w); v < 0.8 || v >= 1 {
		t.Errorf("MS-SSIM of an image and a lightly noisy copy = %v, want in [0.8, 1)", v)
	}
	if _, err := MSSSIM(x[:100], x[:100], 1, 10, 10); err == nil {
		t.Error("MS-SSIM of 10×10 images: no error")
	}
}

func TestMeanMSSSIM(t *testing.T) {
	same := tensor.New(8, 1, 28, 28)
	for i := range 8 {
		copy(same.Data()[i*784:], randomPlane(784, 9))
	}
	e, err := MeanMSSSIM(same, 20, tensor.NewRNG(1, "pairs"))
	if err != nil || math.Abs(e.Mean-1) > 1e-9 {
		t.Fatalf("mean MS-SSIM of copies of one image = %+v, %v; want 1", e, err)
	}
	varied := tensor.FromSlice(randomPlane(8*784, 4), 8, 1, 28, 28)
	if e, _ := MeanMSSSIM(varied, 20, tensor.NewRNG(1, "pairs")); e.Mean > 0.2 {
		t.Errorf("mean MS-SSIM of noise images = %v, want near 0", e.Mean)
	}
	if _, err := MeanMSSSIM(tensor.New(1, 1, 28, 28), 5, tensor.NewRNG(1, "pairs")); err == nil {
		t.Error("one image: no error")
	}
}

func TestRandomProjection(t *testing.T) {
	x := tensor.FromSlice(randomPlane(6*3*16*16, 7), 6, 3, 16, 16)
	f, err := RandomProjection("x", x, 256, 1)
	if err != nil || f.Dim() != 256 || f.Len() != 6 {
		t.Fatalf("projection: %v, %v; want 6×256", f, err)
	}
	g, _ := RandomProjection("x", x, 256, 1)
	for i := range 6 {
		for k, v := range f.Row(i) {
			if g.Row(i)[k] != v {
				t.Fatal("the same seed projected differently")
			}
		}
	}
	// Distances are kept within a small factor.
	d := func(a, b []float64) float64 { return math.Sqrt(sqDist(a, b)) }
	px := func(i int) []float64 { return toFloat64(x.Data()[i*768 : (i+1)*768]) }
	for i := 1; i < 6; i++ {
		ratio := d(f.Row(0), f.Row(i)) / d(px(0), px(i))
		if ratio < 0.8 || ratio > 1.2 {
			t.Errorf("distance 0–%d kept by a factor %.3f, want within 20%%", i, ratio)
		}
	}
	small, _ := RandomProjection("small", tensor.New(4, 1, 8, 8), 256, 1)
	if small.Dim() != 64 {
		t.Errorf("images of 64 values projected to %d, want their pixels", small.Dim())
	}
}
