package tensor

import (
	"fmt"
	"sync"

	"github.com/nash-gan/nash/tensor/kernels"
)

// ConvGeom is the sliding window of a 2-D convolution over images stored
// [N, C, H, W]: kernel size, stride and zero padding along height and width,
// as in torch.nn.Conv2d without dilation or groups.
type ConvGeom struct {
	KH, KW int // kernel height and width
	SH, SW int // stride along height and width
	PH, PW int // zero padding added to both sides of height and width
}

// SquareConv returns the geometry of a k×k window moved by stride along both
// axes over images zero-padded by pad on every side.
func SquareConv(k, stride, pad int) ConvGeom {
	return ConvGeom{KH: k, KW: k, SH: stride, SW: stride, PH: pad, PW: pad}
}

// OutSize returns the height and width of the output for h×w inputs:
// ⌊(h + 2·PH − KH) / SH⌋ + 1 and likewise along the width.
func (g ConvGeom) OutSize(h, w int) (oh, ow int) {
	return (h+2*g.PH-g.KH)/g.SH + 1, (w+2*g.PW-g.KW)/g.SW + 1
}

// ColsSize returns the shape [rows, cols] of Im2Col's result for images of
// shape [N, C, H, W]: rows = C·KH·KW and cols = N·OH·OW. It panics if the
// geometry or the image shape is invalid.
func (g ConvGeom) ColsSize(img []int) (rows, cols int) {
	n, c, h, w := g.check("ColsSize", img)
	oh, ow := g.OutSize(h, w)
	return c * g.KH * g.KW, n * oh * ow
}

// check panics unless g is a valid window over images of shape img, which
// must be 4-D and large enough for at least one output position, and
// returns img's dimensions.
func (g ConvGeom) check(op string, img []int) (n, c, h, w int) {
	if g.KH < 1 || g.KW < 1 || g.SH < 1 || g.SW < 1 || g.PH < 0 || g.PW < 0 {
		panic(fmt.Sprintf("tensor: %s: invalid geometry %+v", op, g))
	}
	if len(img) != 4 {
		panic(fmt.Sprintf("tensor: %s: image shape %v is not [N, C, H, W]", op, img))
	}
	n, c, h, w = img[0], img[1], img[2], img[3]
	if h+2*g.PH < g.KH || w+2*g.PW < g.KW {
		panic(fmt.Sprintf("tensor: %s: %d×%d kernel larger than the padded %d×%d image", op, g.KH, g.KW, h+2*g.PH, w+2*g.PW))
	}
	return n, c, h, w
}

// validRange returns the output positions [lo, hi) along one axis whose
// input coordinate o·stride − pad + k falls inside [0, size).
func validRange(out, size, stride, pad, k int) (lo, hi int) {
	if a := pad - k; a > 0 {
		lo = (a + stride - 1) / stride
	}
	if b := size - 1 + pad - k; b >= 0 {
		hi = b/stride + 1
	}
	lo = min(lo, out)
	hi = max(min(hi, out), lo)
	return lo, hi
}

// Im2Col sets dst [C·KH·KW, N·OH·OW] to the columns of the images src
// [N, C, H, W] under the window g: dst[(c·KH + i)·KW + j, (n·OH + y)·OW + x]
// is src[n, c, y·SH − PH + i, x·SW − PW + j], or 0 where that falls in the
// padding. A convolution is then one matrix product of the weights
// [O, C·KH·KW] with dst, giving the output channel-major, [O, N·OH·OW]
// (see FromChannelMajor).
func Im2Col(dst, src *Tensor, g ConvGeom) {
	n, c, h, w := g.check("Im2Col", src.shape)
	oh, ow := g.OutSize(h, w)
	rows, cols := c*g.KH*g.KW, n*oh*ow
	if len(dst.shape) != 2 || dst.shape[0] != rows || dst.shape[1] != cols {
		panic(fmt.Sprintf("tensor: Im2Col of %v with %+v into %v, want [%d %d]", src.shape, g, dst.shape, rows, cols))
	}
	j := newConvJob(kindIm2Col, dst.data, src.data, nil)
	j.window(g, n, c, h, w)
	j.run(j.units(), rows*cols)
}

// Col2Im sets dst [N, C, H, W] to the sum, at each image position, of the
// entries of the columns src [C·KH·KW, N·OH·OW] that Im2Col would have copied
// from it: the adjoint of Im2Col. It is the data gradient of a convolution
// and the forward pass of a transposed convolution, whose bias, when bias
// [C] is not nil, it adds to every position of each channel.
func Col2Im(dst, src, bias *Tensor, g ConvGeom) {
	n, c, h, w := g.check("Col2Im", dst.shape)
	oh, ow := g.OutSize(h, w)
	rows, cols := c*g.KH*g.KW, n*oh*ow
	if len(src.shape) != 2 || src.shape[0] != rows || src.shape[1] != cols {
		panic(fmt.Sprintf("tensor: Col2Im of %v with %+v into %v, want columns [%d %d]", src.shape, g, dst.shape, rows, cols))
	}
	j := newConvJob(kindCol2Im, dst.data, src.data, channelVector("Col2Im", bias, c))
	j.window(g, n, c, h, w)
	j.run(j.units(), rows*cols)
}

// channelVector returns v's values, checking that v is a vector [c], or nil
// when v is nil.
func channelVector(op string, v *Tensor, c int) []float32 {
	if v == nil {
		return nil
	}
	if len(v.shape) != 1 || v.shape[0] != c {
		panic(fmt.Sprintf("tensor: %s: per-channel vector of shape %v for %d channels", op, v.shape, c))
	}
	return v.data
}

// channels returns the samples, channels and elements per channel of a
// tensor [N, C, …] with at least two dimensions.
func channels(op string, shape []int) (n, c, area int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("tensor: %s of shape %v, which has no channel axis", op, shape))
	}
	area = 1
	for _, d := range shape[2:] {
		area *= d
	}
	return shape[0], shape[1], area
}

// FromChannelMajor sets dst [N, C, …] to the channel-major matrix src
// [C, N·A], where A is the number of elements of each channel of one sample,
// plus bias[c] in channel c when bias [C] is not nil: dst[n, c, a] is
// src[c, n·A + a] + bias[c]. It turns the product of a convolution's weights
// with Im2Col's columns into the layout torch uses, adding the bias on the
// way.
func FromChannelMajor(dst, src, bias *Tensor) {
	n, c, area := channels("FromChannelMajor", dst.shape)
	if len(src.shape) != 2 || src.shape[0] != c || src.shape[1] != n*area {
		panic(fmt.Sprintf("tensor: FromChannelMajor of %v into %v, want [%d %d]", src.shape, dst.shape, c, n*area))
	}
	j := newConvJob(kindFromChannelMajor, dst.data, src.data, channelVector("FromChannelMajor", bias, c))
	j.n, j.c, j.area = n, c, area
	j.run(n*c, len(dst.data))
}

// ToChannelMajor sets dst [C, N·A] to src [N, C, …] arranged channel by
// channel, where A is the number of elements of each channel of one sample:
// the adjoint of FromChannelMajor without bias.
func ToChannelMajor(dst, src *Tensor) {
	n, c, area := channels("ToChannelMajor", src.shape)
	if len(dst.shape) != 2 || dst.shape[0] != c || dst.shape[1] != n*area {
		panic(fmt.Sprintf("tensor: ToChannelMajor of %v into %v, want [%d %d]", src.shape, dst.shape, c, n*area))
	}
	j := newConvJob(kindToChannelMajor, dst.data, src.data, nil)
	j.n, j.c, j.area = n, c, area
	j.run(n*c, len(src.data))
}

// SumChannels sets dst [C] to the sums of the channels of src [N, C, …]
// over the samples and the remaining axes, each accumulated in float64 in
// a fixed order: the gradient of a per-channel bias.
func SumChannels(dst, src *Tensor) {
	n, c, area := channels("SumChannels", src.shape)
	if len(dst.shape) != 1 || dst.shape[0] != c {
		panic(fmt.Sprintf("tensor: SumChannels of %v into %v, want [%d]", src.shape, dst.shape, c))
	}
	j := newConvJob(kindSumChannels, dst.data, src.data, nil)
	j.n, j.c, j.area = n, c, area
	j.run(c, len(src.data))
}

// AddChannels sets dst to x [N, C, …] with v[c] added to channel c, for
// v [C]. dst has x's shape and may be x.
func AddChannels(dst, x, v *Tensor) { channelOp(kindAddChannels, "AddChannels", dst, x, v) }

// MulChannels sets dst to x [N, C, …] with channel c multiplied by v[c], for
// v [C]. dst has x's shape and may be x.
func MulChannels(dst, x, v *Tensor) { channelOp(kindMulChannels, "MulChannels", dst, x, v) }

// FillChannels sets every element of channel c of dst [N, C, …] to v[c],
// for v [C]: the adjoint of SumChannels.
func FillChannels(dst, v *Tensor) { channelOp(kindFillChannels, "FillChannels", dst, dst, v) }

func channelOp(kind convKind, op string, dst, x, v *Tensor) {
	n, c, area := channels(op, x.shape)
	if !EqualShapes(dst.shape, x.shape) {
		panic(fmt.Sprintf("tensor: %s of %v into %v", op, x.shape, dst.shape))
	}
	j := newConvJob(kind, dst.data, x.data, channelVector(op, v, c))
	j.n, j.c, j.area = n, c, area
	j.run(n*c, len(x.data))
}

// LeakyReLU sets dst to x where x > 0 and to slope·x elsewhere, as
// kernels.LeakyReLU but shared among goroutines for large tensors. dst has
// x's shape and may be x.
func LeakyReLU(dst, x *Tensor, slope float32) {
	if !EqualShapes(dst.shape, x.shape) {
		panic(fmt.Sprintf("tensor: LeakyReLU of %v into %v", x.shape, dst.shape))
	}
	j := newConvJob(kindLeakyReLU, dst.data, x.data, nil)
	j.param = slope
	j.run((len(x.data)+elementChunk-1)/elementChunk, len(x.data))
}

// LeakyReLUGrad sets dst to g where x > 0 and to slope·g elsewhere, the
// backward of LeakyReLU, as kernels.LeakyReLUGrad but shared among
// goroutines for large tensors. All three have the same shape.
func LeakyReLUGrad(dst, x, g *Tensor, slope float32) {
	if !EqualShapes(dst.shape, x.shape) || !EqualShapes(g.shape, x.shape) {
		panic(fmt.Sprintf("tensor: LeakyReLUGrad of %v and %v into %v", x.shape, g.shape, dst.shape))
	}
	j := newConvJob(kindLeakyReLUGrad, dst.data, x.data, g.data)
	j.param = slope
	j.run((len(x.data)+elementChunk-1)/elementChunk, len(x.data))
}

// elementChunk is the number of elements in one unit of an element-wise
// job.
const elementChunk = 1 << 14

// tapPair links an output position of one kernel tap to the input position
// it reads, as offsets within one image plane.
type tapPair struct{ out, in int32 }

// convKind names the computation of a convJob.
type convKind int

const (
	kindIm2Col convKind = iota
	kindCol2Im
	kindFromChannelMajor
	kindToChannelMajor
	kindSumChannels
	kindAddChannels
	kindMulChannels
	kindFillChannels
	kindLeakyReLU
	kindLeakyReLUGrad
)

// convJob is one call of the functions above, possibly shared among
// goroutines. Its work is cut into units, each computing a disjoint part of
// the destination in a fixed order, so that the result does not depend on
// how the units are dealt out: for Im2Col and Col2Im a channel of two
// images, for the layout and per-channel operations a channel of one
// sample, for SumChannels a channel, for the activations a run of
// elementChunk elements.
type convJob struct {
	kind    convKind
	d, s, v []float32 // destination, source, per-channel vector (nil if none)
	param   float32   // LeakyReLU's slope
	g       ConvGeom
	n, c    int
	h, w    int // image height and width (Im2Col, Col2Im)
	oh, ow  int
	area    int // elements of one channel of one sample (layout operations)
	// links is the plan of an Im2Col or Col2Im job's geometry (nil for
	// windows that span rows and unpadded ones, which need none).
	*links
	// items is the number of units of work; parts the number of ranges
	// they are dealt into.
	items, parts int
	// doPart is do as a function value, made once per pooled job so that
	// handing it to kernels.Parallel allocates nothing.
	doPart func(part int)
}

// newConvJob returns a job from the pool.
func newConvJob(kind convKind, d, s, v []float32) *convJob {
	j := convJobs.Get().(*convJob)
	j.kind, j.d, j.s, j.v = kind, d, s, v
	return j
}

// window sets the geometry of an Im2Col or Col2Im job and finds its
// plan.
func (j *convJob) window(g ConvGeom, n, c, h, w int) {
	j.g, j.n, j.c, j.h, j.w = g, n, c, h, w
	j.oh, j.ow = g.OutSize(h, w)
	j.area = j.oh * j.ow
	j.links = nil
	if !j.spansRows() && !j.unpadded() {
		j.links = plans.get(linksKey{g, n, h, w})
	}
}

// units returns the number of (channel, image pair) units of an Im2Col or
// Col2Im job.
func (j *convJob) units() int { return j.c * ((j.n + 1) / 2) }

// links is the plan of Im2Col and Col2Im for one geometry. For input
// position p of an image plane, to[first[p]:first[p+1]] are the offsets
// t·cols + o, in tap order (t = i·KW + k), of the column entries Im2Col
// copies p to, relative to the image's block of the channel's rows (cols =
// N·OH·OW, o the output position). Col2Im sums them back in the same
// order: one store per image element and no clearing. zeros lists,
// relative to the same block, the column entries whose input lies in the
// padding, which Im2Col sets to 0. A plan is read only once built.
type links struct {
	first, to, zeros []int
}

// linksKey is what a plan depends on: the window, the number of images
// (through cols) and the image size.
type linksKey struct {
	g       ConvGeom
	n, h, w int
}

// plans holds the plans of the geometries seen; a program uses few, and
// the cache starts afresh past maxPlans.
var plans = planCache{m: map[linksKey]*links{}}

// maxPlans bounds the plans cached.
const maxPlans = 256

// planCache is a cache of plans safe for concurrent use.
type planCache struct {
	mu sync.RWMutex
	m  map[linksKey]*links
}

// get returns the plan of key, building it the first time.
func (c *planCache) get(key linksKey) *links {
	c.mu.RLock()
	l := c.m[key]
	c.mu.RUnlock()
	if l != nil {
		return l
	}
	l = planLinks(key)
	c.mu.Lock()
	if len(c.m) >= maxPlans {
		clear(c.m)
	}
	c.m[key] = l
	c.mu.Unlock()
	return l
}

// planLinks builds the plan of key's geometry.
func planLinks(key linksKey) *links {
	g, h, w := key.g, key.h, key.w
	oh, ow := g.OutSize(h, w)
	cols := key.n * oh * ow
	// pairs lists, for each kernel tap t in turn, the output positions
	// whose input lies inside the image; tap t's pairs are
	// pairs[start[t]:start[t+1]].
	var pairs []tapPair
	start := []int{0}
	l := &links{}
	for i := 0; i < g.KH; i++ {
		ylo, yhi := validRange(oh, h, g.SH, g.PH, i)
		for k := 0; k < g.KW; k++ {
			xlo, xhi := validRange(ow, w, g.SW, g.PW, k)
			t := len(start) - 1
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					if y < ylo || y >= yhi || x < xlo || x >= xhi {
						l.zeros = append(l.zeros, t*cols+y*ow+x)
						continue
					}
					pairs = append(pairs, tapPair{int32(y*ow + x), int32((y*g.SH-g.PH+i)*w + x*g.SW - g.PW + k)})
				}
			}
			start = append(start, len(pairs))
		}
	}
	// Count the links of each input position, then place them in tap
	// order.
	plane := h * w
	l.first = make([]int, plane+1)
	for _, p := range pairs {
		l.first[p.in+1]++
	}
	for i := 1; i <= plane; i++ {
		l.first[i] += l.first[i-1]
	}
	l.to = make([]int, len(pairs))
	for t := 0; t+1 < len(start); t++ {
		for _, p := range pairs[start[t]:start[t+1]] {
			l.to[l.first[p.in]] = t*cols + int(p.out)
			l.first[p.in]++
		}
	}
	// Placing advanced each first[p] to first[p+1]; shift them back.
	copy(l.first[1:], l.first[:plane])
	l.first[0] = 0
	return l
}

// minParallelCopy is the number of elements a job touches below which it
// runs on the calling goroutine.
const minParallelCopy = 1 << 16

// run computes the job's items units on up to runtime.GOMAXPROCS(0)
// goroutines, the caller and the GEMM's pool goroutines (kernels.Parallel),
// in kernels.Parts's count of parts, where size is the number of elements
// the job touches, and returns the job to the pool.
func (j *convJob) run(items, size int) {
	j.items = items
	j.parts = max(1, min(kernels.Parts(items), size/minParallelCopy))
	kernels.Parallel(j.parts, j.doPart)
	j.d, j.s, j.v = nil, nil, nil
	convJobs.Put(j)
}

// do computes part number part of the job: units [lo, hi).
func (j *convJob) do(part int) {
	lo, hi := part*j.items/j.parts, (part+1)*j.items/j.parts
	switch j.kind {
	case kindIm2Col:
		j.im2col(lo, hi)
	case kindCol2Im:
		j.col2im(lo, hi)
	case kindSumChannels:
		j.sumChannels(lo, hi)
	case kindLeakyReLU:
		e0, e1 := lo*elementChunk, min(hi*elementChunk, len(j.s))
		kernels.LeakyReLU(j.d[e0:e1], j.s[e0:e1], j.param)
	case kindLeakyReLUGrad:
		e0, e1 := lo*elementChunk, min(hi*elementChunk, len(j.s))
		kernels.LeakyReLUGrad(j.d[e0:e1], j.s[e0:e1], j.v[e0:e1], j.param)
	default:
		j.planes(lo, hi)
	}
}

// image returns channel ch of image b of a tensor [N, C, H, W] stored in x.
func (j *convJob) image(x []float32, b, ch int) []float32 {
	plane := j.h * j.w
	return x[(b*j.c+ch)*plane : (b*j.c+ch+1)*plane]
}

// im2col fills, for the units [u0, u1), the columns of one channel of two
// images (or of the last image).
func (j *convJob) im2col(u0, u1 int) {
	switch {
	case j.spansRows():
		j.im2colRows(u0, u1)
	case j.unpadded():
		j.im2colShifted(u0, u1)
	default:
		j.im2colLinks(u0, u1)
	}
}

// unpadded says whether the window moves by 1 along both axes over an
// image without padding: each tap's column entries are then the image's
// rows shifted, OW elements a row (the convolutions after CycleGAN's
// reflection padding).
func (j *convJob) unpadded() bool {
	g := j.g
	return g.SH == 1 && g.SW == 1 && g.PH == 0 && g.PW == 0
}

// im2colShifted is im2col for unpadded windows of stride 1: for each tap
// (i, k), row y of the window positions is a copy of image row y + i from
// column k.
func (j *convJob) im2colShifted(u0, u1 int) {
	j.eachImage(u0, u1, j.d, (*convJob).im2colShiftedImage)
}

func (j *convJob) im2colShiftedImage(b, ch int, block []float32) {
	img, cols, kw, ow := j.image(j.s, b, ch), j.n*j.area, j.g.KW, j.ow
	for t := range j.g.KH * kw {
		i, k := t/kw, t%kw
		out := block[t*cols+b*j.area : t*cols+(b+1)*j.area]
		for y := range j.oh {
			copy(out[y*ow:(y+1)*ow], img[(y+i)*j.w+k:])
		}
	}
}

// spansRows says whether the window spans whole rows of the image (KW = W,
// no padding, stride 1 down the rows): a convolution over time of token
// embeddings [N, C, T, E] with kh×E windows. A column is then kh
// consecutive rows, and a row of the columns (one tap) a strided copy of
// the image.
func (j *convJob) spansRows() bool {
	return j.g.KW == j.w && j.g.PW == 0 && j.g.PH == 0 && j.g.SH == 1
}

// im2colRows is im2col for windows that span rows: for each tap, the
// column entries of an image are the image elements a row apart, read
// from an image held in cache and stored contiguously.
func (j *convJob) im2colRows(u0, u1 int) {
	j.eachImage(u0, u1, j.d, (*convJob).im2colRowsImage)
}

func (j *convJob) im2colRowsImage(b, ch int, block []float32) {
	img, cols := j.image(j.s, b, ch), j.n*j.area
	for tap := range j.g.KH * j.g.KW {
		out := block[tap*cols+b*j.area : tap*cols+(b+1)*j.area]
		for pos := range out {
			out[pos] = img[pos*j.w+tap]
		}
	}
}

// im2colLinks is im2col for any window: each image element is loaded once
// and stored at its links, and the entries in the padding are set to 0.
func (j *convJob) im2colLinks(u0, u1 int) {
	taps, pairsOf := j.g.KH*j.g.KW, (j.n+1)/2
	cols := j.n * j.area
	for u := u0; u < u1; u++ {
		ch, b := u/pairsOf, 2*(u%pairsOf)
		block := j.d[ch*taps*cols : (ch+1)*taps*cols]
		img0, out0 := j.image(j.s, b, ch), block[b*j.area:]
		if b+1 == j.n {
			for _, z := range j.zeros {
				out0[z] = 0
			}
			for p, v := range img0 {
				for _, o := range j.to[j.first[p]:j.first[p+1]] {
					out0[o] = v
				}
			}
			continue
		}
		img1, out1 := j.image(j.s, b+1, ch), block[(b+1)*j.area:]
		for _, z := range j.zeros {
			out0[z] = 0
			out1[z] = 0
		}
		for p, v0 := range img0 {
			v1 := img1[p]
			for _, o := range j.to[j.first[p]:j.first[p+1]] {
				out0[o] = v0
				out1[o] = v1
			}
		}
	}
}

// col2im computes, for the units [u0, u1), one channel of two images (or
// of the last image). Each image element is the bias, or 0, plus the
// column entries at its links, added in the order of the column rows.
func (j *convJob) col2im(u0, u1 int) {
	switch {
	case j.spansRows():
		j.col2imRows(u0, u1)
	case j.unpadded():
		j.col2imShifted(u0, u1)
	default:
		j.col2imLinks(u0, u1)
	}
}

// col2imShifted is col2im for unpadded windows of stride 1: the image
// starts as the bias and, tap by tap in order, adds each row of the tap's
// column entries to the image row it came from, so every element adds its
// entries in the order of the column rows, as col2imLinks does.
func (j *convJob) col2imShifted(u0, u1 int) {
	j.eachImage(u0, u1, j.s, (*convJob).col2imShiftedImage)
}

func (j *convJob) col2imShiftedImage(b, ch int, block []float32) {
	img, cols, kw, ow := j.image(j.d, b, ch), j.n*j.area, j.g.KW, j.ow
	fill(img, j.bias(ch))
	for t := range j.g.KH * kw {
		i, k := t/kw, t%kw
		in := block[t*cols+b*j.area : t*cols+(b+1)*j.area]
		for y := range j.oh {
			row := img[(y+i)*j.w+k : (y+i)*j.w+k+ow]
			kernels.Add(row, row, in[y*ow:(y+1)*ow])
		}
	}
}

// col2imRows is col2im for windows that span rows: the element at row t
// and column e of an image gathers the entry of window position t − i from
// the tap i·W + e, for i = 0, 1, …, KH − 1 in order (the order of the
// column rows, as col2imLinks adds them).
func (j *convJob) col2imRows(u0, u1 int) {
	j.eachImage(u0, u1, j.s, (*convJob).col2imRowsImage)
}

func (j *convJob) col2imRowsImage(b, ch int, block []float32) {
	img, cols, w, bias := j.image(j.d, b, ch), j.n*j.area, j.w, j.bias(ch)
	for t := range j.h {
		lo, hi := max(0, t-j.area+1), min(t, j.g.KH-1)
		for e := range w {
			s := bias
			for i := lo; i <= hi; i++ {
				s += block[(i*w+e)*cols+b*j.area+t-i]
			}
			img[t*w+e] = s
		}
	}
}

// eachImage calls image for each image b of the units [u0, u1) of an
// Im2Col or Col2Im job (a channel ch of two images, or of the last), with
// block the channel's rows of cols, the job's column matrix.
func (j *convJob) eachImage(u0, u1 int, cols []float32, image func(j *convJob, b, ch int, block []float32)) {
	taps, pairsOf, n := j.g.KH*j.g.KW, (j.n+1)/2, j.n*j.area
	for u := u0; u < u1; u++ {
		ch, b0 := u/pairsOf, 2*(u%pairsOf)
		block := cols[ch*taps*n : (ch+1)*taps*n]
		for b := b0; b < min(b0+2, j.n); b++ {
			image(j, b, ch, block)
		}
	}
}

// bias returns Col2Im's bias of channel ch, 0 without one.
func (j *convJob) bias(ch int) float32 {
	if j.v == nil {
		return 0
	}
	return j.v[ch]
}

// col2imLinks is col2im for any window.
func (j *convJob) col2imLinks(u0, u1 int) {
	taps, pairsOf := j.g.KH*j.g.KW, (j.n+1)/2
	cols := j.n * j.area
	for u := u0; u < u1; u++ {
		ch, b := u/pairsOf, 2*(u%pairsOf)
		bias := j.bias(ch)
		block := j.s[ch*taps*cols : (ch+1)*taps*cols]
		img0, in0 := j.image(j.d, b, ch), block[b*j.area:]
		if b+1 == j.n {
			for p := range img0 {
				s := bias
				for _, o := range j.to[j.first[p]:j.first[p+1]] {
					s += in0[o]
				}
				img0[p] = s
			}
			continue
		}
		img1, in1 := j.image(j.d, b+1, ch), block[(b+1)*j.area:]
		for p := range img0 {
			s0, s1 := bias, bias
			for _, o := range j.to[j.first[p]:j.first[p+1]] {
				s0 += in0[o]
				s1 += in1[o]
			}
			img0[p], img1[p] = s0, s1
		}
	}
}

func fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}

// planes computes, for the units [q0, q1), channel q mod C of sample
// q div C of a layout or per-channel operation.
func (j *convJob) planes(q0, q1 int) {
	a, stride := j.area, j.n*j.area
	for q := q0; q < q1; q++ {
		b, ch := q/j.c, q%j.c
		plane := q * a
		switch j.kind {
		case kindFromChannelMajor:
			dst, src := j.d[plane:plane+a], j.s[ch*stride+b*a:ch*stride+(b+1)*a]
			if j.v == nil {
				copy(dst, src)
				continue
			}
			bias := j.v[ch]
			for i, x := range src {
				dst[i] = x + bias
			}
		case kindToChannelMajor:
			copy(j.d[ch*stride+b*a:ch*stride+(b+1)*a], j.s[plane:plane+a])
		case kindAddChannels:
			dst, src, v := j.d[plane:plane+a], j.s[plane:plane+a], j.v[ch]
			for i, x := range src {
				dst[i] = x + v
			}
		case kindMulChannels:
			dst, src, v := j.d[plane:plane+a], j.s[plane:plane+a], j.v[ch]
			for i, x := range src {
				dst[i] = x * v
			}
		case kindFillChannels:
			fill(j.d[plane:plane+a], j.v[ch])
		}
	}
}

// sumChannels computes the channels [c0, c1) of SumChannels.
func (j *convJob) sumChannels(c0, c1 int) {
	a := j.area
	for ch := c0; ch < c1; ch++ {
		// Four partial sums, each over every fourth element of a plane,
		// keep four additions in flight instead of one.
		var s0, s1, s2, s3 float64
		for b := 0; b < j.n; b++ {
			plane := j.s[(b*j.c+ch)*a : (b*j.c+ch+1)*a]
			i := 0
			for ; i+4 <= len(plane); i += 4 {
				q := plane[i : i+4 : i+4]
				s0 += float64(q[0])
				s1 += float64(q[1])
				s2 += float64(q[2])
				s3 += float64(q[3])
			}
			for ; i < len(plane); i++ {
				s0 += float64(plane[i])
			}
		}
		j.d[ch] = float32((s0 + s1) + (s2 + s3))
	}
}

// convJobs recycles jobs with their pair lists, so that calls do not
// allocate once warm.
var convJobs = sync.Pool{New: func() any {
	j := new(convJob)
	j.doPart = j.do
	return j
}}

// maxDims is the largest number of dimensions Permute handles.
const maxDims = 8

// Permute sets dst to src with its axes reordered: axis i of dst is axis
// axes[i] of src, as in torch.permute, so dst's shape must be src's
// permuted. dst must not alias src.
func Permute(dst, src *Tensor, axes []int) {
	nd := len(src.shape)
	if nd > maxDims || len(axes) != nd || len(dst.shape) != nd {
		panic(fmt.Sprintf("tensor: Permute %v by %v into %v", src.shape, axes, dst.shape))
	}
	var seen [maxDims]bool
	for i, a := range axes {
		if a < 0 || a >= nd || seen[a] || dst.shape[i] != src.shape[a] {
			panic(fmt.Sprintf("tensor: Permute %v by %v into %v", src.shape, axes, dst.shape))
		}
		seen[a] = true
	}
	var srcStride, stride [maxDims]int // stride[i]: src stride along dst axis i
	st := 1
	for ax := nd - 1; ax >= 0; ax-- {
		srcStride[ax] = st
		st *= src.shape[ax]
	}
	for i, a := range axes {
		stride[i] = srcStride[a]
	}
	if len(src.data) == 0 {
		return
	}
	// Trailing axes that stay in place move as contiguous blocks.
	m, block := nd, 1
	for m > 0 && axes[m-1] == m-1 {
		m--
		block *= src.shape[m]
	}
	if m == 0 {
		copy(dst.data, src.data)
		return
	}
	// Walk dst in order: an odometer over axes [0, m−1) and a strided
	// inner loop along axis m−1.
	var idx [maxDims]int
	inner, sst := dst.shape[m-1], stride[m-1]
	d, s := dst.data, src.data
	o, off := 0, 0
	for o < len(d) {
		si := off
		if block == 1 {
			for k := range d[o : o+inner] {
				d[o+k] = s[si]
				si += sst
			}
			o += inner
		} else {
			for range inner {
				copy(d[o:o+block], s[si:si+block])
				o += block
				si += sst
			}
		}
		for ax := m - 2; ax >= 0; ax-- {
			idx[ax]++
			off += stride[ax]
			if idx[ax] < dst.shape[ax] {
				break
			}
			off -= stride[ax] * idx[ax]
			idx[ax] = 0
		}
	}
}

// split returns the product of the dimensions before axis and after it,
// panicking if axis is out of range.
func split(op string, shape []int, axis int) (outer, inner int) {
	if axis < 0 || axis >= len(shape) {
		panic(fmt.Sprintf("tensor: %s: axis %d of shape %v", op, axis, shape))
	}
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, inner
}

// sameExcept reports whether shapes a and b agree on every axis but axis.
func sameExcept(a, b []int, axis int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if i != axis && a[i] != b[i] {
			return false
		}
	}
	return true
}

// Concat sets dst to the tensors srcs joined along axis, as torch.cat: they
// must agree with dst on every other axis, and dst's size along axis is the
// sum of theirs.
func Concat(dst *Tensor, srcs []*Tensor, axis int) {
	outer, inner := split("Concat", dst.shape, axis)
	total := 0
	for _, s := range srcs {
		if !sameExcept(s.shape, dst.shape, axis) {
			panic(fmt.Sprintf("tensor: Concat of %v along axis %d into %v", s.shape, axis, dst.shape))
		}
		total += s.shape[axis]
	}
	if total != dst.shape[axis] {
		panic(fmt.Sprintf("tensor: Concat along axis %d: sizes sum to %d, destination %v", axis, total, dst.shape))
	}
	row := dst.shape[axis] * inner
	for o := 0; o < outer; o++ {
		at := o * row
		for _, s := range srcs {
			chunk := s.shape[axis] * inner
			copy(dst.data[at:at+chunk], s.data[o*chunk:(o+1)*chunk])
			at += chunk
		}
	}
}

// Slice sets dst to the part of src that starts at index start along axis and
// is as long as dst along it; dst agrees with src on every other axis.
func Slice(dst, src *Tensor, axis, start int) {
	outer, inner := split("Slice", src.shape, axis)
	if !sameExcept(src.shape, dst.shape, axis) || start < 0 || start+dst.shape[axis] > src.shape[axis] {
		panic(fmt.Sprintf("tensor: Slice of %v from %d along axis %d into %v", src.shape, start, axis, dst.shape))
	}
	chunk, row := dst.shape[axis]*inner, src.shape[axis]*inner
	for o := 0; o < outer; o++ {
		copy(dst.data[o*chunk:(o+1)*chunk], src.data[o*row+start*inner:])
	}
}

// rowIndex returns idx's element i as a row number of a table with rows
// rows, panicking unless it is an integer in [0, rows).
func rowIndex(op string, idx *Tensor, i, rows int) int {
	v := idx.data[i]
	k := int(v)
	if float32(k) != v || k < 0 || k >= rows {
		panic(fmt.Sprintf("tensor: %s: index %v at %d is not a row of a %d-row table", op, v, i, rows))
	}
	return k
}

// checkRows panics unless rows has shape idx's shape followed by table's
// last dimension, for a 2-D table.
func checkRows(op string, rows, table, idx *Tensor) {
	ok := len(table.shape) == 2 && len(rows.shape) == len(idx.shape)+1 &&
		EqualShapes(rows.shape[:len(idx.shape)], idx.shape) && rows.shape[len(idx.shape)] == table.shape[1]
	if !ok {
		panic(fmt.Sprintf("tensor: %s: rows %v, table %v, indices %v", op, rows.shape, table.shape, idx.shape))
	}
}

// GatherRows sets dst [idx…, D] to the rows of table [R, D] that idx names:
// idx holds row numbers as integral float32 values, as an embedding lookup.
func GatherRows(dst, table, idx *Tensor) {
	checkRows("GatherRows", dst, table, idx)
	r, d := table.shape[0], table.shape[1]
	for i := range idx.data {
		k := rowIndex("GatherRows", idx, i, r)
		copy(dst.data[i*d:(i+1)*d], table.data[k*d:(k+1)*d])
	}
}

// ScatterAddRows adds each row i of src [idx…, D] into row idx[i] of dst
// [R, D]: the adjoint of GatherRows.
func ScatterAddRows(dst, src, idx *Tensor) {
	checkRows("ScatterAddRows", src, dst, idx)
	r, d := dst.shape[0], dst.shape[1]
	for i := range idx.data {
		k := rowIndex("ScatterAddRows", idx, i, r)
		row := dst.data[k*d : (k+1)*d]
		for j, v := range src.data[i*d : (i+1)*d] {
			row[j] += v
		}
	}
}
