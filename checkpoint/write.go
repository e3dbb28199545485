package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// Save writes f to path in the safetensors format. The file is written under
// a temporary name and renamed, so path holds either its old contents or all
// of the new ones.
func Save(path string, f *File) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return f.write(&countingWriter{w: w})
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// WriteTo writes f to w in the safetensors format: the arrays in sorted-name
// order, each one's bytes following the previous one's, the metadata keys
// sorted, and the header padded with spaces to a multiple of 8 bytes. It
// implements io.WriterTo.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	if err := f.write(cw); err != nil {
		return cw.n, fmt.Errorf("checkpoint: %w", err)
	}
	return cw.n, nil
}

// write writes f to cw, checking that it can be written before writing
// anything.
func (f *File) write(cw *countingWriter) error {
	names := f.Names()
	header, err := f.header(names)
	if err != nil {
		return err
	}
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(header)))
	cw.Write(prefix[:])
	cw.Write(header)
	buf := make([]byte, 0, 32<<10)
	for _, name := range names {
		e := f.entries[name]
		switch e.dtype {
		case F32:
			for _, v := range e.f32.Data() {
				if len(buf)+4 > cap(buf) {
					cw.Write(buf)
					buf = buf[:0]
				}
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
		case I64:
			for _, v := range e.i64 {
				if len(buf)+8 > cap(buf) {
					cw.Write(buf)
					buf = buf[:0]
				}
				buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
			}
		case U8:
			cw.Write(buf)
			buf = buf[:0]
			cw.Write(e.u8)
		}
	}
	cw.Write(buf)
	return cw.err
}

// header returns the JSON header for the arrays names, padded to a multiple
// of 8 bytes, after checking that every name and array can be written.
func (f *File) header(names []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(f.Metadata) > 0 {
		keys := make([]string, 0, len(f.Metadata))
		for k := range f.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			v := f.Metadata[k]
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("metadata %q: not valid UTF-8", k)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, v)
		}
		b.WriteByte('}')
	}
	var offset uint64
	for _, name := range names {
		e := f.entries[name]
		switch {
		case name == "":
			return nil, errors.New("tensor name is empty")
		case name == metadataKey:
			return nil, fmt.Errorf("tensor name %q is reserved for metadata", name)
		case !utf8.ValidString(name):
			return nil, fmt.Errorf("tensor %q: name is not valid UTF-8", name)
		case e.dtype == F32 && e.f32 == nil:
			return nil, fmt.Errorf("tensor %q is nil", name)
		}
		size, _ := byteLen(e.shape, e.dtype.Size())
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeJSONString(&b, name)
		fmt.Fprintf(&b, `:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`,
			e.dtype, formatInts(e.shape), offset, offset+uint64(size))
		offset += uint64(size)
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// writeJSONString writes s as a JSON string without escaping HTML
// characters, so that names appear in the header as written.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode ends the value with a newline.
}

// countingWriter counts the bytes written and keeps the first error, after
// which it writes nothing.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
