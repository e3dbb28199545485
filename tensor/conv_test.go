package tensor

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// convCases are image shapes [N, C, H, W] and windows covering stride 1 and
// larger, padding wider than the stride, non-square kernels and kernels that
// reach past the last row.
var convCases = []struct {
	img []int
	g   ConvGeom
}{
	{[]int{2, 3, 5, 5}, SquareConv(3, 1, 1)},
	{[]int{2, 2, 6, 6}, SquareConv(4, 2, 1)},
	{[]int{1, 2, 7, 5}, ConvGeom{KH: 3, KW: 2, SH: 2, SW: 3, PH: 0, PW: 2}},
	{[]int{3, 1, 4, 4}, SquareConv(1, 1, 0)},
	{[]int{2, 2, 3, 3}, SquareConv(5, 1, 2)},
	{[]int{1, 3, 8, 8}, SquareConv(4, 3, 2)},
	// A stride wider than the image.
	{[]int{2, 2, 3, 1}, ConvGeom{KH: 2, KW: 3, SH: 1, SW: 3, PH: 0, PW: 1}},
	// Large enough to be split among goroutines.
	{[]int{4, 8, 16, 16}, SquareConv(3, 1, 1)},
	// Windows spanning whole rows (convolutions over time of token
	// embeddings), down to one position and up to a split.
	{[]int{3, 1, 9, 4}, ConvGeom{KH: 3, KW: 4, SH: 1, SW: 1}},
	{[]int{2, 2, 6, 5}, ConvGeom{KH: 6, KW: 5, SH: 1, SW: 2}},
	{[]int{64, 1, 20, 16}, ConvGeom{KH: 5, KW: 16, SH: 1, SW: 1}},
}

func randTensor(rng *RNG, shape ...int) *Tensor {
	t := New(shape...)
	rng.Uniform(t, -1, 1)
	return t
}

// at returns img[n, c, y, x] of an [N, C, H, W] tensor, or 0 outside the image.
func at(img *Tensor, n, c, y, x int) float32 {
	s := img.shape
	if y < 0 || y >= s[2] || x < 0 || x >= s[3] {
		return 0
	}
	return img.data[((n*s[1]+c)*s[2]+y)*s[3]+x]
}

// directConv2d sets out [N, O, OH, OW] to the convolution of img
// [N, C, H, W] with w [O, C, KH, KW] by the definition, accumulating each
// output row with the kernel taps in the outer loops: the reference for
// Im2Col + MatMul and the direct alternative that BenchmarkConv2d times.
func directConv2d(out, img, w *Tensor, g ConvGeom) {
	n, c, h, wd := img.shape[0], img.shape[1], img.shape[2], img.shape[3]
	o := w.shape[0]
	oh, ow := g.OutSize(h, wd)
	out.Zero()
	for b := 0; b < n; b++ {
		for oc := 0; oc < o; oc++ {
			dst := out.data[(b*o+oc)*oh*ow : (b*o+oc+1)*oh*ow]
			for ic := 0; ic < c; ic++ {
				plane := img.data[(b*c+ic)*h*wd : (b*c+ic+1)*h*wd]
				for i := 0; i < g.KH; i++ {
					ylo, yhi := validRange(oh, h, g.SH, g.PH, i)
					for j := 0; j < g.KW; j++ {
						k := w.data[((oc*c+ic)*g.KH+i)*g.KW+j]
						xlo, xhi := validRange(ow, wd, g.SW, g.PW, j)
						for y := ylo; y < yhi; y++ {
							row := plane[(y*g.SH-g.PH+i)*wd:]
							d := dst[y*ow : (y+1)*ow]
							for x := xlo; x < xhi; x++ {
								d[x] += k * row[x*g.SW-g.PW+j]
							}
						}
					}
				}
			}
		}
	}
}

// conv2dIm2Col computes the convolution as nash does: Im2Col, one product
// with the weights into prod [O, N·OH·OW], and FromChannelMajor.
func conv2dIm2Col(out, cols, prod, img, w *Tensor, g ConvGeom) {
	Im2Col(cols, img, g)
	o := w.shape[0]
	MatMul(prod, w.Reshape(o, -1), cols, false, false, 0)
	FromChannelMajor(out, prod, nil)
}

// conv2dBatched computes the convolution with one product per sample,
// which writes [N, O, OH, OW] directly: Im2Col of the sample into cols
// [C·KH·KW, OH·OW], then its product with the weights into the sample's
// part of out. BenchmarkConv2d times it against conv2dIm2Col.
func conv2dBatched(out, cols, img, w *Tensor, g ConvGeom) {
	n, c, h, wd := img.shape[0], img.shape[1], img.shape[2], img.shape[3]
	o := w.shape[0]
	plane, area := c*h*wd, out.Len()/(n*o)
	for b := 0; b < n; b++ {
		Im2Col(cols, FromSlice(img.data[b*plane:(b+1)*plane], 1, c, h, wd), g)
		MatMul(FromSlice(out.data[b*o*area:(b+1)*o*area], o, area), w.Reshape(o, -1), cols, false, false, 0)
	}
}

func TestIm2ColDefinition(t *testing.T) {
	rng := NewRNG(1, "im2col")
	for _, c := range convCases {
		t.Run(fmt.Sprintf("%v/%+v", c.img, c.g), func(t *testing.T) {
			img := randTensor(rng, c.img...)
			rows, cols := c.g.ColsSize(c.img)
			dst := New(rows, cols)
			dst.Fill(float32(math.NaN()))
			Im2Col(dst, img, c.g)
			n, ch := c.img[0], c.img[1]
			oh, ow := c.g.OutSize(c.img[2], c.img[3])
			if rows != ch*c.g.KH*c.g.KW || cols != n*oh*ow {
				t.Fatalf("ColsSize = %d×%d", rows, cols)
			}
			for r := 0; r < rows; r++ {
				ic, i, j := r/(c.g.KH*c.g.KW), r/c.g.KW%c.g.KH, r%c.g.KW
				for b := 0; b < n; b++ {
					for y := 0; y < oh; y++ {
						for x := 0; x < ow; x++ {
							want := at(img, b, ic, y*c.g.SH-c.g.PH+i, x*c.g.SW-c.g.PW+j)
							if got := dst.data[r*cols+(b*oh+y)*ow+x]; got != want {
								t.Fatalf("row %d image %d position (%d, %d): %v, want %v", r, b, y, x, got, want)
							}
						}
					}
				}
			}
		})
	}
}

// Col2Im is the adjoint of Im2Col: ⟨Im2Col(x), c⟩ = ⟨x, Col2Im(c)⟩.
func TestCol2ImAdjoint(t *testing.T) {
	rng := NewRNG(1, "col2im")
	for _, c := range convCases {
		t.Run(fmt.Sprintf("%v/%+v", c.img, c.g), func(t *testing.T) {
			x := randTensor(rng, c.img...)
			rows, cols := c.g.ColsSize(c.img)
			col := randTensor(rng, rows, cols)
			ax := New(rows, cols)
			Im2Col(ax, x, c.g)
			atc := New(c.img...)
			atc.Fill(float32(math.NaN()))
			Col2Im(atc, col, nil, c.g)
			lhs, rhs := dot(ax, col), dot(x, atc)
			if math.Abs(lhs-rhs) > 1e-4*math.Max(1, math.Abs(lhs)) {
				t.Fatalf("⟨Im2Col(x), c⟩ = %g, ⟨x, Col2Im(c)⟩ = %g", lhs, rhs)
			}
		})
	}
}

// Im2Col and Col2Im split their work among goroutines; the results are
// bit-identical for any number of them.
func TestIm2ColCol2ImThreads(t *testing.T) {
	rng := NewRNG(1, "threads")
	img := []int{4, 8, 16, 16}
	g := SquareConv(4, 2, 1)
	x := randTensor(rng, img...)
	rows, cols := g.ColsSize(img)
	col := randTensor(rng, rows, cols)
	bias := randTensor(rng, img[1])
	var ref []*Tensor
	for _, threads := range []int{1, 2, 3, 5} {
		prev := runtime.GOMAXPROCS(threads)
		got := []*Tensor{New(rows, cols), New(img...), New(img...), New(img[1], img[0]*img[2]*img[3]), New(img...), New(img[1])}
		Im2Col(got[0], x, g)
		Col2Im(got[1], col, nil, g)
		Col2Im(got[2], col, bias, g)
		ToChannelMajor(got[3], x)
		FromChannelMajor(got[4], got[3], bias)
		SumChannels(got[5], x)
		runtime.GOMAXPROCS(prev)
		if ref == nil {
			ref = got
			continue
		}
		for i := range got {
			if !reflect.DeepEqual(got[i].data, ref[i].data) {
				t.Fatalf("%d goroutines give result %d different from 1", threads, i)
			}
		}
	}
}

// TestChannelLayouts checks FromChannelMajor, ToChannelMajor and the
// per-channel operations (AddChannels, MulChannels, SumChannels,
// FillChannels) element by element, and that Col2Im's bias is
// AddChannels after it, for images, sequences [N, C, L] and rows [N, C].
func TestChannelLayouts(t *testing.T) {
	rng := NewRNG(1, "layouts")
	for _, shape := range [][]int{{3, 4, 2, 5}, {2, 3, 7}, {5, 3}, {64, 64, 16, 16}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			n, c := shape[0], shape[1]
			x, v := randTensor(rng, shape...), randTensor(rng, c)
			area := x.Len() / (n * c)
			cm := New(c, n*area)
			ToChannelMajor(cm, x)
			back, added, scaled, sums, filled := New(shape...), New(shape...), New(shape...), New(c), New(shape...)
			FromChannelMajor(back, cm, v)
			FillChannels(filled, v)
			AddChannels(added, x, v)
			MulChannels(scaled, x, v)
			SumChannels(sums, x)
			want := make([]float64, c)
			for b := 0; b < n; b++ {
				for ch := 0; ch < c; ch++ {
					for a := 0; a < area; a++ {
						i := (b*c+ch)*area + a
						xv := x.data[i]
						want[ch] += float64(xv)
						if got := cm.data[ch*n*area+b*area+a]; got != xv {
							t.Fatalf("ToChannelMajor[%d, %d] = %v, want %v", ch, b*area+a, got, xv)
						}
						if back.data[i] != xv+v.data[ch] || added.data[i] != xv+v.data[ch] || scaled.data[i] != xv*v.data[ch] || filled.data[i] != v.data[ch] {
							t.Fatalf("element %d: FromChannelMajor %v, AddChannels %v, MulChannels %v, FillChannels %v; x %v, v %v",
								i, back.data[i], added.data[i], scaled.data[i], filled.data[i], xv, v.data[ch])
						}
					}
				}
			}
			for ch, w := range want {
				if math.Abs(float64(sums.data[ch])-w) > 1e-5*math.Max(1, math.Abs(w)) {
					t.Fatalf("SumChannels[%d] = %v, want %v", ch, sums.data[ch], w)
				}
			}
			FromChannelMajor(back, cm, nil)
			AddChannels(added, added, v)
			if !reflect.DeepEqual(back.data, x.data) {
				t.Fatal("FromChannelMajor without bias does not undo ToChannelMajor")
			}
			for i, a := range added.data {
				if a != x.data[i]+v.data[i/area%c]+v.data[i/area%c] {
					t.Fatalf("AddChannels in place: element %d is %v", i, a)
				}
			}
		})
	}
	for _, c := range convCases {
		rows, cols := c.g.ColsSize(c.img)
		col := randTensor(rng, rows, cols)
		bias := randTensor(rng, c.img[1])
		want, got := New(c.img...), New(c.img...)
		Col2Im(want, col, nil, c.g)
		AddChannels(want, want, bias)
		Col2Im(got, col, bias, c.g)
		for i, w := range want.data {
			if math.Abs(float64(got.data[i]-w)) > 1e-5 {
				t.Fatalf("%v %+v: Col2Im with bias, element %d: %v, want %v", c.img, c.g, i, got.data[i], w)
			}
		}
	}
}

func dot(a, b *Tensor) float64 {
	var s float64
	for i, v := range a.data {
		s += float64(v) * float64(b.data[i])
	}
	return s
}

func TestConvIm2ColMatchesDirect(t *testing.T) {
	rng := NewRNG(1, "conv")
	for _, c := range convCases {
		t.Run(fmt.Sprintf("%v/%+v", c.img, c.g), func(t *testing.T) {
			const o = 3
			img := randTensor(rng, c.img...)
			w := randTensor(rng, o, c.img[1], c.g.KH, c.g.KW)
			oh, ow := c.g.OutSize(c.img[2], c.img[3])
			rows, cols := c.g.ColsSize(c.img)
			want, got, batched := New(c.img[0], o, oh, ow), New(c.img[0], o, oh, ow), New(c.img[0], o, oh, ow)
			directConv2d(want, img, w, c.g)
			conv2dIm2Col(got, New(rows, cols), New(o, cols), img, w, c.g)
			conv2dBatched(batched, New(rows, oh*ow), img, w, c.g)
			for i, v := range want.data {
				if math.Abs(float64(got.data[i]-v)) > 1e-5 || math.Abs(float64(batched.data[i]-v)) > 1e-5 {
					t.Fatalf("element %d: im2col %v, batched %v, direct %v", i, got.data[i], batched.data[i], v)
				}
			}
		})
	}
}

func TestConvGeomPanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
		want string
	}{
		{"stride", func() { SquareConv(3, 0, 1).ColsSize([]int{1, 1, 4, 4}) }, "invalid geometry"},
		{"rank", func() { SquareConv(3, 1, 1).ColsSize([]int{1, 4, 4}) }, "is not [N, C, H, W]"},
		{"kernel", func() { SquareConv(5, 1, 0).ColsSize([]int{1, 1, 4, 4}) }, "5×5 kernel larger than the padded 4×4 image"},
		{"cols", func() { Im2Col(New(9, 15), New(1, 1, 4, 4), SquareConv(3, 1, 1)) }, "want [9 16]"},
		{"image", func() { Col2Im(New(1, 1, 4, 4), New(9, 15), nil, SquareConv(3, 1, 1)) }, "want columns [9 16]"},
		{"bias", func() { Col2Im(New(1, 2, 4, 4), New(18, 16), New(3), SquareConv(3, 1, 1)) }, "per-channel vector of shape [3] for 2 channels"},
		{"channel-major", func() { FromChannelMajor(New(2, 3, 4), New(3, 9), nil) }, "want [3 8]"},
		{"to channel-major", func() { ToChannelMajor(New(2, 12), New(2, 3, 4)) }, "want [3 8]"},
		{"no channels", func() { SumChannels(New(1), New(4)) }, "has no channel axis"},
		{"sums", func() { SumChannels(New(2), New(4, 3)) }, "want [3]"},
		{"channel op", func() { AddChannels(New(2, 3), New(3, 2), New(2)) }, "AddChannels of [3 2] into [2 3]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := fmt.Sprint(recover()); !strings.Contains(r, c.want) {
					t.Fatalf("panic %q, want it to contain %q", r, c.want)
				}
			}()
			c.f()
		})
	}
}

func TestPermute(t *testing.T) {
	rng := NewRNG(1, "permute")
	for _, c := range []struct {
		shape, axes []int
	}{
		{[]int{2, 3}, []int{1, 0}},
		{[]int{2, 3, 4}, []int{1, 0, 2}},
		{[]int{2, 3, 4, 5}, []int{1, 0, 2, 3}},
		{[]int{2, 3, 4, 5}, []int{0, 2, 3, 1}},
		{[]int{2, 3, 4, 5}, []int{3, 2, 1, 0}},
		{[]int{2, 3, 4}, []int{0, 1, 2}},
		{[]int{4}, []int{0}},
		{[]int{2, 0, 3}, []int{2, 1, 0}},
	} {
		t.Run(fmt.Sprint(c.shape, c.axes), func(t *testing.T) {
			src := randTensor(rng, c.shape...)
			shape := make([]int, len(c.axes))
			for i, a := range c.axes {
				shape[i] = c.shape[a]
			}
			dst := New(shape...)
			Permute(dst, src, c.axes)
			// Check every element through explicit multi-indices.
			idx := make([]int, len(shape))
			for o := range dst.data {
				r := o
				for ax := len(shape) - 1; ax >= 0; ax-- {
					idx[ax] = r % shape[ax]
					r /= shape[ax]
				}
				s := 0
				for ax := range c.shape {
					for i, a := range c.axes {
						if a == ax {
							s = s*c.shape[ax] + idx[i]
						}
					}
				}
				if dst.data[o] != src.data[s] {
					t.Fatalf("dst%v = %v, want src element %d = %v", idx, dst.data[o], s, src.data[s])
				}
			}
		})
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("Permute with a repeated axis did not panic")
		}
	}()
	Permute(New(2, 2), New(2, 2), []int{0, 0})
}

func TestConcatSlice(t *testing.T) {
	a := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := FromSlice([]float32{7, 8}, 2, 1)
	cat := New(2, 4)
	Concat(cat, []*Tensor{a, b}, 1)
	if want := []float32{1, 2, 3, 7, 4, 5, 6, 8}; !reflect.DeepEqual(cat.data, want) {
		t.Fatalf("Concat along axis 1 = %v, want %v", cat.data, want)
	}
	rows := New(3, 3)
	Concat(rows, []*Tensor{a, FromSlice([]float32{9, 9, 9}, 1, 3)}, 0)
	if want := []float32{1, 2, 3, 4, 5, 6, 9, 9, 9}; !reflect.DeepEqual(rows.data, want) {
		t.Fatalf("Concat along axis 0 = %v, want %v", rows.data, want)
	}
	mid := New(2, 2)
	Slice(mid, cat, 1, 2)
	if want := []float32{3, 7, 6, 8}; !reflect.DeepEqual(mid.data, want) {
		t.Fatalf("Slice [2, 4) of axis 1 = %v, want %v", mid.data, want)
	}
	for name, f := range map[string]func(){
		"concat size":  func() { Concat(New(2, 5), []*Tensor{a, b}, 1) },
		"concat shape": func() { Concat(New(3, 4), []*Tensor{a, b}, 1) },
		"concat axis":  func() { Concat(New(2, 4), []*Tensor{a, b}, 2) },
		"slice range":  func() { Slice(New(2, 2), cat, 1, 3) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestGatherScatterRows(t *testing.T) {
	table := FromSlice([]float32{0, 1, 10, 11, 20, 21}, 3, 2)
	idx := FromSlice([]float32{2, 0, 2}, 3)
	rows := New(3, 2)
	GatherRows(rows, table, idx)
	if want := []float32{20, 21, 0, 1, 20, 21}; !reflect.DeepEqual(rows.data, want) {
		t.Fatalf("GatherRows = %v, want %v", rows.data, want)
	}
	acc := FromSlice([]float32{1, 1, 1, 1, 1, 1}, 3, 2)
	ScatterAddRows(acc, FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2), idx)
	if want := []float32{4, 5, 1, 1, 7, 9}; !reflect.DeepEqual(acc.data, want) {
		t.Fatalf("ScatterAddRows = %v, want %v", acc.data, want)
	}
	for _, bad := range []float32{3, -1, 0.5} {
		func() {
			defer func() {
				if r := fmt.Sprint(recover()); !strings.Contains(r, "is not a row of a 3-row table") {
					t.Errorf("index %v: panic %q", bad, r)
				}
			}()
			GatherRows(New(1, 2), table, FromSlice([]float32{bad}, 1))
		}()
	}
}

// dcganConvs are the convolutions of the 28×28 DCGAN discriminator at batch 64.
var dcganConvs = []struct {
	name string
	img  []int
	out  int
}{
	{"1x28x28to64", []int{64, 1, 28, 28}, 64},
	{"64x14x14to128", []int{64, 64, 14, 14}, 128},
}

// BenchmarkConv2d compares three ways of computing a forward convolution
// at the DCGAN sizes: Im2Col + one GEMM over the batch + FromChannelMajor
// (what nash does), one Im2Col + GEMM per sample writing [N, O, OH, OW]
// directly, and the direct loops of directConv2d.
func BenchmarkConv2d(b *testing.B) {
	g := SquareConv(4, 2, 1)
	for _, c := range dcganConvs {
		rng := NewRNG(1, "bench")
		img := randTensor(rng, c.img...)
		w := randTensor(rng, c.out, c.img[1], 4, 4)
		oh, ow := g.OutSize(c.img[2], c.img[3])
		out := New(c.img[0], c.out, oh, ow)
		rows, cols := g.ColsSize(c.img)
		colBuf, prod := New(rows, cols), New(c.out, cols)
		b.Run(c.name+"/im2col", func(b *testing.B) {
			for b.Loop() {
				conv2dIm2Col(out, colBuf, prod, img, w, g)
			}
		})
		sampleCols := New(rows, oh*ow)
		b.Run(c.name+"/batched", func(b *testing.B) {
			for b.Loop() {
				conv2dBatched(out, sampleCols, img, w, g)
			}
		})
		b.Run(c.name+"/direct", func(b *testing.B) {
			for b.Loop() {
				directConv2d(out, img, w, g)
			}
		})
	}
}

func BenchmarkIm2Col(b *testing.B) {
	g := SquareConv(4, 2, 1)
	for _, c := range dcganConvs {
		img := randTensor(NewRNG(1, "bench"), c.img...)
		rows, cols := g.ColsSize(c.img)
		col := New(rows, cols)
		b.Run(c.name+"/Im2Col", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Im2Col(col, img, g)
			}
		})
		b.Run(c.name+"/Col2Im", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Col2Im(img, col, nil, g)
			}
		})
	}
}

// LeakyReLU and LeakyReLUGrad, shared among goroutines for large tensors,
// agree with the definition at any number of them, in place too.
func TestLeakyReLUShared(t *testing.T) {
	rng := NewRNG(1, "leaky")
	for _, n := range []int{5, elementChunk + 3, 1 << 20} {
		x, g := randTensor(rng, n), randTensor(rng, n)
		for _, threads := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(threads)
			y, dy, inPlace := New(n), New(n), x.Clone()
			LeakyReLU(y, x, 0.2)
			LeakyReLUGrad(dy, x, g, 0.2)
			LeakyReLU(inPlace, inPlace, 0.2)
			runtime.GOMAXPROCS(prev)
			for i, v := range x.data {
				want, wantGrad := v, g.data[i]
				if v <= 0 {
					want, wantGrad = 0.2*v, 0.2*g.data[i]
				}
				if y.data[i] != want || inPlace.data[i] != want || dy.data[i] != wantGrad {
					t.Fatalf("size %d, %d goroutines, element %d: LeakyReLU %v (in place %v), grad %v; want %v, %v",
						n, threads, i, y.data[i], inPlace.data[i], dy.data[i], want, wantGrad)
				}
			}
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "LeakyReLUGrad of [3] and [4] into [3]") {
			t.Fatalf("panic %v", r)
		}
	}()
	LeakyReLUGrad(New(3), New(3), New(4), 0.2)
}

// For windows that span rows and unpadded windows of stride 1, the copies
// and shifted sums give exactly what the general link lists give: the same
// entries, the same sums in the same order.
func TestFastPathsMatchLinks(t *testing.T) {
	rng := NewRNG(4, "rows")
	cases := append(convCases[:len(convCases):len(convCases)], struct {
		img []int
		g   ConvGeom
	}{[]int{3, 2, 9, 11}, ConvGeom{KH: 3, KW: 7, SH: 1, SW: 1}}, struct {
		img []int
		g   ConvGeom
	}{[]int{1, 4, 38, 38}, SquareConv(7, 1, 0)})
	fast := 0
	for _, c := range cases {
		g, img := c.g, c.img
		rows, cols := g.ColsSize(img)
		probe := newConvJob(kindIm2Col, nil, nil, nil)
		probe.window(g, img[0], img[1], img[2], img[3])
		if !probe.spansRows() && !probe.unpadded() {
			continue
		}
		fast++
		t.Run(fmt.Sprintf("%v/%+v", img, g), func(t *testing.T) {
			x := randTensor(rng, img...)
			col, bias := randTensor(rng, rows, cols), randTensor(rng, img[1])
			for _, kind := range []convKind{kindIm2Col, kindCol2Im} {
				var got, want *Tensor
				for _, fastPath := range []bool{true, false} {
					out, in := New(rows, cols), x
					if kind == kindCol2Im {
						out, in = New(img...), col
					}
					j := newConvJob(kind, out.data, in.data, bias.data)
					j.window(g, img[0], img[1], img[2], img[3])
					switch {
					case fastPath && kind == kindIm2Col:
						j.im2col(0, j.units())
					case fastPath:
						j.col2im(0, j.units())
					case kind == kindIm2Col:
						j.links = plans.get(linksKey{g, img[0], img[2], img[3]})
						j.im2colLinks(0, j.units())
					default:
						j.links = plans.get(linksKey{g, img[0], img[2], img[3]})
						j.col2imLinks(0, j.units())
					}
					if fastPath {
						got = out
					} else {
						want = out
					}
				}
				if !reflect.DeepEqual(got.data, want.data) {
					t.Fatalf("kind %d: the fast path differs from the links", kind)
				}
			}
		})
	}
	if fast < 4 {
		t.Fatalf("only %d cases take a fast path", fast)
	}
}

// A geometry's plan is built once and shared; another number of images
// (which changes the column offsets) gets its own.
func TestPlansCached(t *testing.T) {
	g := SquareConv(3, 1, 1)
	a, b, c := plans.get(linksKey{g, 2, 5, 5}), plans.get(linksKey{g, 2, 5, 5}), plans.get(linksKey{g, 3, 5, 5})
	if a != b || a == c {
		t.Fatalf("the same geometry gave plans %p and %p, another n %p", a, b, c)
	}
}
