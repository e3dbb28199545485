package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// encodeIDX returns an IDX file with element type code typ, the given
// dimensions and data, written independently of the reader.
func encodeIDX(typ byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

// gzipped returns b compressed with gzip.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// ramp returns n bytes counting up from start, wrapping at 256.
func ramp(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func TestReadIDXValid(t *testing.T) {
	images := encodeIDX(0x08, []uint32{3, 2, 4}, ramp(24, 7))
	for _, c := range []struct {
		name string
		file []byte
		dims []int
		data []byte
	}{
		{"images", images, []int{3, 2, 4}, ramp(24, 7)},
		{"gzip images", gzipped(images), []int{3, 2, 4}, ramp(24, 7)},
		{"labels", encodeIDX(0x08, []uint32{5}, []byte{9, 0, 3, 3, 1}), []int{5}, []byte{9, 0, 3, 3, 1}},
		{"4 dims", encodeIDX(0x08, []uint32{1, 1, 2, 1}, []byte{4, 5}), []int{1, 1, 2, 1}, []byte{4, 5}},
		{"larger than 1 MiB", encodeIDX(0x08, []uint32{3, 1 << 19}, ramp(3<<19, 1)), []int{3, 1 << 19}, ramp(3<<19, 1)},
		{"gzip larger than 1 MiB", gzipped(encodeIDX(0x08, []uint32{3, 1 << 19}, ramp(3<<19, 1))), []int{3, 1 << 19}, ramp(3<<19, 1)},
	} {
		// A reader of unknown size makes ReadIDX grow its buffer from 1 MiB.
		for _, r := range []io.Reader{bytes.NewReader(c.file), struct{ io.Reader }{bytes.NewReader(c.file)}} {
			x, err := ReadIDX(r, c.name)
			if err != nil {
				t.Errorf("%s from %T: %v", c.name, r, err)
				continue
			}
			if !slices.Equal(x.Dims, c.dims) || !bytes.Equal(x.Data, c.data) {
				t.Errorf("%s from %T: dims %v and %d data bytes, want %v and %d", c.name, r, x.Dims, len(x.Data), c.dims, len(c.data))
			}
			if want := uint32(0x0800 + len(c.dims)); x.Magic() != want {
				t.Errorf("%s from %T: magic %d, want %d", c.name, r, x.Magic(), want)
			}
		}
	}
}

// Every malformed file is rejected with an error that names the file and
// says what is wrong.
func TestReadIDXErrors(t *testing.T) {
	valid := encodeIDX(0x08, []uint32{2, 2, 2}, ramp(8, 0))
	validGz := gzipped(valid)
	badCRC := slices.Clone(validGz)
	badCRC[len(badCRC)-8] ^= 0xff
	for _, c := range []struct {
		name, want string
		file       []byte
	}{
		{"empty", "truncated header: 0 of 4 magic bytes", nil},
		{"short magic", "truncated header: 3 of 4 magic bytes", []byte{0, 0, 8}},
		{"wrong magic", "not an IDX file: magic starts 0x50 0x4b", []byte("PK\x03\x04rest")},
		{"float32 elements", "unsupported element type 0x0d (float32)", encodeIDX(0x0D, []uint32{1}, []byte{0, 0, 0, 0})},
		{"unknown elements", "unsupported element type 0x42 (unknown)", encodeIDX(0x42, []uint32{1}, []byte{0})},
		{"no dimensions", "no dimensions", []byte{0, 0, 8, 0}},
		{"short dimensions", "truncated header: 6 of 12 dimension bytes", valid[:10]},
		{"zero dimension", "dimension 1 of 3 is 0", encodeIDX(0x08, []uint32{5, 0, 3}, nil)},
		{"absurd size", "dimensions [65536 65536] declare more than 2147483648 bytes", encodeIDX(0x08, []uint32{1 << 16, 1 << 16, 1}, nil)},
		{"largest dimensions", "dimensions [4294967295] declare more than", encodeIDX(0x08, []uint32{1<<32 - 1, 1<<32 - 1}, nil)},
		{"truncated pixels", "truncated: 5 of 8 pixel bytes", valid[:len(valid)-3]},
		{"truncated labels", "truncated: 2 of 4 label bytes", encodeIDX(0x08, []uint32{4}, []byte{1, 2})},
		{"trailing bytes", "trailing bytes after the 8 pixel bytes", append(slices.Clone(valid), 0)},
		{"gzip of truncated pixels", "truncated: 7 of 8 pixel bytes", gzipped(valid[:len(valid)-1])},
		{"gzip cut in the header", "gzip header: unexpected EOF", validGz[:5]},
		{"gzip cut in the data", "gzip stream cut short", validGz[:len(validGz)/2]},
		{"gzip cut in the trailer", "after the 8 pixel bytes: gzip stream cut short", validGz[:len(validGz)-4]},
		{"gzip checksum", "after the 8 pixel bytes: gzip: invalid checksum", badCRC},
		{"gzip then garbage", "after the 8 pixel bytes: gzip: invalid header", append(slices.Clone(validGz), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)},
		{"gzip of trailing bytes", "trailing bytes after the 8 pixel bytes", gzipped(append(slices.Clone(valid), 0))},
	} {
		name := "/x/" + strings.ReplaceAll(c.name, " ", "-")
		_, err := ReadIDX(bytes.NewReader(c.file), name)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "data: "+name+": ") || !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q, want it to name %s and say %q", c.name, msg, name, c.want)
		}
	}
}

func TestOpenIDX(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labels-idx1-ubyte.gz")
	if err := os.WriteFile(path, gzipped(encodeIDX(0x08, []uint32{3}, []byte{1, 2, 3})), 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := OpenIDX(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.Dims, []int{3}) || !bytes.Equal(x.Data, []byte{1, 2, 3}) {
		t.Errorf("read dims %v data %v", x.Dims, x.Data)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := OpenIDX(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v, want it to name %s", err, missing)
	}
}

// FuzzReadIDX checks that ReadIDX never panics and that whatever it accepts
// is consistent: positive dimensions whose product is the data length, and a
// file that re-encodes to the same content.
func FuzzReadIDX(f *testing.F) {
	valid := encodeIDX(0x08, []uint32{2, 3, 2}, ramp(12, 250))
	f.Add(valid)
	f.Add(gzipped(valid))
	f.Add(encodeIDX(0x08, []uint32{4}, []byte{0, 9, 1, 8}))
	f.Add([]byte("PK\x03\x04not an idx file"))
	f.Add(encodeIDX(0x0D, []uint32{1}, []byte{0, 0, 0, 0}))
	f.Add(valid[:len(valid)-1])
	f.Add(append(slices.Clone(valid), 0))
	gz := gzipped(valid)
	f.Add(gz[:len(gz)-6])
	f.Fuzz(func(t *testing.T, file []byte) {
		x, err := ReadIDX(bytes.NewReader(file), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: fuzz: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		n := 1
		dims := make([]uint32, len(x.Dims))
		for i, d := range x.Dims {
			if d <= 0 {
				t.Fatalf("accepted dimension %d in %v", d, x.Dims)
			}
			n *= d
			dims[i] = uint32(d)
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v but %d data bytes", x.Dims, len(x.Data))
		}
		y, err := ReadIDX(bytes.NewReader(encodeIDX(0x08, dims, x.Data)), "re-encoded")
		if err != nil {
			t.Fatalf("re-encoded file: %v", err)
		}
		if !slices.Equal(x.Dims, y.Dims) || !bytes.Equal(x.Data, y.Data) {
			t.Fatal("re-encoded file reads differently")
		}
	})
}

func BenchmarkReadIDXMNISTTrain(b *testing.B) {
	file, err := mnistFiles.ReadFile("mnist/train-images-idx3-ubyte.gz")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(60000 * 28 * 28)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadIDX(bytes.NewReader(file), "train"); err != nil {
			b.Fatal(err)
		}
	}
}

// IDXHeader followed by the bytes reads back as the same array, of any
// rank.
func TestIDXHeaderReadsBack(t *testing.T) {
	for _, dims := range [][]int{{4}, {2, 3, 2}, {2, 3, 2, 1}} {
		n := 1
		for _, d := range dims {
			n *= d
		}
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i * 7)
		}
		x, err := ReadIDX(bytes.NewReader(append(IDXHeader(dims...), body...)), "x")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(x.Dims) != fmt.Sprint(dims) || !bytes.Equal(x.Data, body) {
			t.Fatalf("dims %v: read %v", dims, x.Dims)
		}
	}
}
