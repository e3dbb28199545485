package images

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// centroid returns the mean pixel position of the pixels of img for which
// match holds, and how many there are.
func centroid(img image.Image, match func(r, g, b uint32) bool) (x, y float64, n int) {
	b := img.Bounds()
	for py := b.Min.Y; py < b.Max.Y; py++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			r, g, bl, _ := img.At(px, py).RGBA()
			if match(r>>8, g>>8, bl>>8) {
				x += float64(px)
				y += float64(py)
				n++
			}
		}
	}
	if n > 0 {
		x /= float64(n)
		y /= float64(n)
	}
	return x, y, n
}

func isBlue(r, g, b uint32) bool { return b > r+40 }
func isRed(r, g, b uint32) bool  { return r > 150 && g < 120 && b < 120 }

// pointsAt returns n points around (x, y), spread a little so they cover
// more than one pixel.
func pointsAt(n int, x, y float32) *tensor.Tensor {
	t := tensor.New(n, 2)
	d := t.Data()
	for i := range n {
		d[2*i] = x + 0.01*float32(i%5-2)
		d[2*i+1] = y + 0.01*float32(i/5%5-2)
	}
	return t
}

// TestScatterPlacesPoints draws points at known places over one circled mean
// at the origin and checks where the dots land relative to the circle: on
// it, to its right, above it, or nowhere when off the axes or not finite.
func TestScatterPlacesPoints(t *testing.T) {
	const size = 400
	nan := float32(math.NaN())
	for _, c := range []struct {
		name   string
		points *tensor.Tensor
		// dx, dy are the expected sign of the offset of the dots' centroid
		// from the circle's, in pixels (y grows downwards); 0 means within
		// 2 pixels.
		dx, dy int
		none   bool
	}{
		{name: "on the mean", points: pointsAt(100, 0, 0)},
		{name: "right", points: pointsAt(100, 1, 0), dx: 1},
		{name: "above", points: pointsAt(100, 0, 1), dy: -1},
		{name: "off the axes", points: pointsAt(100, 3, 0), none: true},
		{name: "not finite", points: pointsAt(100, nan, 0), none: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Scatter{Title: c.name, Means: [][2]float64{{0, 0}}, Radius: 0.1, Extent: 2, Size: size}
			img := s.Draw(c.points)
			if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
				t.Fatalf("picture is %v, want %d×%d", b, size, size)
			}
			rx, ry, nr := centroid(img, isRed)
			if nr == 0 {
				t.Fatal("no red circle drawn")
			}
			bx, by, nb := centroid(img, isBlue)
			if c.none {
				if nb != 0 {
					t.Fatalf("%d blue pixels for points that should not be drawn", nb)
				}
				return
			}
			if nb == 0 {
				t.Fatal("no points drawn")
			}
			// One data unit spans about size/(2·Extent) pixels less the
			// margins; an offset of 1 must move the dots by over size/8.
			for _, axis := range []struct {
				name      string
				off       float64
				direction int
			}{{"x", bx - rx, c.dx}, {"y", by - ry, c.dy}} {
				switch {
				case axis.direction == 0 && math.Abs(axis.off) > 2:
					t.Errorf("dots are %.1f pixels off the circle along %s, want within 2", axis.off, axis.name)
				case axis.direction != 0 && axis.off*float64(axis.direction) < size/8:
					t.Errorf("dots are %.1f pixels from the circle along %s, want over %d in direction %d", axis.off, axis.name, size/8, axis.direction)
				}
			}
		})
	}
}

func TestScatterWritePNG(t *testing.T) {
	s := &Scatter{Title: "step 1000", Means: [][2]float64{{1, 0}, {0, 1}}, Radius: 0.03, Extent: 1.5, Size: 320}
	points := pointsAt(2500, 1, 0)
	img := s.Draw(points)
	if again := s.Draw(points); !bytes.Equal(img.(*image.RGBA).Pix, again.(*image.RGBA).Pix) {
		t.Error("drawing the same points twice gave different pictures")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "scatter.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	decoded, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a valid PNG: %v", path, err)
	}
	if b := decoded.Bounds(); b.Dx() != 320 || b.Dy() != 320 {
		t.Errorf("PNG is %v, want 320×320", b)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only scatter.png", len(entries))
	}
}

func TestAxisTicks(t *testing.T) {
	for _, c := range []struct {
		extent float64
		want   []string
	}{
		{1.5, []string{"-1.5", "-1.0", "-0.5", "0.0", "0.5", "1.0", "1.5"}},
		{5, []string{"-4", "-2", "0", "2", "4"}},
		{0.3, []string{"-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"}},
	} {
		var got []string
		for _, tick := range axisTicks(c.extent) {
			got = append(got, tick.Label)
		}
		if len(got) != len(c.want) {
			t.Errorf("extent %g: ticks %q, want %q", c.extent, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("extent %g: ticks %q, want %q", c.extent, got, c.want)
				break
			}
		}
	}
}

func TestScatterRejectsBadArguments(t *testing.T) {
	good := Scatter{Means: [][2]float64{{0, 0}}, Radius: 0.1, Extent: 1, Size: 100}
	for _, c := range []struct {
		name   string
		mutate func(*Scatter)
		points *tensor.Tensor
	}{
		{"shape", func(*Scatter) {}, tensor.New(10, 3)},
		{"extent", func(s *Scatter) { s.Extent = 0 }, tensor.New(10, 2)},
		{"NaN extent", func(s *Scatter) { s.Extent = math.NaN() }, tensor.New(10, 2)},
		{"radius", func(s *Scatter) { s.Radius = -1 }, tensor.New(10, 2)},
		{"size", func(s *Scatter) { s.Size = 0 }, tensor.New(10, 2)},
	} {
		s := good
		c.mutate(&s)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Draw did not panic", c.name)
				}
			}()
			s.Draw(c.points)
		}()
	}
}
