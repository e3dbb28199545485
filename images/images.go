// Package images turns batches of generated samples into pictures: grids
// laid out as torchvision's make_grid lays them out, and PNG files.
package images

import (
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/tensor"
)

// torchvision's make_grid defaults.
const (
	// DefaultNRow is the number of images per row.
	DefaultNRow = 8
	// DefaultPadding is the width in pixels of the black border around
	// and between images.
	DefaultPadding = 2
)

// Grid tiles a batch of images t, shaped [N, C, H, W] with C = 1 (grey) or
// C = 3 (red, green, blue planes), into one picture, as torchvision's
// make_grid(t, nrow, padding, normalize=True, value_range=(-1, 1)) followed by
// save_image does: nrow images per row (fewer if N is smaller), rows as many
// as needed, padding black pixels around and between them, and each value
// mapped to a byte by ToPixel. It returns an *image.Gray for C = 1 and an
// *image.RGBA for C = 3. A batch of flat rows [N, H*W] is passed as t.Reshape(N, 1, H, W), which shares its
// storage. Unlike make_grid, Grid pads a batch of one image too. It panics
// if the shape, nrow or padding is invalid.
func Grid(t *tensor.Tensor, nrow, padding int) image.Image {
	if t.Dims() != 4 || t.Dim(0) < 1 || (t.Dim(1) != 1 && t.Dim(1) != 3) {
		panic(fmt.Sprintf("images: Grid: shape %v, want [N, C, H, W] with N ≥ 1 and C = 1 or 3", t.Shape()))
	}
	if nrow < 1 || padding < 0 {
		panic(fmt.Sprintf("images: Grid: nrow %d and padding %d, want nrow ≥ 1 and padding ≥ 0", nrow, padding))
	}
	n, c, h, w := t.Dim(0), t.Dim(1), t.Dim(2), t.Dim(3)
	cols := min(nrow, n)
	rows := (n + cols - 1) / cols
	bounds := image.Rect(0, 0, cols*(w+padding)+padding, rows*(h+padding)+padding)
	data := t.Data()
	if c == 1 {
		img := image.NewGray(bounds)
		for k := range n {
			x0, y0 := origin(k, cols, h, w, padding)
			src := data[k*h*w : (k+1)*h*w]
			for y := range h {
				row := img.Pix[img.PixOffset(x0, y0+y):][:w]
				for x := range row {
					row[x] = ToPixel(src[y*w+x])
				}
			}
		}
		return img
	}
	img := image.NewRGBA(bounds)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	plane := h * w
	for k := range n {
		x0, y0 := origin(k, cols, h, w, padding)
		src := data[k*3*plane : (k+1)*3*plane]
		for y := range h {
			row := img.Pix[img.PixOffset(x0, y0+y):][:4*w]
			for x := range w {
				for ch := range 3 {
					row[4*x+ch] = ToPixel(src[ch*plane+y*w+x])
				}
			}
		}
	}
	return img
}

// origin returns the top-left pixel of image k's cell in a grid of cols
// columns of h×w images separated by padding.
func origin(k, cols, h, w, padding int) (x, y int) {
	return padding + (k%cols)*(w+padding), padding + (k/cols)*(h+padding)
}

// WritePNG writes img as a PNG file at path, atomically: the file appears
// complete or not at all.
func WritePNG(path string, img image.Image) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return png.Encode(w, img) })
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	return nil
}
