package data

import (
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/image/draw"

	"github.com/nash-gan/nash/images"
)

// LoadFolder loads a folder of the user's images as a Dataset of size×size
// images: every PNG or JPEG file is decoded once, its centre square (the
// side of its shorter side) resized to size×size, and kept in memory as
// bytes. The dataset is grey (C = 1) if every image is grey and RGB (C = 3)
// otherwise; colour images with alpha are composed over black.
//
// If dir holds sub-folders, each is a class, named after the folder and
// labelled in name order (as torchvision's ImageFolder), holding its images
// at any depth; files beside the class folders are an error. Otherwise the
// images are directly in dir and form one class, named after dir. Names
// starting with '.' are skipped. A file that is not a PNG or JPEG image is
// an error naming it.
func LoadFolder(dir string, size int) (*Dataset, error) {
	if size < 1 {
		return nil, fmt.Errorf("data: folder %s: image size %d, want at least 1", dir, size)
	}
	files, labels, classes, err := listFolder(dir)
	if err != nil {
		return nil, err
	}
	n := len(files)
	rgb := make([]uint8, n*3*size*size)
	grey := make([]bool, n)
	sizes := make([]image.Point, n)
	errs := make([]error, n)
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= n {
					return
				}
				grey[j], sizes[j], errs[j] = decodeFitted(files[j], size, rgb[j*3*size*size:(j+1)*3*size*size])
			}
		})
	}
	wg.Wait()
	allGrey := true
	for j := range files {
		if errs[j] != nil {
			return nil, errs[j]
		}
		allGrey = allGrey && grey[j]
	}
	ds := &Dataset{Name: "folder", Split: "train", N: n, C: 3, H: size, W: size, Pixels: rgb, Labels: labels, ClassNames: classes,
		Notes: fittingNotes(dir, files, sizes, size)}
	if allGrey {
		ds.C = 1
		ds.Pixels = make([]uint8, n*size*size)
		plane := size * size
		for j := range n {
			copy(ds.Pixels[j*plane:(j+1)*plane], rgb[j*3*plane:j*3*plane+plane])
		}
	}
	return ds, nil
}

// listFolder returns the image files under dir with their labels and the
// class names (see LoadFolder).
func listFolder(dir string) (files []string, labels []uint8, classes []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("data: folder: %w", err)
	}
	var loose []string
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			classes = append(classes, e.Name())
		default:
			loose = append(loose, filepath.Join(dir, e.Name()))
		}
	}
	if len(classes) == 0 {
		if len(loose) == 0 {
			return nil, nil, nil, fmt.Errorf("data: folder %s holds no images", dir)
		}
		return loose, make([]uint8, len(loose)), []string{filepath.Base(filepath.Clean(dir))}, nil
	}
	if len(loose) > 0 {
		return nil, nil, nil, fmt.Errorf("data: folder %s: %s is beside the class folders %q; move it into one of them or away", dir, loose[0], classes)
	}
	if len(classes) > 256 {
		return nil, nil, nil, fmt.Errorf("data: folder %s has %d class folders, at most 256 are supported", dir, len(classes))
	}
	for label, class := range classes {
		root := filepath.Join(dir, class)
		count := 0
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != root {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
				labels = append(labels, uint8(label))
				count++
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("data: folder: %w", err)
		}
		if count == 0 {
			return nil, nil, nil, fmt.Errorf("data: folder %s: class folder %s holds no images", dir, root)
		}
	}
	return files, labels, classes, nil
}

// fittingNotes describes how the images of files, of the given sizes,
// were fitted to size×size: how many were resized, cropped to their centre
// square or enlarged, each with an example; nothing when all were already
// size×size.
func fittingNotes(dir string, files []string, sizes []image.Point, size int) []string {
	var resized, cropped, enlarged []int
	for j, p := range sizes {
		if p.X != size || p.Y != size {
			resized = append(resized, j)
		}
		if p.X != p.Y {
			cropped = append(cropped, j)
		}
		if min(p.X, p.Y) < size {
			enlarged = append(enlarged, j)
		}
	}
	example := func(j int) string {
		rel, err := filepath.Rel(dir, files[j])
		if err != nil {
			rel = files[j]
		}
		return fmt.Sprintf("%s is %d×%d", rel, sizes[j].X, sizes[j].Y)
	}
	var notes []string
	if len(resized) > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d images in %s resized to %d×%d (%s)", len(resized), len(files), dir, size, size, example(resized[0])))
	}
	if len(cropped) > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d images not square: their centre square kept (%s)", len(cropped), len(files), example(cropped[0])))
	}
	if len(enlarged) > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d images smaller than %d×%d, enlarged, which blurs them (%s)", len(enlarged), len(files), size, size, example(enlarged[0])))
	}
	return notes
}

// decodeFitted decodes the image file at path (images.Decode, with its
// pixel cap), fits it to size×size into dst as planes of red, green and
// blue bytes, and reports whether it is grey and its size.
func decodeFitted(path string, size int, dst []uint8) (grey bool, dim image.Point, err error) {
	img, _, err := images.Decode(path)
	if err != nil {
		return false, image.Point{}, fmt.Errorf("data: %w", err)
	}
	fitSquare(img, size, dst)
	dim = img.Bounds().Size()
	switch img.ColorModel() {
	case color.GrayModel, color.Gray16Model:
		grey = true
	}
	return grey, dim, nil
}

// fitSquare resizes the centre square of src (the side of its shorter
// side) to size×size with bilinear filtering, antialiased when shrinking,
// and writes it to dst as planes of red, green and blue bytes, composed
// over black.
func fitSquare(src image.Image, size int, dst []uint8) {
	b := src.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.BiLinear.Scale(out, out.Bounds(), src, image.Rect(x0, y0, x0+side, y0+side), draw.Over, nil)
	plane := size * size
	for p := range plane {
		for c := range 3 {
			dst[c*plane+p] = out.Pix[4*p+c]
		}
	}
}

// Resize returns a copy of the dataset with every image's centre square
// resized to size×size (bilinear, antialiased when shrinking), labels and
// class names shared.
func (d *Dataset) Resize(size int) *Dataset {
	out := *d
	out.H, out.W = size, size
	out.Pixels = make([]uint8, d.N*d.C*size*size)
	plane := size * size
	rgb := make([]uint8, 3*plane)
	for i := range d.N {
		img := d.channelImage(i)
		fitSquare(img, size, rgb)
		for c := range d.C {
			copy(out.Pixels[(i*d.C+c)*plane:], rgb[c*plane:(c+1)*plane])
		}
	}
	return &out
}

// channelImage returns image i as an image.Image: grey for one channel,
// RGB for three.
func (d *Dataset) channelImage(i int) image.Image {
	px := d.Image(i)
	r := image.Rect(0, 0, d.W, d.H)
	if d.C == 1 {
		return &image.Gray{Pix: px, Stride: d.W, Rect: r}
	}
	img := image.NewRGBA(r)
	plane := d.H * d.W
	for p := range plane {
		img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = px[p], px[plane+p], px[2*plane+p], 255
	}
	return img
}

// LoadImageFile decodes the image file at path (images.Decode) and fits it
// to size×size as LoadFolder fits a folder's images: planes of red, green
// and blue bytes, 3·size·size.
func LoadImageFile(path string, size int) ([]uint8, error) {
	dst := make([]uint8, 3*size*size)
	if _, _, err := decodeFitted(path, size, dst); err != nil {
		return nil, err
	}
	return dst, nil
}
