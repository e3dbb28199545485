package images

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bombPNG returns a small PNG file whose header claims w×h pixels.
func bombPNG(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	// The IHDR chunk follows the 8-byte signature: length, type, then
	// width and height, and its CRC over type and data.
	ihdr := data[8+8 : 8+8+13]
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	binary.BigEndian.PutUint32(data[8+8+13:], crc32.ChecksumIEEE(data[8+4:8+8+13]))
	return data
}

// Decode refuses an image whose header claims more than MaxPixels pixels
// before allocating them, and decodes a valid image.
func TestDecodeCapsPixels(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		w, h uint32
		want string
	}{
		{"bomb", 100_000, 100_000, "a png image of 100000×100000 pixels, want at least 1×1 and at most 67108864 pixels"},
		{"wide", 1 << 27, 1, "a png image of 134217728×1 pixels"},
		{"ok", 3, 2, ""},
	} {
		path := filepath.Join(dir, c.name+".png")
		if err := os.WriteFile(path, bombPNG(t, c.w, c.h), 0o644); err != nil {
			t.Fatal(err)
		}
		img, format, err := Decode(path)
		if c.want == "" {
			// The claimed 3×2 pixels are missing from the 1×1 file's data.
			if err == nil || !strings.Contains(err.Error(), "decoding the png image") {
				t.Errorf("%s: %v, %v, want a decoding error", c.name, img, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), path+": "+c.want) || format != "" {
			t.Errorf("%s: error %v, want one naming %s and containing %q", c.name, err, path, c.want)
		}
	}
	path := filepath.Join(dir, "real.png")
	if err := os.WriteFile(path, bombPNG(t, 1, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if img, format, err := Decode(path); err != nil || format != "png" || img.Bounds().Dx() != 1 {
		t.Errorf("a 1×1 PNG: %v, %q, %v", img, format, err)
	}
}

func TestIsImageName(t *testing.T) {
	for name, want := range map[string]bool{"a.png": true, "B.JPG": true, "c.jpeg": true, "d.gif": false, "png": false, "e.png.bak": false} {
		if got := IsImageName(name); got != want {
			t.Errorf("IsImageName(%q) = %v, want %v", name, got, want)
		}
	}
}
