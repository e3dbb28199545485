package data

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// writeImage writes img to dir/name as PNG, or JPEG for a .jpg name,
// making the folders it needs.
func writeImage(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".jpg") {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 100})
	} else {
		err = png.Encode(f, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// banded returns a w×h image that is c in its centre square and black
// beside it, so that a correct centre crop sees only c.
func banded(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	side := min(w, h)
	x0, y0 := (w-side)/2, (h-side)/2
	for y := range h {
		for x := range w {
			if x >= x0 && x < x0+side && y >= y0 && y < y0+side {
				img.Set(x, y, c)
			} else {
				img.Set(x, y, color.Black)
			}
		}
	}
	return img
}

func grey(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

// Class sub-folders become labels in name order; images of any size and
// shape are centre-cropped and resized; one colour image makes the
// dataset RGB; hidden files are skipped.
func TestLoadFolderClasses(t *testing.T) {
	dir := t.TempDir()
	writeImage(t, dir, "dog/a.png", banded(30, 10, color.RGBA{R: 200, G: 100, B: 50, A: 255}))
	writeImage(t, dir, "dog/deeper/b.png", banded(9, 27, color.RGBA{R: 200, G: 100, B: 50, A: 255}))
	writeImage(t, dir, "cat/c.png", grey(8, 8, 90))
	writeImage(t, dir, ".thumbnails/x.png", grey(8, 8, 1))
	if err := os.WriteFile(filepath.Join(dir, "cat", ".DS_Store"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := LoadFolder(dir, 6)
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 3 || ds.C != 3 || ds.H != 6 || ds.W != 6 || !reflect.DeepEqual(ds.ClassNames, []string{"cat", "dog"}) {
		t.Fatalf("dataset %d×%d×%d×%d, classes %q", ds.N, ds.C, ds.H, ds.W, ds.ClassNames)
	}
	if !reflect.DeepEqual(ds.Labels, []uint8{0, 1, 1}) {
		t.Fatalf("labels %v, want [0 1 1]", ds.Labels)
	}
	for i, want := range [][3]uint8{{90, 90, 90}, {200, 100, 50}, {200, 100, 50}} {
		px := ds.Image(i)
		for c := range 3 {
			for _, v := range px[c*36 : (c+1)*36] {
				if v != want[c] {
					t.Fatalf("image %d channel %d has %d, want %d everywhere", i, c, v, want[c])
				}
			}
		}
	}
}

// A folder of grey images without sub-folders is one grey class named
// after the folder; JPEG files load too.
func TestLoadFolderGreyOneClass(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "faces")
	writeImage(t, dir, "1.png", grey(20, 20, 255))
	writeImage(t, dir, "2.jpg", grey(10, 12, 0))
	ds, err := LoadFolder(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 2 || ds.C != 1 || !reflect.DeepEqual(ds.ClassNames, []string{"faces"}) || !reflect.DeepEqual(ds.Labels, []uint8{0, 0}) {
		t.Fatalf("dataset of %d images, %d channels, classes %q, labels %v", ds.N, ds.C, ds.ClassNames, ds.Labels)
	}
	if ds.Image(0)[5] != 255 || ds.Image(1)[5] != 0 {
		t.Fatalf("pixels %d and %d, want 255 and 0", ds.Image(0)[5], ds.Image(1)[5])
	}
}

// Bad folders fail with an error naming the file or folder at fault.
func TestLoadFolderErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"not an image", func(dir string) {
			writeImage(t, dir, "cat/a.png", grey(4, 4, 1))
			os.WriteFile(filepath.Join(dir, "cat", "notes.txt"), []byte("hello"), 0o644)
		}, "cat/notes.txt is not a PNG or JPEG image"},
		{"truncated", func(dir string) {
			writeImage(t, dir, "a.png", grey(40, 40, 1))
			b, _ := os.ReadFile(filepath.Join(dir, "a.png"))
			os.WriteFile(filepath.Join(dir, "a.png"), b[:len(b)/2], 0o644)
		}, "a.png: decoding the png image"},
		{"beside the classes", func(dir string) {
			writeImage(t, dir, "cat/a.png", grey(4, 4, 1))
			writeImage(t, dir, "b.png", grey(4, 4, 1))
		}, "b.png is beside the class folders"},
		{"empty class", func(dir string) {
			writeImage(t, dir, "cat/a.png", grey(4, 4, 1))
			os.Mkdir(filepath.Join(dir, "dog"), 0o755)
		}, "class folder " + "DIR/dog holds no images"},
		{"empty", func(string) {}, "holds no images"},
	} {
		dir := t.TempDir()
		c.setup(dir)
		want := strings.ReplaceAll(c.want, "DIR", dir)
		if _, err := LoadFolder(dir, 8); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, want)
		}
	}
	if _, err := LoadFolder(filepath.Join(t.TempDir(), "missing"), 8); err == nil {
		t.Error("a missing folder loaded")
	}
}

// Resize changes the image size and keeps the labels: a constant image
// stays constant, a half-black, half-white one keeps its halves.
func TestResize(t *testing.T) {
	ds := &Dataset{Name: "idx", N: 2, C: 1, H: 8, W: 8, Pixels: make([]uint8, 128), Labels: []uint8{1, 0}, ClassNames: []string{"a", "b"}}
	for i := range 64 {
		ds.Pixels[i] = 77
		if i%8 >= 4 {
			ds.Pixels[64+i] = 255
		}
	}
	r := ds.Resize(4)
	if r.N != 2 || r.H != 4 || r.W != 4 || len(r.Pixels) != 32 || !reflect.DeepEqual(r.Labels, ds.Labels) {
		t.Fatalf("resized to %d×%d×%d, %d bytes, labels %v", r.N, r.H, r.W, len(r.Pixels), r.Labels)
	}
	for _, v := range r.Image(0) {
		if v != 77 {
			t.Fatalf("constant image resized to %v", r.Image(0))
		}
	}
	row := r.Image(1)[4:8]
	if row[0] > 10 || row[3] < 245 {
		t.Fatalf("half-white image's row resized to %v", row)
	}
}

// TestLoadFolderNotes: images of other sizes are fitted with a note for
// each kind of change, naming an example; images of the right size give
// none.
func TestLoadFolderNotes(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string][2]int{"a.png": {16, 16}, "b.png": {40, 36}, "c.png": {3, 3}} {
		img := image.NewGray(image.Rect(0, 0, size[0], size[1]))
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	ds, err := LoadFolder(dir, 16)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2 of 3 images in " + dir + " resized to 16×16 (b.png is 40×36)",
		"1 of 3 images not square: their centre square kept (b.png is 40×36)",
		"1 of 3 images smaller than 16×16, enlarged, which blurs them (c.png is 3×3)",
	}
	if !slices.Equal(ds.Notes, want) {
		t.Errorf("notes %q\nwant %q", ds.Notes, want)
	}
	os.Remove(filepath.Join(dir, "b.png"))
	os.Remove(filepath.Join(dir, "c.png"))
	if ds, err := LoadFolder(dir, 16); err != nil || ds.Notes != nil {
		t.Errorf("images of the right size: notes %q, %v", ds.Notes, err)
	}
}
