package classifier

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// ReadImages reads the images the feature network takes from path: a
// folder of 28×28 PNG or JPEG files (taken in name order; colour images are
// converted to grey with Go's luminance weights; other files are ignored),
// or an IDX file of unsigned bytes shaped [N, 28, 28] or [N, 1, 28, 28],
// gzip-compressed or not. It returns [N, 1, 28, 28] scaled to [−1, 1] by
// images.ToValues. An unreadable file, an image of another size or an empty
// folder is an error naming the file.
func ReadImages(path string) (*tensor.Tensor, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	if info.IsDir() {
		return readFolder(path)
	}
	idx, err := data.OpenIDX(path)
	if err != nil {
		return nil, fmt.Errorf("classifier: %s is neither a folder of images nor an IDX file: %w", path, err)
	}
	d := idx.Dims
	ok := (len(d) == 3 && d[1] == Side && d[2] == Side) || (len(d) == 4 && d[1] == 1 && d[2] == Side && d[3] == Side)
	if !ok || d[0] < 1 {
		return nil, fmt.Errorf("classifier: %s: IDX array of shape %v, want [N %d %d] or [N 1 %d %d] images with N ≥ 1", path, d, Side, Side, Side, Side)
	}
	x := tensor.New(d[0], 1, Side, Side)
	images.ToValues(x.Data(), idx.Data)
	return x, nil
}

// readFolder reads the image files of dir.
func readFolder(dir string) (*tensor.Tensor, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && images.IsImageName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("classifier: %s holds no .png, .jpg or .jpeg files", dir)
	}
	x := tensor.New(len(names), 1, Side, Side)
	grey := make([]uint8, Side*Side)
	for k, name := range names {
		path := filepath.Join(dir, name)
		img, _, err := images.Decode(path)
		if err != nil {
			return nil, fmt.Errorf("classifier: %w", err)
		}
		b := img.Bounds()
		if b.Dx() != Side || b.Dy() != Side {
			return nil, fmt.Errorf("classifier: %s is %d×%d, want %d×%d like the folder's other images", path, b.Dx(), b.Dy(), Side, Side)
		}
		for i := range Side {
			for j := range Side {
				grey[i*Side+j] = color.GrayModel.Convert(img.At(b.Min.X+j, b.Min.Y+i)).(color.Gray).Y
			}
		}
		images.ToValues(x.Data()[k*Side*Side:(k+1)*Side*Side], grey)
	}
	return x, nil
}
