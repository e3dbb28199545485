package metrics

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header length a file may declare.
const maxNPYHeader = 1 << 16

// ReadNPY reads a .npy file holding a C-ordered 2-D array of float32 or
// float64 (either byte order), shape (n, d). The Features are named path.
// Errors name the file and the problem: a malformed header, another dtype
// or shape, Fortran order, a size that does not match the header, or a
// value that is NaN or infinite.
func ReadNPY(path string) (*Features, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	return DecodeNPY(f, path)
}

// DecodeNPY reads a .npy array from r as ReadNPY does; name is used in
// errors and as the Features' name. It reads r to its end and refuses
// bytes after the array.
func DecodeNPY(r io.Reader, name string) (*Features, error) {
	br := bufio.NewReader(r)
	h, err := readNPYHeader(br)
	if err != nil {
		return nil, fmt.Errorf("metrics: %s: %w", name, err)
	}
	total := h.n * h.d
	// Grow the slice as data arrives, so that a header claiming a huge
	// shape cannot make us allocate more than the input holds.
	data := make([]float64, 0, min(total, 1<<20))
	buf := make([]byte, 8<<10*h.size)
	for len(data) < total {
		want := min(total-len(data), len(buf)/h.size) * h.size
		got, err := io.ReadFull(br, buf[:want])
		for k := 0; k+h.size <= got; k += h.size {
			data = append(data, h.decode(buf[k:]))
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("metrics: %s: truncated: shape (%d, %d) needs %d bytes of data, found %d",
					name, h.n, h.d, total*h.size, len(data)*h.size+got%h.size)
			}
			return nil, fmt.Errorf("metrics: %s: %w", name, err)
		}
	}
	switch _, err := br.ReadByte(); {
	case err == nil:
		return nil, fmt.Errorf("metrics: %s: bytes after the (%d, %d) array", name, h.n, h.d)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("metrics: %s: %w", name, err)
	}
	return NewFeatures(name, data, h.n, h.d)
}

// npyHeader is what a .npy header declares.
type npyHeader struct {
	n, d   int
	size   int // bytes per value: 4 or 8
	decode func(b []byte) float64
}

// readNPYHeader reads and validates the magic string, version, header
// length and header dictionary.
func readNPYHeader(r io.Reader) (npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return npyHeader{}, fmt.Errorf("not a .npy file: %d-byte preamble missing", len(pre))
	}
	if string(pre[:6]) != npyMagic {
		return npyHeader{}, fmt.Errorf("not a .npy file: magic %q", pre[:6])
	}
	var hlen int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, fmt.Errorf("header length: %w", io.ErrUnexpectedEOF)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, fmt.Errorf("header length: %w", io.ErrUnexpectedEOF)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return npyHeader{}, fmt.Errorf("format version %d.%d not supported (want 1, 2 or 3)", major, pre[7])
	}
	if hlen > maxNPYHeader {
		return npyHeader{}, fmt.Errorf("header of %d bytes (at most %d)", hlen, maxNPYHeader)
	}
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return npyHeader{}, fmt.Errorf("header: %d bytes declared: %w", hlen, io.ErrUnexpectedEOF)
	}
	return parseNPYHeader(string(text))
}

// parseNPYHeader parses the header dictionary, e.g.
// "{'descr': '<f4', 'fortran_order': False, 'shape': (100, 64), }   \n".
func parseNPYHeader(text string) (npyHeader, error) {
	if !strings.HasSuffix(text, "\n") {
		return npyHeader{}, fmt.Errorf("header %q does not end in a newline", text)
	}
	p := &npyParser{s: strings.TrimRight(text, " \n")}
	fields, err := p.dict()
	if err != nil {
		return npyHeader{}, fmt.Errorf("header %q: %w", text, err)
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := fields[key]; !ok {
			return npyHeader{}, fmt.Errorf("header %q: no %q", text, key)
		}
	}
	if len(fields) != 3 {
		return npyHeader{}, fmt.Errorf("header %q: keys other than descr, fortran_order, shape", text)
	}
	var h npyHeader
	switch descr := fields["descr"]; descr {
	case "'<f4'":
		h.size, h.decode = 4, func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
	case "'>f4'":
		h.size, h.decode = 4, func(b []byte) float64 { return float64(math.Float32frombits(binary.BigEndian.Uint32(b))) }
	case "'<f8'":
		h.size, h.decode = 8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
	case "'>f8'":
		h.size, h.decode = 8, func(b []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b)) }
	default:
		return npyHeader{}, fmt.Errorf("dtype %s: want float32 or float64 ('<f4', '<f8', '>f4', '>f8')", descr)
	}
	switch order := fields["fortran_order"]; order {
	case "False":
	case "True":
		return npyHeader{}, errors.New("Fortran-ordered array: want C order")
	default:
		return npyHeader{}, fmt.Errorf("fortran_order %s: want True or False", order)
	}
	shape := fields["shape"]
	dims, err := parseShape(shape)
	if err != nil {
		return npyHeader{}, fmt.Errorf("shape %s: %w", shape, err)
	}
	if len(dims) != 2 {
		return npyHeader{}, fmt.Errorf("shape %s: want 2 dimensions (n, d)", shape)
	}
	h.n, h.d = dims[0], dims[1]
	if h.n < 1 || h.d < 1 {
		return npyHeader{}, fmt.Errorf("shape %s: no values", shape)
	}
	if h.n > math.MaxInt64/8/h.d {
		return npyHeader{}, fmt.Errorf("shape %s: too large", shape)
	}
	return h, nil
}

// parseShape parses a tuple of non-negative integers: "(3, 4)", "(3,)", "()".
func parseShape(s string) ([]int, error) {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return nil, errors.New("not a tuple")
	}
	inner := strings.TrimSpace(s[1 : len(s)-1])
	if inner == "" {
		return nil, nil
	}
	parts := strings.Split(inner, ",")
	if strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	dims := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("dimension %q is not a non-negative integer", strings.TrimSpace(p))
		}
		dims[i] = v
	}
	return dims, nil
}

// npyParser reads the restricted Python dictionary literal of a .npy
// header: string keys, and values that are strings, True, False or tuples
// of integers, each returned as its source text.
type npyParser struct {
	s string
	i int
}

func (p *npyParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *npyParser) expect(c byte) error {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("want %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

// dict parses "{key: value, ...}" with an optional trailing comma.
func (p *npyParser) dict() (map[string]string, error) {
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	fields := make(map[string]string)
	for {
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			break
		}
		key, err := p.quoted()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		val, err := p.value()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		name := key[1 : len(key)-1]
		if _, dup := fields[name]; dup {
			return nil, fmt.Errorf("key %s twice", key)
		}
		fields[name] = val
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if err := p.expect('}'); err != nil {
			return nil, err
		}
		break
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("text after the dictionary at offset %d", p.i)
	}
	return fields, nil
}

// quoted returns a single- or double-quoted string with its quotes.
func (p *npyParser) quoted() (string, error) {
	p.skipSpace()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("want a quoted string at offset %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at offset %d", p.i)
	}
	s := p.s[p.i : p.i+end+2]
	p.i += end + 2
	return strings.ReplaceAll(s, "\"", "'"), nil
}

// value returns a string, True, False or a parenthesised tuple.
func (p *npyParser) value() (string, error) {
	p.skipSpace()
	switch {
	case p.i >= len(p.s):
		return "", errors.New("missing value")
	case p.s[p.i] == '\'' || p.s[p.i] == '"':
		return p.quoted()
	case p.s[p.i] == '(':
		end := strings.IndexByte(p.s[p.i:], ')')
		if end < 0 {
			return "", fmt.Errorf("unterminated tuple at offset %d", p.i)
		}
		v := p.s[p.i : p.i+end+1]
		p.i += end + 1
		return v, nil
	}
	for _, word := range []string{"True", "False"} {
		if strings.HasPrefix(p.s[p.i:], word) {
			p.i += len(word)
			return word, nil
		}
	}
	return "", fmt.Errorf("unexpected value at offset %d", p.i)
}

// WriteNPY writes f to path as a version 1.0 .npy file of little-endian
// float64, C order, shape (n, d), atomically.
func WriteNPY(path string, f *Features) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return EncodeNPY(w, f) })
}

// EncodeNPY writes f to w as WriteNPY does.
func EncodeNPY(w io.Writer, f *Features) error {
	header, err := NPYHeader("<f8", f.n, f.d)
	if err != nil {
		return fmt.Errorf("metrics: %s: %w", f.name, err)
	}
	if _, err := w.Write(header); err != nil {
		return fmt.Errorf("metrics: %s: %w", f.name, err)
	}
	buf := make([]byte, 0, 64<<10)
	for k, v := range f.data {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		if len(buf) == cap(buf) || k == len(f.data)-1 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("metrics: %s: %w", f.name, err)
			}
			buf = buf[:0]
		}
	}
	return nil
}

// NPYHeader returns the start of a version 1.0 .npy file of C-ordered
// values of dtype descr ("<f4" for little-endian float32, "<f8" for
// float64) and the given shape: magic, version, length and the header
// dictionary, padded so that the values that follow start at a multiple of
// 64 bytes.
func NPYHeader(descr string, shape ...int) ([]byte, error) {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	// Pad with spaces so that magic, version, length and header end on a
	// multiple of 64 bytes, the last byte a newline.
	pad := 63 - (len(npyMagic)+4+len(dict))%64
	header := dict + strings.Repeat(" ", pad) + "\n"
	if len(header) > math.MaxUint16 {
		return nil, fmt.Errorf(".npy header of %d bytes", len(header))
	}
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	return b.Bytes(), nil
}
