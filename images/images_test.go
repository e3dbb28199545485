package images

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// pixelValue returns the value in [-1, 1] that the byte p is scaled to for
// training (ToValues); Grid maps it back to exactly p.
func pixelValue(p int) float32 {
	v := make([]float32, 1)
	ToValues(v, []uint8{uint8(p)})
	return v[0]
}

type spot struct {
	x, y int
	want uint8
}

// Grey images land in their cells: image k's pixel (y, x) holds the byte
// 1 + 10k + 3y + x, and padding and empty cells are black.
func TestGridGray(t *testing.T) {
	for _, c := range []struct {
		name               string
		n, nrow, padding   int
		width, height, lit int
		spots              []spot
	}{
		{"odd N", 5, 2, 2, 12, 14, 30, []spot{
			{2, 2, 1}, {4, 3, 6}, // image 0, first and last pixel
			{7, 2, 11}, {9, 3, 16}, // image 1
			{2, 6, 21}, {7, 7, 34}, {4, 11, 46}, // images 2, 3, 4
			{0, 0, 0}, {5, 2, 0}, {6, 2, 0}, {11, 13, 0}, // padding
			{7, 10, 0}, {9, 11, 0}, // the empty sixth cell
		}},
		{"nrow above N, no padding", 5, 8, 0, 15, 2, 30, []spot{
			{0, 0, 1}, {3, 0, 11}, {12, 0, 41}, {14, 1, 46},
		}},
		{"one image", 1, 8, 1, 5, 4, 6, []spot{
			{0, 0, 0}, {1, 1, 1}, {3, 2, 6}, {4, 3, 0},
		}},
	} {
		const h, w = 2, 3
		batch := tensor.New(c.n, 1, h, w)
		d := batch.Data()
		for k := range c.n {
			for y := range h {
				for x := range w {
					d[(k*h+y)*w+x] = pixelValue(1 + 10*k + 3*y + x)
				}
			}
		}
		img, ok := Grid(batch, c.nrow, c.padding).(*image.Gray)
		if !ok {
			t.Fatalf("%s: grid is not an *image.Gray", c.name)
		}
		if b := img.Bounds(); b != image.Rect(0, 0, c.width, c.height) {
			t.Errorf("%s: bounds %v, want %dx%d", c.name, b, c.width, c.height)
		}
		for _, s := range c.spots {
			if got := img.GrayAt(s.x, s.y).Y; got != s.want {
				t.Errorf("%s: pixel (%d, %d) is %d, want %d", c.name, s.x, s.y, got, s.want)
			}
		}
		lit := 0
		for _, p := range img.Pix {
			if p != 0 {
				lit++
			}
		}
		if lit != c.lit {
			t.Errorf("%s: %d non-black pixels, want %d", c.name, lit, c.lit)
		}
	}
}

// Colour images take their red, green and blue planes in order and are
// opaque everywhere, padding included.
func TestGridRGB(t *testing.T) {
	const n, h, w = 3, 1, 2
	batch := tensor.New(n, 3, h, w)
	d := batch.Data()
	for k := range n {
		for ch := range 3 {
			for x := range w {
				d[(k*3+ch)*w+x] = pixelValue(1 + 20*k + 5*ch + x)
			}
		}
	}
	img, ok := Grid(batch, 2, 1).(*image.RGBA)
	if !ok {
		t.Fatal("grid is not an *image.RGBA")
	}
	if b := img.Bounds(); b != image.Rect(0, 0, 7, 5) {
		t.Errorf("bounds %v, want 7x5", b)
	}
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{
		{1, 1, color.RGBA{1, 6, 11, 255}},
		{2, 1, color.RGBA{2, 7, 12, 255}},
		{5, 1, color.RGBA{22, 27, 32, 255}},
		{1, 3, color.RGBA{41, 46, 51, 255}},
		{0, 0, color.RGBA{0, 0, 0, 255}},
		{3, 1, color.RGBA{0, 0, 0, 255}},
		{4, 3, color.RGBA{0, 0, 0, 255}},
		{6, 4, color.RGBA{0, 0, 0, 255}},
	} {
		if got := img.RGBAAt(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d, %d) is %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

// Values map as torchvision's save_image maps them, clamped to [-1, 1].
func TestGridClamps(t *testing.T) {
	for _, c := range []struct {
		v    float32
		want uint8
	}{
		{-5, 0}, {-1, 0}, {0, 128}, {0.5, 191}, {1, 255}, {1.0001, 255}, {3, 255},
		{float32(math.Inf(1)), 255}, {float32(math.Inf(-1)), 0}, {float32(math.NaN()), 0},
	} {
		img := Grid(tensor.FromSlice([]float32{c.v}, 1, 1, 1, 1), 1, 0).(*image.Gray)
		if got := img.Pix[0]; got != c.want {
			t.Errorf("value %g maps to %d, want %d", c.v, got, c.want)
		}
	}
	for p := range 256 {
		img := Grid(tensor.FromSlice([]float32{pixelValue(p)}, 1, 1, 1, 1), 1, 0).(*image.Gray)
		if got := img.Pix[0]; int(got) != p {
			t.Errorf("training value of byte %d maps back to %d", p, got)
		}
	}
}

func TestGridPanics(t *testing.T) {
	for _, c := range []struct {
		name          string
		shape         []int
		nrow, padding int
	}{
		{"flat rows", []int{4, 784}, 8, 2},
		{"two channels", []int{4, 2, 3, 3}, 8, 2},
		{"empty batch", []int{0, 1, 3, 3}, 8, 2},
		{"zero nrow", []int{4, 1, 3, 3}, 0, 2},
		{"negative padding", []int{4, 1, 3, 3}, 8, -1},
	} {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			Grid(tensor.New(c.shape...), c.nrow, c.padding)
			return false
		}()
		if !panicked {
			t.Errorf("%s: no panic", c.name)
		}
	}
}

// WritePNG writes a file that decodes to the same picture and leaves no
// temporary file behind.
func TestWritePNG(t *testing.T) {
	gray := tensor.New(3, 1, 4, 5)
	tensor.NewRNG(1, "images").Uniform(gray, -1.2, 1.2)
	rgb := tensor.New(2, 3, 4, 5)
	tensor.NewRNG(2, "images").Uniform(rgb, -1.2, 1.2)
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"gray.png", Grid(gray, DefaultNRow, DefaultPadding)},
		{"rgb.png", Grid(rgb, 1, DefaultPadding)},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, c.name)
		if err := WritePNG(path, c.img); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		back, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if back.Bounds() != c.img.Bounds() {
			t.Fatalf("%s: bounds %v, want %v", c.name, back.Bounds(), c.img.Bounds())
		}
		b := c.img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r0, g0, b0, a0 := c.img.At(x, y).RGBA()
				r1, g1, b1, a1 := back.At(x, y).RGBA()
				if r0 != r1 || g0 != g1 || b0 != b1 || a0 != a1 {
					t.Fatalf("%s: pixel (%d, %d) reads back as %v, want %v", c.name, x, y, back.At(x, y), c.img.At(x, y))
				}
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != c.name {
			t.Errorf("%s: directory holds %v, want only the PNG", c.name, entries)
		}
	}
}

func TestWritePNGError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "grid.png")
	err := WritePNG(path, image.NewGray(image.Rect(0, 0, 1, 1)))
	if err == nil || !strings.HasPrefix(err.Error(), "images: ") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming %s", err, path)
	}
}

func BenchmarkGridMNIST64(b *testing.B) {
	batch := tensor.New(64, 1, 28, 28)
	tensor.NewRNG(1, "images").Uniform(batch, -1, 1)
	b.ReportAllocs()
	for b.Loop() {
		Grid(batch, DefaultNRow, DefaultPadding)
	}
}
