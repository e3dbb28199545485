package images

import (
	"bufio"
	"fmt"
	"image"
	_ "image/jpeg" // decode JPEG files
	_ "image/png"  // decode PNG files (registered by image/png's import in images.go too)
	"os"
	"path/filepath"
	"strings"
)

// MaxPixels caps the size of an image Decode decodes, so that a corrupt or
// hostile header (a small PNG claiming 100,000 × 100,000 pixels) cannot make
// it allocate without bound: 8192 × 8192 pixels.
const MaxPixels = 1 << 26

// Decode reads the PNG or JPEG image file at path: its header first, so that
// an image of more than MaxPixels pixels is refused before its pixels are
// allocated. It returns the image and its format ("png" or "jpeg"). Every
// reader of the user's image files (training's folder dataset, nash eval's
// image folders) decodes with it. Errors name the file.
func Decode(path string) (image.Image, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("images: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return nil, "", fmt.Errorf("images: %s is not a PNG or JPEG image: %v", path, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxPixels/cfg.Height {
		return nil, "", fmt.Errorf("images: %s: a %s image of %d×%d pixels, want at least 1×1 and at most %d pixels", path, format, cfg.Width, cfg.Height, MaxPixels)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, "", fmt.Errorf("images: %w", err)
	}
	r.Reset(f)
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, "", fmt.Errorf("images: %s: decoding the %s image: %v", path, format, err)
	}
	return img, format, nil
}

// IsImageName reports whether a file name ends as the images Decode reads
// do: .png, .jpg or .jpeg, in any case.
func IsImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}
