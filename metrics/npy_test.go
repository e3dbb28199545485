package metrics

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// npyBytes returns a version 1.0 .npy file with the given header
// dictionary and data bytes.
func npyBytes(dict string, data []byte) []byte {
	header := dict + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func float32Bytes(order binary.AppendByteOrder, v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = order.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func float64Bytes(order binary.AppendByteOrder, v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = order.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func TestDecodeNPY(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	want := []float64{1, -2, 0.5, 3, 4, 6}
	tests := []struct {
		name string
		file []byte
	}{
		{"<f4", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", float32Bytes(le, 1, -2, 0.5, 3, 4, 6))},
		{">f4", npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", float32Bytes(be, 1, -2, 0.5, 3, 4, 6))},
		{"<f8", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", float64Bytes(le, want...))},
		{">f8", npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", float64Bytes(be, want...))},
		{"keys reordered, no trailing comma, padding", npyBytes(
			`{"shape": (2,3), "fortran_order": False, "descr": "<f8"}          `, float64Bytes(le, want...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DecodeNPY(bytes.NewReader(tt.file), "x.npy")
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != 2 || f.Dim() != 3 || !slices.Equal(f.Data(), want) {
				t.Errorf("got [%d, %d] %v, want [2, 3] %v", f.Len(), f.Dim(), f.Data(), want)
			}
		})
	}
}

func TestDecodeNPYVersion2(t *testing.T) {
	dict := "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{2, 0})
	binary.Write(&b, binary.LittleEndian, uint32(len(dict)))
	b.WriteString(dict)
	b.Write(float64Bytes(binary.LittleEndian, 7, 8))
	f, err := DecodeNPY(&b, "v2.npy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Data(), []float64{7, 8}) {
		t.Errorf("got %v, want [7 8]", f.Data())
	}
}

// TestDecodeNPYRejects checks that bad files are refused with an error that
// names the file and the problem.
func TestDecodeNPYRejects(t *testing.T) {
	le := binary.LittleEndian
	good := "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"
	data := float64Bytes(le, 1, 2, 3, 4)
	tests := []struct {
		name, want string
		file       []byte
	}{
		{"empty", "preamble", nil},
		{"not npy", "magic", []byte("PK\x03\x04 this is a zip file")},
		{"version 4", "version 4", append([]byte(npyMagic), 4, 0, 0, 0)},
		{"short header", "header", append([]byte(npyMagic), 1, 0, 200, 0, '{')},
		{"no newline", "newline", func() []byte { b := npyBytes(good, data); b[len(b)-len(data)-1] = ' '; return b }()},
		{"int64", "dtype '<i8'", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", data)},
		{"float16", "dtype '<f2'", npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", data)},
		{"fortran", "Fortran", npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", data)},
		{"1-D", "2 dimensions", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", data)},
		{"3-D", "2 dimensions", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }", data)},
		{"zero rows", "no values", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }", nil)},
		{"negative", "non-negative", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 2), }", data)},
		{"huge shape", "too large", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data)},
		{"missing key", "no \"shape\"", npyBytes("{'descr': '<f8', 'fortran_order': False, }", data)},
		{"extra key", "keys other", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'x': 'y'}", data)},
		{"duplicate key", "twice", npyBytes("{'descr': '<f8', 'descr': '<f8', 'shape': (2, 2), }", data)},
		{"not a dict", "want '{'", npyBytes("[1, 2]", data)},
		{"text after", "text after", npyBytes(good+" x", data)},
		{"truncated", "truncated", npyBytes(good, data[:30])},
		{"trailing bytes", "bytes after", npyBytes(good, append(data, 0))},
		{"NaN", "row 1, column 0", npyBytes(good, float64Bytes(le, 1, 2, math.NaN(), 4))},
		{"Inf", "row 0, column 1", npyBytes(good, float64Bytes(le, 1, math.Inf(-1), 3, 4))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeNPY(bytes.NewReader(tt.file), "bad.npy")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "bad.npy") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name the file and %q", err, tt.want)
			}
		})
	}
}

func TestWriteReadNPY(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	want, err := NewFeatures("x", []float64{1, 2.5, -3, math.MaxFloat64, 1e-300, 0}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteNPY(path, want); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if hl := int(binary.LittleEndian.Uint16(b[8:])); (10+hl)%64 != 0 || b[9+hl] != '\n' {
		t.Errorf("header of %d bytes: data does not start on a 64-byte boundary after a newline", hl)
	}
	got, err := ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name() != path || got.Len() != 3 || got.Dim() != 2 || !slices.Equal(got.Data(), want.Data()) {
		t.Errorf("read %s [%d, %d] %v, wrote [3, 2] %v", got.Name(), got.Len(), got.Dim(), got.Data(), want.Data())
	}
	if _, err := ReadNPY(filepath.Join(t.TempDir(), "missing.npy")); err == nil || !strings.Contains(err.Error(), "missing.npy") {
		t.Errorf("missing file: error %v does not name it", err)
	}
}

// FuzzDecodeNPY checks that no input makes DecodeNPY panic or return
// values that are not finite, and that what it accepts survives a round
// trip through EncodeNPY.
func FuzzDecodeNPY(f *testing.F) {
	f.Add(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }", float32Bytes(binary.LittleEndian, 1, 2)))
	f.Add(npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1, 1), }", float64Bytes(binary.BigEndian, 3)))
	f.Add([]byte(npyMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeNPY(bytes.NewReader(b), "fuzz.npy")
		if err != nil {
			return
		}
		for _, v := range x.Data() {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("accepted %v", v)
			}
		}
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, x); err != nil {
			t.Fatal(err)
		}
		y, err := DecodeNPY(&buf, "again.npy")
		if err != nil {
			t.Fatal(err)
		}
		if y.Len() != x.Len() || y.Dim() != x.Dim() || !slices.Equal(y.Data(), x.Data()) {
			t.Fatal("round trip changed the array")
		}
	})
}

// NPYHeader writes numpy's tuple syntax for every rank, pads the header to
// a multiple of 64 bytes, and a 2-D float32 array after it reads back.
func TestNPYHeader(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  string
	}{
		{[]int{3}, "'shape': (3,)"},
		{[]int{2, 3}, "'shape': (2, 3)"},
		{[]int{5, 1, 28, 28}, "'shape': (5, 1, 28, 28)"},
	} {
		h, err := NPYHeader("<f4", c.shape...)
		if err != nil {
			t.Fatal(err)
		}
		if len(h)%64 != 0 || h[len(h)-1] != '\n' || !strings.Contains(string(h), c.want) || !strings.Contains(string(h), "'<f4'") {
			t.Errorf("shape %v: header %q", c.shape, h)
		}
	}
	h, _ := NPYHeader("<f4", 2, 1)
	b := append(h, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40) // 1.0, 2.0
	f, err := DecodeNPY(bytes.NewReader(b), "x.npy")
	if err != nil {
		t.Fatal(err)
	}
	if f.Row(0)[0] != 1 || f.Row(1)[0] != 2 {
		t.Fatalf("read %v %v", f.Row(0), f.Row(1))
	}
}
