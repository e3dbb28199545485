package classifier

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/images"
)

func writePNG(t *testing.T, path string, w, h int, v uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	if err := images.WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

// writeIDX writes an unsigned-byte IDX file of shape dims, gzip-compressed.
func writeIDX(t *testing.T, path string, dims []uint32, fill uint8) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	hdr := []byte{0, 0, 0x08, byte(len(dims))}
	n := 1
	for _, d := range dims {
		hdr = binary.BigEndian.AppendUint32(hdr, d)
		n *= int(d)
	}
	zw.Write(hdr)
	zw.Write(bytes.Repeat([]byte{fill}, n))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadImages(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "ok")
	os.Mkdir(folder, 0o755)
	writePNG(t, filepath.Join(folder, "b.png"), Side, Side, 255)
	writePNG(t, filepath.Join(folder, "a.png"), Side, Side, 0)
	os.WriteFile(filepath.Join(folder, "notes.txt"), []byte("ignored"), 0o644)
	x, err := ReadImages(folder)
	if err != nil {
		t.Fatal(err)
	}
	if s := x.Shape(); s[0] != 2 || x.Data()[0] != -1 || x.Data()[Side*Side] != 1 {
		t.Fatalf("shape %v, first pixels %v %v: want a.png (black, −1) then b.png (white, 1)", s, x.Data()[0], x.Data()[Side*Side])
	}
	rgb := filepath.Join(dir, "rgb")
	os.Mkdir(rgb, 0o755)
	img := image.NewRGBA(image.Rect(0, 0, Side, Side))
	for i := range Side * Side {
		img.Set(i%Side, i/Side, color.RGBA{255, 255, 255, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	os.WriteFile(filepath.Join(rgb, "white.png"), b.Bytes(), 0o644)
	if x, err := ReadImages(rgb); err != nil || x.Data()[0] != 1 {
		t.Errorf("colour image: %v", err)
	}
	idx := filepath.Join(dir, "images-idx3-ubyte.gz")
	writeIDX(t, idx, []uint32{3, Side, Side}, 51)
	if x, err := ReadImages(idx); err != nil || x.Dim(0) != 3 || x.Data()[5] != 51/127.5-1 {
		t.Errorf("IDX file: %v", err)
	}

	sized := filepath.Join(dir, "sized")
	os.Mkdir(sized, 0o755)
	writePNG(t, filepath.Join(sized, "a.png"), Side, Side, 0)
	writePNG(t, filepath.Join(sized, "b.png"), 32, 32, 0)
	broken := filepath.Join(dir, "broken")
	os.Mkdir(broken, 0o755)
	os.WriteFile(filepath.Join(broken, "x.png"), []byte("not a png"), 0o644)
	bomb := filepath.Join(dir, "bomb")
	os.Mkdir(bomb, 0o755)
	os.WriteFile(filepath.Join(bomb, "x.png"), pngHeader(100_000, 100_000), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	labels := filepath.Join(dir, "labels-idx1-ubyte.gz")
	writeIDX(t, labels, []uint32{3}, 1)
	cases := []struct {
		name, path, want string
	}{
		{"differently sized", sized, filepath.Join(sized, "b.png") + " is 32×32, want 28×28"},
		{"unreadable", broken, filepath.Join(broken, "x.png") + " is not a PNG or JPEG image"},
		{"image bomb", bomb, filepath.Join(bomb, "x.png") + ": a png image of 100000×100000 pixels, want at least 1×1 and at most 67108864 pixels"},
		{"empty folder", empty, empty + " holds no .png, .jpg or .jpeg files"},
		{"labels, not images", labels, labels + ": IDX array of shape [3]"},
		{"missing", filepath.Join(dir, "none"), "none"},
		{"not IDX", filepath.Join(folder, "notes.txt"), "neither a folder of images nor an IDX file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ReadImages(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// pngHeader returns the start of a PNG file, its signature and header
// chunk, claiming w×h grey pixels.
func pngHeader(w, h uint32) []byte {
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = binary.BigEndian.AppendUint32(chunk, w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 0, 0, 0, 0)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}
