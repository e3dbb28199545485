package checkpoint

import (
	"encoding/binary"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// raw returns a file with the given header and n bytes of data, the header
// length prefix set to headerLen or, if it is negative, to len(header).
func raw(headerLen int, header string, n int) []byte {
	if headerLen < 0 {
		headerLen = len(header)
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(headerLen))
	b = append(b, header...)
	return append(b, make([]byte, n)...)
}

// tensorJSON is a well-formed header entry.
func tensorJSON(name, dtype, shape string, begin, end int) string {
	return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape +
		`,"data_offsets":[` + strconv.Itoa(begin) + `,` + strconv.Itoa(end) + `]}`
}

func TestLoadRejects(t *testing.T) {
	w := tensorJSON("w", "F32", "[2]", 0, 8)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"short file", []byte{1, 2, 3}, "file is 3 bytes, too short for the 8-byte header length"},
		{"header beyond file", raw(100, "{}", 0), "header length 100 exceeds the 2 bytes that follow it"},
		{"header over limit", raw(1<<40, "{}", 0), "header length 1099511627776 exceeds the limit of 104857600 bytes"},
		{"not UTF-8", raw(-1, "{\"\xff\":1}", 0), "header is not valid UTF-8"},
		{"not an object", raw(-1, "[]", 0), "header does not begin with '{'"},
		{"leading space", raw(-1, " {}", 0), "header does not begin with '{'"},
		{"bad JSON", raw(-1, `{"w":}`, 0), `tensor "w": invalid character '}' looking for beginning of value`},
		{"bad key", raw(-1, `{w:1}`, 0), "header: invalid character 'w'"},
		{"truncated JSON", raw(-1, `{"w":{"dtype":"F32"`, 0), `tensor "w": unexpected EOF`},
		{"unclosed object", raw(-1, `{`, 0), "header: unexpected EOF"},
		{"trailing garbage", raw(-1, `{} x`, 0), "header: invalid character 'x' looking for beginning of value"},
		{"second object", raw(-1, `{} {}`, 0), "header: data after the JSON object"},
		{"duplicate name", raw(-1, "{"+w+","+w+"}", 8), `header: "w" appears twice`},
		{"empty name", raw(-1, "{"+tensorJSON("", "F32", "[]", 0, 4)+"}", 4), "header: empty tensor name"},
		{"entry not object", raw(-1, `{"w":[1]}`, 0), `tensor "w": header entry is not an object`},
		{"unknown dtype", raw(-1, "{"+tensorJSON("w", "F33", "[2]", 0, 8)+"}", 8), `tensor "w": dtype: unknown dtype "F33"`},
		{"unsupported dtype", raw(-1, "{"+tensorJSON("w", "F16", "[2]", 0, 4)+"}", 4),
			`tensor "w": dtype: F16 is not supported (nash reads F32, I64 and U8)`},
		{"dtype not string", raw(-1, `{"w":{"dtype":4}}`, 0), `tensor "w": dtype: not a string`},
		{"missing field", raw(-1, `{"w":{"dtype":"F32","shape":[]}}`, 4), `tensor "w": missing field "data_offsets"`},
		{"unknown field", raw(-1, `{"w":{"dtype":"F32","strides":[1]}}`, 4), `tensor "w": unknown field "strides"`},
		{"duplicate field", raw(-1, `{"w":{"shape":[],"shape":[]}}`, 4), `tensor "w": field "shape" appears twice`},
		{"negative dimension", raw(-1, "{"+tensorJSON("w", "F32", "[2,-1]", 0, 8)+"}", 8),
			`tensor "w": shape: element 1 is -1, not a non-negative integer`},
		{"fractional dimension", raw(-1, "{"+tensorJSON("w", "F32", "[1.5]", 0, 8)+"}", 8),
			`tensor "w": shape: element 0 is 1.5, not a non-negative integer`},
		{"dimension not number", raw(-1, "{"+tensorJSON("w", "F32", `["2"]`, 0, 8)+"}", 8),
			`tensor "w": shape: element 0 is not a number`},
		{"shape not array", raw(-1, "{"+tensorJSON("w", "F32", "2", 0, 8)+"}", 8), `tensor "w": shape: not an array`},
		{"dimension too large", raw(-1, "{"+tensorJSON("w", "F32", "[18446744073709551615]", 0, 8)+"}", 8),
			`tensor "w": shape: dimension 18446744073709551615 is too large`},
		{"shape overflows", raw(-1, "{"+tensorJSON("w", "F32", "[4294967296,4294967296]", 0, 8)+"}", 8),
			`tensor "w": shape [4294967296,4294967296] is too large`},
		{"three offsets", raw(-1, `{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}}`, 8),
			`tensor "w": data_offsets has 3 elements, want 2`},
		{"offsets reversed", raw(-1, "{"+tensorJSON("w", "F32", "[]", 8, 4)+"}", 8),
			`tensor "w": data_offsets [8,4] end before they begin`},
		{"offsets beyond buffer", raw(-1, "{"+tensorJSON("w", "F32", "[2]", 0, 8)+"}", 4),
			`tensor "w": data_offsets [0,8] reach beyond the 4-byte data buffer`},
		{"too few values", raw(-1, "{"+tensorJSON("0.weight", "F32", "[10,20]", 0, 400)+"}", 400),
			`tensor "0.weight": data_offsets [0,400] hold 100 values, shape [10,20] needs 200`},
		{"partial value", raw(-1, "{"+tensorJSON("n", "I64", "[]", 0, 7)+"}", 7),
			`tensor "n": data_offsets [0,7] hold 7 bytes, not a whole number of 8-byte I64 values`},
		{"gap at start", raw(-1, "{"+tensorJSON("w", "U8", "[2]", 2, 4)+"}", 4),
			`tensor "w": data_offsets [2,4] leave bytes 0 to 2 of the data buffer unused`},
		{"gap between", raw(-1, "{"+tensorJSON("a", "U8", "[2]", 0, 2)+","+tensorJSON("b", "U8", "[2]", 3, 5)+"}", 5),
			`tensor "b": data_offsets [3,5] leave bytes 2 to 3 of the data buffer unused`},
		{"overlap", raw(-1, "{"+tensorJSON("b", "U8", "[4]", 2, 6)+","+tensorJSON("a", "U8", "[4]", 0, 4)+"}", 6),
			`tensor "b": data_offsets [2,6] overlap tensor "a" at [0,4]`},
		{"same range", raw(-1, "{"+tensorJSON("b", "U8", "[4]", 0, 4)+","+tensorJSON("a", "U8", "[4]", 0, 4)+"}", 4),
			`tensor "b": data_offsets [0,4] overlap tensor "a" at [0,4]`},
		{"empty inside another", raw(-1, "{"+tensorJSON("a", "U8", "[4]", 0, 4)+","+tensorJSON("e", "U8", "[0]", 2, 2)+"}", 4),
			`tensor "e": data_offsets [2,2] overlap tensor "a" at [0,4]`},
		{"trailing bytes", raw(-1, "{"+w+"}", 12), "data buffer holds 12 bytes, the tensors use 8"},
		{"metadata not object", raw(-1, `{"__metadata__":[]}`, 0), "header: __metadata__ is not an object of strings"},
		{"metadata value not string", raw(-1, `{"__metadata__":{"step":10}}`, 0),
			`header: __metadata__: key "step": value is not a string`},
		{"metadata duplicate key", raw(-1, `{"__metadata__":{"a":"1","a":"2"}}`, 0),
			`header: __metadata__: key "a" appears twice`},
		{"metadata twice", raw(-1, `{"__metadata__":{},"__metadata__":{}}`, 0), `header: "__metadata__" appears twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			if want := "checkpoint: " + c.want; err == nil || err.Error() != want {
				t.Errorf("Parse: %v\nwant %s", err, want)
			}
		})
	}
}

func TestLoadErrorNamesFile(t *testing.T) {
	t.Chdir(t.TempDir())
	data := raw(-1, "{"+tensorJSON("0.weight", "F32", "[10,20]", 0, 400)+"}", 400)
	if err := os.WriteFile("g.safetensors", data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load("g.safetensors")
	want := `checkpoint: g.safetensors: tensor "0.weight": data_offsets [0,400] hold 100 values, shape [10,20] needs 200`
	if err == nil || err.Error() != want {
		t.Errorf("Load: %v\nwant %s", err, want)
	}
	_, err = Load("missing.safetensors")
	if err == nil || !strings.HasPrefix(err.Error(), "checkpoint: open missing.safetensors: ") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name  string
		data  []byte
		names []string
		meta  map[string]string
	}{
		{"no padding", raw(-1, "{"+tensorJSON("w", "F32", "[1]", 0, 4)+"}", 4), []string{"w"}, nil},
		{"whitespace padding", raw(-1, "{"+tensorJSON("w", "F32", "[1]", 0, 4)+"} \t\r\n", 4), []string{"w"}, nil},
		{"null metadata", raw(-1, `{"__metadata__":null}`, 0), []string{}, nil},
		{"metadata anywhere", raw(-1, "{"+tensorJSON("w", "U8", "[1]", 0, 1)+`,"__metadata__":{"a":"b"}}`, 1),
			[]string{"w"}, map[string]string{"a": "b"}},
		{"offsets out of name order", raw(-1, "{"+tensorJSON("a", "U8", "[1]", 1, 2)+","+tensorJSON("b", "U8", "[1]", 0, 1)+"}", 2),
			[]string{"a", "b"}, nil},
		{"empty tensors", raw(-1, "{"+tensorJSON("a", "F32", "[0,5]", 0, 0)+","+tensorJSON("b", "I64", "[3,0]", 0, 0)+"}", 0),
			[]string{"a", "b"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(c.data)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Names(), c.names) {
				t.Errorf("names %q, want %q", f.Names(), c.names)
			}
			if len(f.Metadata) != len(c.meta) {
				t.Errorf("metadata %v, want %v", f.Metadata, c.meta)
			}
			for k, v := range c.meta {
				if f.Metadata[k] != v {
					t.Errorf("metadata %q = %q, want %q", k, f.Metadata[k], v)
				}
			}
		})
	}
}

func TestParseCopiesData(t *testing.T) {
	data := raw(-1, "{"+tensorJSON("b", "U8", "[2]", 0, 2)+","+tensorJSON("w", "F32", "[1]", 2, 6)+"}", 6)
	n := len(data)
	copy(data[n-6:], []byte{7, 8, 0, 0, 0x80, 0x3f})
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	clear(data)
	b, _ := f.Bytes("b")
	w, _ := f.Tensor("w")
	if !slices.Equal(b, []byte{7, 8}) || w.Data()[0] != 1 {
		t.Errorf("after clearing the input: b = %v, w = %v", b, w)
	}
}
