package checkpoint

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/nash-gan/nash/tensor"
)

// maxHeaderLen is the largest header accepted, the reference
// implementation's limit.
const maxHeaderLen = 100 << 20

// safetensorsDTypes are the element types of the format that nash does not
// read; they are named in errors as unsupported rather than unknown.
var safetensorsDTypes = []DType{"BOOL", "I8", "U16", "I16", "U32", "I32", "U64",
	"F16", "BF16", "F64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"}

// Load reads the safetensors file at path. Errors name the file and, where
// there is one, the tensor and field at fault.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	f.path = path
	return f, nil
}

// Parse decodes a safetensors file held in data with Load's checks. The
// returned File does not share memory with data.
func Parse(data []byte) (*File, error) {
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return f, nil
}

// info is one tensor's header entry.
type info struct {
	name       string
	dtype      DType
	shape      []int
	begin, end uint64
}

func (in *info) offsets() string { return formatInts([]uint64{in.begin, in.end}) }

func parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("file is %d bytes, too short for the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeaderLen {
		return nil, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, maxHeaderLen)
	}
	if rest := uint64(len(data) - 8); n > rest {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it", n, rest)
	}
	infos, meta, err := parseHeader(data[8 : 8+n])
	if err != nil {
		return nil, err
	}
	buf := data[8+n:]
	if err := checkOffsets(infos, uint64(len(buf))); err != nil {
		return nil, err
	}
	f := &File{Metadata: meta, entries: make(map[string]entry, len(infos))}
	for _, in := range infos {
		f.entries[in.name] = decode(in, buf[in.begin:in.end])
	}
	return f, nil
}

// decode converts the little-endian bytes b of the tensor in.
func decode(in info, b []byte) entry {
	e := entry{dtype: in.dtype, shape: in.shape}
	switch in.dtype {
	case F32:
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		e.f32 = tensor.FromSlice(v, in.shape...)
	case I64:
		v := make([]int64, len(b)/8)
		for i := range v {
			v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
		e.i64 = v
	case U8:
		e.u8 = bytes.Clone(b)
		if e.u8 == nil {
			e.u8 = []byte{}
		}
	}
	return e
}

// checkOffsets checks that each tensor's byte range fits its shape and that
// the ranges tile the data buffer of length n exactly: contiguous, without
// overlaps or gaps, from 0 to n.
func checkOffsets(infos []info, n uint64) error {
	for _, in := range infos {
		size := uint64(in.dtype.Size())
		need, ok := byteLen(in.shape, int(size))
		switch {
		case !ok:
			return fmt.Errorf("tensor %q: shape %s is too large", in.name, formatInts(in.shape))
		case in.begin > in.end:
			return fmt.Errorf("tensor %q: data_offsets %s end before they begin", in.name, in.offsets())
		case in.end > n:
			return fmt.Errorf("tensor %q: data_offsets %s reach beyond the %d-byte data buffer", in.name, in.offsets(), n)
		}
		have := in.end - in.begin
		if have == uint64(need) {
			continue
		}
		if have%size != 0 {
			return fmt.Errorf("tensor %q: data_offsets %s hold %d bytes, not a whole number of %d-byte %s values",
				in.name, in.offsets(), have, size, in.dtype)
		}
		return fmt.Errorf("tensor %q: data_offsets %s hold %d values, shape %s needs %d",
			in.name, in.offsets(), have/size, formatInts(in.shape), uint64(need)/size)
	}
	sorted := slices.Clone(infos)
	slices.SortFunc(sorted, func(a, b info) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	var next uint64
	for i, in := range sorted {
		if in.begin < next {
			prev := sorted[i-1]
			return fmt.Errorf("tensor %q: data_offsets %s overlap tensor %q at %s",
				in.name, in.offsets(), prev.name, prev.offsets())
		}
		if in.begin > next {
			return fmt.Errorf("tensor %q: data_offsets %s leave bytes %d to %d of the data buffer unused",
				in.name, in.offsets(), next, in.begin)
		}
		next = in.end
	}
	if next != n {
		return fmt.Errorf("data buffer holds %d bytes, the tensors use %d", n, next)
	}
	return nil
}

// parseHeader decodes the header's JSON object, rejecting duplicate names,
// unknown fields and anything but whitespace after the object.
func parseHeader(h []byte) ([]info, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, errors.New("header does not begin with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	if _, err := token(dec); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	var infos []info
	meta := make(map[string]string)
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := token(dec)
		if err != nil {
			return nil, nil, fmt.Errorf("header: %w", err)
		}
		name := tok.(string) // Token returns an object's keys as strings.
		if name == "" {
			return nil, nil, errors.New("header: empty tensor name")
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("header: %q appears twice", name)
		}
		seen[name] = true
		if name == metadataKey {
			if err := parseMetadata(dec, meta); err != nil {
				return nil, nil, err
			}
			continue
		}
		in, err := parseInfo(dec, name)
		if err != nil {
			return nil, nil, err
		}
		infos = append(infos, in)
	}
	if _, err := token(dec); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the JSON object")
		}
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	return infos, meta, nil
}

// parseMetadata decodes the "__metadata__" value, an object of strings or
// null, into meta.
func parseMetadata(dec *json.Decoder, meta map[string]string) error {
	tok, err := token(dec)
	if err != nil {
		return fmt.Errorf("header: %s: %w", metadataKey, err)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("header: %s is not an object of strings", metadataKey)
	}
	for dec.More() {
		tok, err := token(dec)
		if err != nil {
			return fmt.Errorf("header: %s: %w", metadataKey, err)
		}
		key := tok.(string)
		if _, dup := meta[key]; dup {
			return fmt.Errorf("header: %s: key %q appears twice", metadataKey, key)
		}
		tok, err = token(dec)
		if err != nil {
			return fmt.Errorf("header: %s: key %q: %w", metadataKey, key, err)
		}
		v, ok := tok.(string)
		if !ok {
			return fmt.Errorf("header: %s: key %q: value is not a string", metadataKey, key)
		}
		meta[key] = v
	}
	if _, err := token(dec); err != nil {
		return fmt.Errorf("header: %s: %w", metadataKey, err)
	}
	return nil
}

// parseInfo decodes the header entry of the tensor name: an object with
// exactly the fields dtype, shape and data_offsets.
func parseInfo(dec *json.Decoder, name string) (info, error) {
	in := info{name: name}
	tok, err := token(dec)
	if err != nil {
		return in, fmt.Errorf("tensor %q: %w", name, err)
	}
	if tok != json.Delim('{') {
		return in, fmt.Errorf("tensor %q: header entry is not an object", name)
	}
	have := make(map[string]bool)
	for dec.More() {
		tok, err := token(dec)
		if err != nil {
			return in, fmt.Errorf("tensor %q: %w", name, err)
		}
		field := tok.(string)
		if have[field] {
			return in, fmt.Errorf("tensor %q: field %q appears twice", name, field)
		}
		have[field] = true
		switch field {
		case "dtype":
			if in.dtype, err = parseDType(dec); err != nil {
				return in, fmt.Errorf("tensor %q: dtype: %w", name, err)
			}
		case "shape":
			dims, err := parseUints(dec)
			if err != nil {
				return in, fmt.Errorf("tensor %q: shape: %w", name, err)
			}
			in.shape = make([]int, len(dims))
			for i, d := range dims {
				if d > math.MaxInt {
					return in, fmt.Errorf("tensor %q: shape: dimension %d is too large", name, d)
				}
				in.shape[i] = int(d)
			}
		case "data_offsets":
			offs, err := parseUints(dec)
			if err != nil {
				return in, fmt.Errorf("tensor %q: data_offsets: %w", name, err)
			}
			if len(offs) != 2 {
				return in, fmt.Errorf("tensor %q: data_offsets has %d elements, want 2", name, len(offs))
			}
			in.begin, in.end = offs[0], offs[1]
		default:
			return in, fmt.Errorf("tensor %q: unknown field %q", name, field)
		}
	}
	if _, err := token(dec); err != nil {
		return in, fmt.Errorf("tensor %q: %w", name, err)
	}
	for _, field := range []string{"dtype", "shape", "data_offsets"} {
		if !have[field] {
			return in, fmt.Errorf("tensor %q: missing field %q", name, field)
		}
	}
	return in, nil
}

// parseDType decodes a dtype string that nash supports.
func parseDType(dec *json.Decoder) (DType, error) {
	tok, err := token(dec)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errors.New("not a string")
	}
	d := DType(s)
	switch {
	case d.Size() > 0:
		return d, nil
	case slices.Contains(safetensorsDTypes, d):
		return "", fmt.Errorf("%s is not supported (nash reads F32, I64 and U8)", d)
	}
	return "", fmt.Errorf("unknown dtype %q", s)
}

// parseUints decodes an array of non-negative integers.
func parseUints(dec *json.Decoder) ([]uint64, error) {
	tok, err := token(dec)
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, errors.New("not an array")
	}
	v := []uint64{}
	for dec.More() {
		tok, err := token(dec)
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("element %d is not a number", len(v))
		}
		u, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("element %d is %s, not a non-negative integer", len(v), num)
		}
		v = append(v, u)
	}
	if _, err := token(dec); err != nil {
		return nil, err
	}
	return v, nil
}

// token returns the next JSON token, reporting the end of the header inside
// a value as io.ErrUnexpectedEOF.
func token(dec *json.Decoder) (json.Token, error) {
	tok, err := dec.Token()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return tok, err
}
