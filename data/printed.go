package data

import (
	"fmt"
	"image"
	"math"
	"runtime"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomediumitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/gomonobolditalic"
	"golang.org/x/image/font/gofont/gomonoitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/gofont/gosmallcaps"
	"golang.org/x/image/font/gofont/gosmallcapsitalic"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"

	"github.com/nash-gan/nash/tensor"
)

// Printed digits: a domain of machine-printed digits that nash renders
// itself, in the manner of SynDigits (Ganin and Lempitsky 2015), the
// second domain of the mnist-printed translation benchmark.
const (
	// PrintedSide is the side of a printed digit image, 3×32×32 RGB.
	PrintedSide = 32
	// PrintedTrain and PrintedTest are the sizes of the two splits.
	PrintedTrain = 60000
	PrintedTest  = 10000
	// printedSeed fixes the benchmark's images, whatever a run's seed.
	printedSeed = 20170330
	// canvas is the side of the mask a glyph is drawn on before it is
	// transformed down to PrintedSide.
	canvas = 64
)

// printedFonts are the TrueType fonts digits are drawn in: the Go fonts.
var printedFonts = [][]byte{
	goregular.TTF, gobold.TTF, goitalic.TTF, gobolditalic.TTF, gomedium.TTF, gomediumitalic.TTF,
	gomono.TTF, gomonobold.TTF, gomonoitalic.TTF, gomonobolditalic.TTF, gosmallcaps.TTF, gosmallcapsitalic.TTF,
}

var (
	parseFonts sync.Once
	parsed     []*opentype.Font
	printedMu  sync.Mutex
	printed    = map[string]*Dataset{}
)

// Printed returns the split ("train": 60,000 images, "test": 10,000) of
// the printed digits, 3×32×32 RGB with labels 0–9: each digit drawn in one
// of the Go fonts at a random size, stroke width, slant, rotation and
// position, in a random foreground colour on a random background colour
// (at least 0.3 apart in luminance), blurred and with noise. The images
// depend only on the split, not on any run's seed (image i of a split on
// its own stream), and are rendered on first use, in parallel, and kept.
// The returned dataset is shared: it must not be modified.
func Printed(split string) (*Dataset, error) {
	n := PrintedTrain
	switch split {
	case "train":
	case "test":
		n = PrintedTest
	default:
		return nil, fmt.Errorf("data: unknown split %q (want train or test)", split)
	}
	printedMu.Lock()
	defer printedMu.Unlock()
	if ds, ok := printed[split]; ok {
		return ds, nil
	}
	ds, err := RenderPrinted(n, "printed "+split)
	if err != nil {
		return nil, err
	}
	ds.Name, ds.Split = "printed", split
	printed[split] = ds
	return ds, nil
}

// RenderPrinted renders n printed digits, image i from stream
// (printedSeed + i, stream).
func RenderPrinted(n int, stream string) (*Dataset, error) {
	var err error
	parseFonts.Do(func() {
		for _, b := range printedFonts {
			f, perr := opentype.Parse(b)
			if perr != nil {
				err = perr
				return
			}
			parsed = append(parsed, f)
		}
	})
	if err != nil || len(parsed) != len(printedFonts) {
		return nil, fmt.Errorf("data: printed digits: parsing the Go fonts: %v", err)
	}
	const size = 3 * PrintedSide * PrintedSide
	ds := &Dataset{N: n, C: 3, H: PrintedSide, W: PrintedSide, Pixels: make([]uint8, n*size), Labels: make([]uint8, n),
		ClassNames: decimalNames(10)}
	workers := min(runtime.GOMAXPROCS(0), n)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r, err := newRenderer()
			if err != nil {
				errs[w] = err
				return
			}
			for i := w; i < n; i += workers {
				ds.Labels[i] = r.render(ds.Pixels[i*size:(i+1)*size], tensor.NewRNG(printedSeed+uint64(i), stream))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// renderer draws digits on one goroutine: faces are not safe for
// concurrent use.
type renderer struct {
	faces      []font.Face
	mask, wide *image.Alpha
	small      *image.Alpha
	plane      [3][]float64
	tmp        []float64
}

// glyphSize is the size in pixels of the glyphs on the canvas.
const glyphSize = 40

func newRenderer() (*renderer, error) {
	r := &renderer{mask: image.NewAlpha(image.Rect(0, 0, canvas, canvas)), wide: image.NewAlpha(image.Rect(0, 0, canvas, canvas)),
		small: image.NewAlpha(image.Rect(0, 0, PrintedSide, PrintedSide)), tmp: make([]float64, PrintedSide*PrintedSide)}
	for c := range r.plane {
		r.plane[c] = make([]float64, PrintedSide*PrintedSide)
	}
	for _, f := range parsed {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: glyphSize, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return nil, fmt.Errorf("data: printed digits: %w", err)
		}
		r.faces = append(r.faces, face)
	}
	return r, nil
}

// uniform returns a uniform draw in [lo, hi).
func uniform(rng *tensor.RNG, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// render draws one random digit into dst (3×32×32 bytes) and returns its
// label.
func (r *renderer) render(dst []uint8, rng *tensor.RNG) uint8 {
	label := rng.IntN(10)
	face := r.faces[rng.IntN(len(r.faces))]
	digit := string(rune('0' + label))
	// The glyph, centred on the canvas by its ink's bounds.
	clear(r.mask.Pix)
	b, _ := font.BoundString(face, digit)
	cx, cy := (b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2
	d := font.Drawer{Dst: r.mask, Src: image.Opaque, Face: face,
		Dot: fixed.Point26_6{X: fixed.I(canvas/2) - cx, Y: fixed.I(canvas/2) - cy}}
	d.DrawString(digit)
	// Stroke width: dilation by 0, 1 or 2 canvas pixels.
	src := r.mask
	if k := rng.IntN(3); k > 0 {
		dilate(r.wide, r.mask, k)
		src = r.wide
	}
	// Size, slant, rotation and position.
	height := float64(b.Max.Y-b.Min.Y) / 64
	scale := uniform(rng, 16, 24) / height // digit height 16–24 pixels on 32
	slant := uniform(rng, -0.3, 0.3)
	theta := uniform(rng, -10, 10) * math.Pi / 180
	tx, ty := uniform(rng, -2, 2), uniform(rng, -2, 2)
	cos, sin := math.Cos(theta)*scale, math.Sin(theta)*scale
	// dst = R·S·(src − centre) + centre', S the slant [1 −slant; 0 1].
	c := float64(canvas) / 2
	m := f64.Aff3{cos, -cos*slant - sin, 0, sin, -sin*slant + cos, 0}
	m[2] = PrintedSide/2 + tx - (m[0]*c + m[1]*c)
	m[5] = PrintedSide/2 + ty - (m[3]*c + m[4]*c)
	clear(r.small.Pix)
	draw.BiLinear.Transform(r.small, m, src, src.Bounds(), draw.Src, nil)
	// Colours at least 0.3 apart in luminance.
	var fg, bg [3]float64
	for {
		for i := range 3 {
			fg[i], bg[i] = rng.Float64(), rng.Float64()
		}
		if math.Abs(luminance(fg)-luminance(bg)) >= 0.3 {
			break
		}
	}
	for ch := range 3 {
		p := r.plane[ch]
		for i, a := range r.small.Pix {
			t := float64(a) / 255
			p[i] = bg[ch] + t*(fg[ch]-bg[ch])
		}
	}
	sigma := uniform(rng, 0, 1)
	noise := uniform(rng, 0, 0.05)
	for ch := range 3 {
		blur(r.plane[ch], r.tmp, sigma)
		for i, v := range r.plane[ch] {
			v = 255 * (v + noise*rng.Norm())
			dst[ch*PrintedSide*PrintedSide+i] = uint8(math.Round(min(255, max(0, v))))
		}
	}
	return uint8(label)
}

// luminance returns the Rec. 601 luma of an RGB colour in [0, 1].
func luminance(c [3]float64) float64 { return 0.299*c[0] + 0.587*c[1] + 0.114*c[2] }

// dilate writes into dst the maximum of src over the square of radius k
// around each pixel.
func dilate(dst, src *image.Alpha, k int) {
	n := src.Rect.Dx()
	for y := range n {
		for x := range n {
			var v uint8
			for dy := max(0, y-k); dy <= min(n-1, y+k); dy++ {
				for dx := max(0, x-k); dx <= min(n-1, x+k); dx++ {
					v = max(v, src.Pix[dy*src.Stride+dx])
				}
			}
			dst.Pix[y*dst.Stride+x] = v
		}
	}
}

// blur convolves the PrintedSide×PrintedSide plane p with a Gaussian of
// standard deviation sigma (none below 0.2), clamping at the edges; tmp is
// scratch of p's size.
func blur(p, tmp []float64, sigma float64) {
	if sigma < 0.2 {
		return
	}
	const radius = 2
	var w [2*radius + 1]float64
	var sum float64
	for i := range w {
		d := float64(i - radius)
		w[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	n := PrintedSide
	for y := range n {
		for x := range n {
			var v float64
			for i, wi := range w {
				v += wi * p[y*n+min(n-1, max(0, x+i-radius))]
			}
			tmp[y*n+x] = v
		}
	}
	for y := range n {
		for x := range n {
			var v float64
			for i, wi := range w {
				v += wi * tmp[min(n-1, max(0, y+i-radius))*n+x]
			}
			p[y*n+x] = v
		}
	}
}
