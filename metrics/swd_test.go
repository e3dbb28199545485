package metrics

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// conv5 is the plain reference of the pyramid's filter: the h×w plane x
// convolved with the 5×5 binomial kernel times gain, mirrored edges, read
// at every position.
func conv5(x []float32, h, w int, gain float32) []float32 {
	out := make([]float32, h*w)
	for i := range h {
		for j := range w {
			var s float64
			for a := range 5 {
				for b := range 5 {
					s += float64(binomial5[a]*binomial5[b]) * float64(x[mirror(i+a-2, h)*w+mirror(j+b-2, w)])
				}
			}
			out[i*w+j] = gain * float32(s)
		}
	}
	return out
}

func randomPlane(n int, seed uint64) []float32 {
	t := tensor.New(n)
	tensor.NewRNG(seed, "plane").Uniform(t, -1, 1)
	return t.Data()
}

func TestMirror(t *testing.T) {
	for _, c := range []struct{ i, n, want int }{
		{-1, 5, 1}, {-2, 5, 2}, {5, 5, 3}, {6, 5, 2}, {0, 1, 0}, {3, 1, 0}, {-3, 2, 1}, {4, 3, 0},
	} {
		if got := mirror(c.i, c.n); got != c.want {
			t.Errorf("mirror(%d, %d) = %d, want %d", c.i, c.n, got, c.want)
		}
	}
}

// TestPyramidMatchesDirectConvolution checks the separable pyrDown and
// pyrUp against the direct 5×5 convolution, subsampled and of the
// zero-inserted plane, for even, odd and tiny sides.
func TestPyramidMatchesDirectConvolution(t *testing.T) {
	for _, s := range [][2]int{{28, 28}, {7, 9}, {2, 3}, {1, 4}} {
		h, w := s[0], s[1]
		x := randomPlane(h*w, uint64(h*w))
		small := make([]float32, half(h)*half(w))
		pyrDown(small, x, make([]float32, h*half(w)), h, w)
		full := conv5(x, h, w, 1)
		for i := range half(h) {
			for j := range half(w) {
				if d := math.Abs(float64(small[i*half(w)+j] - full[2*i*w+2*j])); d > 1e-5 {
					t.Fatalf("%d×%d: pyrDown[%d,%d] differs by %g", h, w, i, j, d)
				}
			}
		}
		up := make([]float32, h*w)
		pyrUp(up, small, make([]float32, half(h)*w), h, w)
		zeros := make([]float32, h*w)
		for i := range half(h) {
			for j := range half(w) {
				zeros[2*i*w+2*j] = small[i*half(w)+j]
			}
		}
		want := conv5(zeros, h, w, 4)
		for k := range up {
			if d := math.Abs(float64(up[k] - want[k])); d > 1e-5 {
				t.Fatalf("%d×%d: pyrUp[%d] differs by %g", h, w, k, d)
			}
		}
	}
}

// TestLaplacianPyramidReconstructs collapses the pyramid (each level plus
// the upsampled coarser one) back into the image.
func TestLaplacianPyramidReconstructs(t *testing.T) {
	x := tensor.FromSlice(randomPlane(2*3*29*30, 5), 2, 3, 29, 30)
	levels := LaplacianPyramid(x, 7)
	var sides []int
	for _, l := range levels {
		sides = append(sides, l.Dim(2))
	}
	if want := []int{29, 15, 8}; len(sides) != len(want) || sides[1] != 15 || sides[2] != 8 {
		t.Fatalf("level sides %v, want %v", sides, want)
	}
	cur := levels[len(levels)-1].Clone()
	for l := len(levels) - 2; l >= 0; l-- {
		h, w := levels[l].Dim(2), levels[l].Dim(3)
		next := levels[l].Clone()
		up := make([]float32, h*w)
		for p := range 2 * 3 {
			pyrUp(up, cur.Data()[p*half(h)*half(w):(p+1)*half(h)*half(w)], make([]float32, half(h)*w), h, w)
			for i, v := range up {
				next.Data()[p*h*w+i] += v
			}
		}
		cur = next
	}
	for i, v := range x.Data() {
		if d := math.Abs(float64(cur.Data()[i] - v)); d > 1e-5 {
			t.Fatalf("value %d reconstructed %g, was %g", i, cur.Data()[i], v)
		}
	}
	if got := len(LaplacianPyramid(x, 30)); got != 1 {
		t.Errorf("minimum side above half the image: %d levels, want 1", got)
	}
}

// TestSlicedWassersteinOfShift: a set and its copy shifted by v differ by
// |u·v| along every unit direction u, whose mean over directions in the
// plane is 2|v|/π.
func TestSlicedWassersteinOfShift(t *testing.T) {
	const m = 500
	a, b := tensor.New(m, 2), tensor.New(m, 2)
	tensor.NewRNG(1, "points").Normal(a, 0, 1)
	for i := range m {
		b.Data()[2*i] = a.Data()[2*i] + 3
		b.Data()[2*i+1] = a.Data()[2*i+1] + 4
	}
	got := slicedWasserstein(a, b, 8, 256, tensor.NewRNG(2, "dirs"))
	want := 5 * 2 / math.Pi
	if math.Abs(got-want) > 0.03*want {
		t.Errorf("sliced Wasserstein of a shift by (3, 4) = %.4f, want %.4f", got, want)
	}
	if d := slicedWasserstein(a, a.Clone(), 2, 16, tensor.NewRNG(2, "dirs")); d != 0 {
		t.Errorf("sliced Wasserstein of a set and itself = %g, want 0", d)
	}
}

// noiseImages returns n images of noise, each blurred by pyrDown and pyrUp
// when smooth is set: a set with other fine detail than raw noise.
func noiseImages(n, c, side int, seed uint64, smooth bool) *tensor.Tensor {
	x := tensor.FromSlice(randomPlane(n*c*side*side, seed), n, c, side, side)
	if smooth {
		hs := half(side)
		small := make([]float32, hs*hs)
		for p := range n * c {
			plane := x.Data()[p*side*side : (p+1)*side*side]
			pyrDown(small, plane, make([]float32, side*hs), side, side)
			pyrUp(plane, small, make([]float32, hs*side), side, side)
		}
	}
	return x
}

func TestSWD(t *testing.T) {
	o := SWDOptions{PatchesPerImage: 64, Repeats: 2, Directions: 64}
	a := noiseImages(256, 3, 32, 1, false)
	same, err := SWD(a, a, o, tensor.NewRNG(1, "swd"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := SWD(a, noiseImages(256, 3, 32, 2, false), o, tensor.NewRNG(1, "swd"))
	if err != nil {
		t.Fatal(err)
	}
	blur, err := SWD(a, noiseImages(256, 3, 32, 2, true), o, tensor.NewRNG(1, "swd"))
	if err != nil {
		t.Fatal(err)
	}
	if len(blur.Levels) != 2 || blur.Levels[0].Side != 32 || blur.Levels[1].Side != 16 || blur.Descriptors != 256*64 {
		t.Fatalf("levels %+v, %d descriptors: want sides 32 and 16 and 16384 descriptors", blur.Levels, blur.Descriptors)
	}
	// The same images, drawn at other positions, are as close as another
	// draw of the same noise; blurred noise is far at the finest level.
	if same.Mean > 2*other.Mean || other.Mean > 0.03 {
		t.Errorf("SWD of noise to itself %.4f, to other noise %.4f: want both small", same.Mean, other.Mean)
	}
	if blur.Levels[0].Distance < 4*other.Levels[0].Distance {
		t.Errorf("SWD of noise to blurred noise at 32×32 %.4f, to other noise %.4f: want the blur far", blur.Levels[0].Distance, other.Levels[0].Distance)
	}
	again, _ := SWD(a, noiseImages(256, 3, 32, 2, true), o, tensor.NewRNG(1, "swd"))
	if again.Mean != blur.Mean {
		t.Errorf("same seed: SWD %v then %v", blur.Mean, again.Mean)
	}
	if _, err := SWD(a, noiseImages(4, 1, 32, 1, false), o, tensor.NewRNG(1, "swd")); err == nil {
		t.Error("SWD of 3-channel and 1-channel images: no error")
	}
	if _, err := SWD(noiseImages(4, 1, 5, 1, false), noiseImages(4, 1, 5, 1, false), o, tensor.NewRNG(1, "swd")); err == nil {
		t.Error("SWD of images smaller than the patch: no error")
	}
}
