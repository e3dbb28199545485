package classifier

import (
	"fmt"
	"math"
	"runtime"

	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
)

// The evaluation-mode pass of Extract. It computes what Net.Forward
// computes with BatchNorm's running statistics and without dropout, but
// records nothing and allocates nothing per image: a chunk of images at a
// time goes through buffers sized for the chunk, the convolutions are one
// matrix product each of the image patches (one row per output position,
// read in place by the GEMM) with the weights, and BatchNorm, ReLU and
// max-pooling are one pass over the product.
//
// Activations between the convolutions are kept channel-last ([N, H, W, C]),
// so that the 5×5×32 patch of the second convolution is five contiguous
// runs of 160 values of the zero-padded pooled map; its weights are
// reordered to match (tap-major, channel-minor), which changes only the
// order of the 800 products summed per output, hence results within float
// rounding of Net.Forward's. Every image is computed alone and the products
// are bit-identical at any thread count, so the result depends neither on
// the chunk an image falls in nor on the number of threads.

// Geometry of the evaluation-mode pass.
const (
	// inferChunk is the number of images computed at once: the patch
	// matrix of the second convolution, 627 KiB per image, stays in the
	// caches.
	inferChunk = 8
	// linearChunk is the number of images whose features are computed at
	// once, so that the products with the 3136×128 weights pack them once
	// per linearChunk images.
	linearChunk = 8 * inferChunk
	kernelSide  = 5
	taps        = kernelSide * kernelSide
	pad         = 2
	side1       = Side + 2*pad // the padded input, 32
	c1          = 32           // channels of the first convolution
	half        = Side / 2     // 14, after the first pooling
	side2       = half + 2*pad // the padded pooled map, 18
	c2          = 64           // channels of the second convolution
	quarter     = half / 2     // 7, after the second pooling
	flatDim     = c2 * quarter * quarter
)

// inference is a network's weights arranged for the evaluation-mode pass.
type inference struct {
	w1, w2      *tensor.Tensor // [32, 25] and [64, 800], k = (i·5 + j)·C + c
	s1, t1      []float32      // BatchNorm's scale and shift per channel
	s2, t2      []float32
	w3, b3      *tensor.Tensor // Linear(3136, 128): [128, 3136], [128]
	w4, b4      *tensor.Tensor // Linear(128, 10): [10, 128], [10]
	workers     int
	pad1, cols1 []float32 // per chunk: padded images, first patches
	out1, pool1 []float32 // first convolution's output, padded pooled map
	cols2, out2 []float32 // second patches, second convolution's output
	flat        []float32 // the flattened pooled map
}

// newInference arranges net's weights for the evaluation-mode pass. It
// returns an error if net does not have the layers New gives it.
func newInference(net *Net) (*inference, error) {
	l := net.Seq.Layers
	if len(l) != 13 {
		return nil, fmt.Errorf("classifier: network of %d layers, want the 13 of %s", len(l), Architecture)
	}
	conv1, ok1 := l[0].(*nn.Conv2d)
	bn1, ok2 := l[1].(*nn.BatchNorm)
	conv2, ok3 := l[4].(*nn.Conv2d)
	bn2, ok4 := l[5].(*nn.BatchNorm)
	fc1, ok5 := l[9].(*nn.Linear)
	fc2, ok6 := l[12].(*nn.Linear)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		!tensor.EqualShapes(conv1.Weight.Shape(), []int{c1, 1, kernelSide, kernelSide}) || conv1.Bias != nil ||
		!tensor.EqualShapes(conv2.Weight.Shape(), []int{c2, c1, kernelSide, kernelSide}) || conv2.Bias != nil ||
		conv1.Geom != tensor.SquareConv(kernelSide, 1, pad) || conv2.Geom != tensor.SquareConv(kernelSide, 1, pad) ||
		bn1.Features != c1 || bn2.Features != c2 ||
		fc1.In != flatDim || fc1.Out != FeatureDim || fc1.Bias == nil || fc2.In != FeatureDim || fc2.Out != Classes || fc2.Bias == nil {
		return nil, fmt.Errorf("classifier: network's layers are not those of %s", Architecture)
	}
	in := &inference{
		w1: conv1.Weight.Value.Clone().Reshape(c1, taps),
		w2: tapMajor(conv2.Weight.Value),
		w3: fc1.Weight.Value, b3: fc1.Bias.Value,
		w4: fc2.Weight.Value, b4: fc2.Bias.Value,
		workers: runtime.GOMAXPROCS(0),
	}
	in.s1, in.t1 = batchNormAffine(bn1, in.w1)
	in.s2, in.t2 = batchNormAffine(bn2, in.w2)
	in.pad1 = make([]float32, inferChunk*side1*side1)
	in.cols1 = make([]float32, inferChunk*Side*Side*taps)
	in.out1 = make([]float32, inferChunk*Side*Side*c1)
	in.pool1 = make([]float32, inferChunk*side2*side2*c1)
	in.cols2 = make([]float32, inferChunk*half*half*taps*c1)
	in.out2 = make([]float32, inferChunk*half*half*c2)
	in.flat = make([]float32, linearChunk*flatDim)
	return in, nil
}

// tapMajor returns convolution weights [O, C, KH, KW] as [O, KH·KW·C] with
// column (i·KW + j)·C + c holding w[o, c, i, j].
func tapMajor(w *tensor.Tensor) *tensor.Tensor {
	o, c, kh, kw := w.Dim(0), w.Dim(1), w.Dim(2), w.Dim(3)
	out := tensor.New(o, kh*kw*c)
	src, dst := w.Data(), out.Data()
	for a := range o {
		for ch := range c {
			for t := range kh * kw {
				dst[(a*kh*kw+t)*c+ch] = src[(a*c+ch)*kh*kw+t]
			}
		}
	}
	return out
}

// batchNormAffine returns BatchNorm's evaluation mode as a scale and a
// shift per channel, computed in float32 as BatchNorm.Forward computes
// them: scale = γ/√(running_var + ε), shift = β − running_mean·scale. For a
// channel whose scale is negative it negates the scale and that channel's
// row of the convolution's weights w [C, K], which leaves the product of
// the two exactly as it was (negation is exact) and every scale
// non-negative, for poolRows.
func batchNormAffine(b *nn.BatchNorm, w *tensor.Tensor) (scale, shift []float32) {
	scale, shift = make([]float32, b.Features), make([]float32, b.Features)
	g, beta := b.Weight.Value.Data(), b.Bias.Value.Data()
	rm, rv := b.RunningMean.Data(), b.RunningVar.Data()
	k := w.Dim(1)
	for c := range scale {
		std := float32(math.Sqrt(float64(rv[c] + b.Eps)))
		scale[c] = g[c] / std
		shift[c] = beta[c] - float32(rm[c]*scale[c])
		if scale[c] < 0 {
			scale[c] = -scale[c]
			row := w.Data()[c*k : (c+1)*k]
			for i, v := range row {
				row[i] = -v
			}
		}
	}
	return scale, shift
}

// run computes the features and logits of the images x (N·784 values)
// into out.
func (in *inference) run(x []float32, out *Output) {
	for lo := 0; lo < out.N; lo += linearChunk {
		hi := min(out.N, lo+linearChunk)
		for c := lo; c < hi; c += inferChunk {
			in.convolve(x[c*Side*Side:], min(inferChunk, hi-c), in.flat[(c-lo)*flatDim:])
		}
		in.linear(hi-lo, out.Features[lo*FeatureDim:hi*FeatureDim], out.Logits[lo*Classes:hi*Classes])
	}
}

// convolve computes the n ≤ inferChunk images at the start of x through
// both convolutions, BatchNorms, ReLUs and poolings into flat, n rows of
// flatDim.
func (in *inference) convolve(x []float32, n int, flat []float32) {
	in.parallel(n, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			in.patches1(x[k*Side*Side:(k+1)*Side*Side], k)
		}
	})
	rows1 := n * Side * Side
	tensor.MatMul(tensor.FromSlice(in.out1[:rows1*c1], rows1, c1),
		tensor.FromSlice(in.cols1[:rows1*taps], rows1, taps), in.w1, false, true, 0)
	in.parallel(n, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			in.pool1Image(k)
			in.patches2(k)
		}
	})
	rows2 := n * half * half
	tensor.MatMul(tensor.FromSlice(in.out2[:rows2*c2], rows2, c2),
		tensor.FromSlice(in.cols2[:rows2*taps*c1], rows2, taps*c1), in.w2, false, true, 0)
	in.parallel(n, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			in.pool2Image(k, flat[k*flatDim:(k+1)*flatDim])
		}
	})
}

// linear computes the features and logits of the n images in flat.
func (in *inference) linear(n int, features, logits []float32) {
	f := tensor.FromSlice(features, n, FeatureDim)
	tensor.MatMul(f, tensor.FromSlice(in.flat[:n*flatDim], n, flatDim), in.w3, false, true, 0)
	addRows(features, in.b3.Data())
	for i, v := range features {
		if !(v > 0) {
			features[i] = 0
		}
	}
	tensor.MatMul(tensor.FromSlice(logits, n, Classes), f, in.w4, false, true, 0)
	addRows(logits, in.b4.Data())
}

// addRows adds b to every row of the matrix m of len(b) columns.
func addRows(m, b []float32) {
	for i := 0; i < len(m); i += len(b) {
		row := m[i : i+len(b)]
		for j, v := range b {
			row[j] += v
		}
	}
}

// parallel runs f over parts of the images [0, n) on up to in.workers
// goroutines, the GEMM's pool goroutines and the caller's.
func (in *inference) parallel(n int, f func(lo, hi int)) {
	parts := min(in.workers, n)
	kernels.Parallel(parts, func(p int) { f(p*n/parts, (p+1)*n/parts) })
}

// patches1 writes image k of the chunk, img, zero-padded into pad1 and its
// 5×5 patches, one row of 25 per output position, into cols1.
func (in *inference) patches1(img []float32, k int) {
	p := in.pad1[k*side1*side1 : (k+1)*side1*side1]
	for y := range Side {
		copy(p[(y+pad)*side1+pad:(y+pad)*side1+pad+Side], img[y*Side:(y+1)*Side])
	}
	cols := in.cols1[k*Side*Side*taps : (k+1)*Side*Side*taps]
	for y := range Side {
		for x := range Side {
			row := cols[(y*Side+x)*taps : (y*Side+x+1)*taps]
			for i := range kernelSide {
				at := (y+i)*side1 + x
				copy(row[i*kernelSide:(i+1)*kernelSide], p[at:at+kernelSide])
			}
		}
	}
}

// pool1Image applies the first BatchNorm, ReLU and 2×2 max-pooling to image
// k of the chunk in out1 ([28, 28, 32]), writing the inside of its padded
// map in pool1 ([18, 18, 32]).
func (in *inference) pool1Image(k int) {
	const row = Side * c1
	src := in.out1[k*Side*row : (k+1)*Side*row]
	dst := in.pool1[k*side2*side2*c1 : (k+1)*side2*side2*c1]
	for y := range half {
		o := ((y+pad)*side2 + pad) * c1
		poolRows(dst[o:o+half*c1], src[2*y*row:(2*y+1)*row], src[(2*y+1)*row:(2*y+2)*row], in.s1, in.t1)
	}
}

// poolRows sets dst [W/2, C] to BatchNorm's scale and shift, ReLU and 2×2
// max-pooling of the rows r0 and r1 [W, C] (C = len(scale)). The scale
// and shift round monotonically and no scale is negative (newInference
// negates the weights of a channel whose BatchNorm scale is), so the
// largest value after them is that of the largest before them: one
// product per output instead of four, with the same result.
func poolRows(dst, r0, r1, scale, shift []float32) {
	c := len(scale)
	shift = shift[:c]
	for x := 0; x < len(dst)/c; x++ {
		a, b := r0[2*x*c:(2*x+1)*c], r0[(2*x+1)*c:(2*x+2)*c]
		d, e := r1[2*x*c:(2*x+1)*c], r1[(2*x+1)*c:(2*x+2)*c]
		o := dst[x*c : (x+1)*c]
		for ch, s := range scale {
			// Branch-free maxima: the comparisons of fresh data are
			// unpredictable.
			v := max(a[ch], b[ch], d[ch], e[ch])
			o[ch] = max(float32(v*s)+shift[ch], 0)
		}
	}
}

// patches2 writes the 5×5×32 patches of image k of the chunk's padded
// pooled map, one row of 800 per output position, into cols2.
func (in *inference) patches2(k int) {
	const run = kernelSide * c1
	p := in.pool1[k*side2*side2*c1 : (k+1)*side2*side2*c1]
	cols := in.cols2[k*half*half*taps*c1 : (k+1)*half*half*taps*c1]
	for y := range half {
		for x := range half {
			row := cols[(y*half+x)*taps*c1 : (y*half+x+1)*taps*c1]
			for i := range kernelSide {
				at := ((y+i)*side2 + x) * c1
				copy(row[i*run:(i+1)*run], p[at:at+run])
			}
		}
	}
}

// pool2Image applies the second BatchNorm, ReLU and 2×2 max-pooling to
// image k of the chunk in out2 ([14, 14, 64]) and writes the result into
// dst flattened as torch flattens [64, 7, 7].
func (in *inference) pool2Image(k int, dst []float32) {
	const row = half * c2
	src := in.out2[k*half*row : (k+1)*half*row]
	var v [quarter * c2]float32
	for y := range quarter {
		poolRows(v[:], src[2*y*row:(2*y+1)*row], src[(2*y+1)*row:(2*y+2)*row], in.s2, in.t2)
		for x := range quarter {
			for c, z := range v[x*c2 : (x+1)*c2] {
				dst[c*quarter*quarter+y*quarter+x] = z
			}
		}
	}
}
