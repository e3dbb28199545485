// Package data reads image datasets and serves them in shuffled batches.
//
// It reads IDX files (the format of MNIST and Fashion-MNIST) with strict
// validation, embeds the MNIST files so that the binary trains without
// downloads, downloads other releases (Fashion-MNIST) with their checksums,
// loads MNIST, Fashion-MNIST and any IDX image/label pair into a
// Dataset, and serves a Dataset in shuffled batches scaled to [-1, 1] through a
// Loader whose position can be saved and restored exactly.
package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxIDXBytes caps the data size an IDX header may declare, so that a corrupt
// header cannot make the reader allocate without bound.
const maxIDXBytes = 1 << 31

// IDX magic numbers of the two kinds of file a dataset is made of.
const (
	imagesMagic = 0x0803 // unsigned bytes, 3 dimensions: count, rows, columns
	labelsMagic = 0x0801 // unsigned bytes, 1 dimension: count
)

// unsignedByte is the IDX element type code of uint8, the only one supported.
const unsignedByte = 0x08

// idxTypes names the IDX element type codes for error messages.
var idxTypes = map[byte]string{
	0x08: "unsigned byte",
	0x09: "signed byte",
	0x0B: "int16",
	0x0C: "int32",
	0x0D: "float32",
	0x0E: "float64",
}

// IDX is the content of an IDX file of unsigned bytes: an array of shape
// Dims, outermost dimension first, stored row-major in Data.
type IDX struct {
	Dims []int
	Data []byte
}

// Magic returns the file's magic number: the element type code 0x08 in the
// third byte and the number of dimensions in the fourth, so 2051 for images
// and 2049 for labels.
func (x *IDX) Magic() uint32 { return unsignedByte<<8 | uint32(len(x.Dims)) }

// IDXHeader returns the start of an IDX file of unsigned bytes of shape
// dims: the magic number and each dimension, big-endian. The bytes of the
// array, row-major, follow it.
func IDXHeader(dims ...int) []byte {
	b := []byte{0, 0, unsignedByte, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return b
}

// OpenIDX reads the IDX file at path, gzip-compressed or plain.
func OpenIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// ReadIDX reads an IDX file of unsigned bytes from r. The stream is
// decompressed if it starts with the gzip magic bytes 0x1f 0x8b. The header,
// the declared size and the exact length of the data are checked, and the
// error for any problem names the file as name and says what is wrong.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	size, sized := sourceSize(r)
	br := bufio.NewReaderSize(r, 64<<10)
	src := io.Reader(br)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: %s: gzip header: %w", name, err)
		}
		src, size = zr, size*maxDeflateRatio
	}
	hint := 1 << 20 // for a reader of unknown size
	if sized {
		hint = int(min(size, maxIDXBytes))
	}
	x, err := readIDX(src, hint)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", name, err)
	}
	return x, nil
}

// maxDeflateRatio bounds how many bytes one compressed byte can inflate to.
const maxDeflateRatio = 1032

// sourceSize returns the number of bytes r holds if r says so, as a
// *bytes.Reader or a regular file does.
func sourceSize(r io.Reader) (int64, bool) {
	switch s := r.(type) {
	case interface{ Len() int }:
		return int64(s.Len()), true
	case interface{ Stat() (fs.FileInfo, error) }:
		if info, err := s.Stat(); err == nil && info.Mode().IsRegular() {
			return info.Size(), true
		}
	}
	return 0, false
}

// readIDX decodes an uncompressed IDX stream, allocating at first no more
// for the data than sizeHint bytes, a bound on what the stream can hold.
func readIDX(r io.Reader, sizeHint int) (*IDX, error) {
	var head [4]byte
	if n, err := readFull(r, head[:]); err != nil {
		return nil, readError(err, "truncated header: %d of 4 magic bytes", n)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("not an IDX file: magic starts %#02x %#02x, want 0x00 0x00", head[0], head[1])
	}
	if head[2] != unsignedByte {
		typ, ok := idxTypes[head[2]]
		if !ok {
			typ = "unknown"
		}
		return nil, fmt.Errorf("unsupported element type %#02x (%s); only 0x08 (unsigned byte) is supported", head[2], typ)
	}
	ndims := int(head[3])
	if ndims == 0 {
		return nil, errors.New("no dimensions (magic 2048)")
	}
	raw := make([]byte, 4*ndims)
	if n, err := readFull(r, raw); err != nil {
		return nil, readError(err, "truncated header: %d of %d dimension bytes", n, len(raw))
	}
	dims := make([]int, ndims)
	total := uint64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		if d == 0 {
			return nil, fmt.Errorf("dimension %d of %d is 0", i, ndims)
		}
		total *= uint64(d)
		if total > maxIDXBytes {
			return nil, fmt.Errorf("dimensions %v declare more than %d bytes", dimList(raw, i+1), uint64(maxIDXBytes))
		}
		dims[i] = int(d)
	}
	noun := elementNoun(ndims)
	data, err := readExact(r, int(total), sizeHint)
	if err != nil {
		return nil, readError(err, "truncated: %d of %d %s bytes", len(data), total, noun)
	}
	var extra [1]byte
	if n, err := readFull(r, extra[:]); n > 0 {
		return nil, fmt.Errorf("trailing bytes after the %d %s bytes the header declares", total, noun)
	} else if err != io.EOF {
		return nil, readError(err, "after the %d %s bytes", total, noun)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// readError describes a failed read: a truncation if the stream ended
// cleanly, a cut gzip stream, or the underlying error.
func readError(err error, format string, args ...any) error {
	switch err {
	case io.EOF:
		return fmt.Errorf(format, args...)
	case io.ErrUnexpectedEOF:
		return fmt.Errorf(format+": gzip stream cut short: %w", append(args, err)...)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// readFull fills buf from r like io.ReadFull, but returns the reader's own
// error, so that a stream ending cleanly (io.EOF) and a compressed stream cut
// short (io.ErrUnexpectedEOF) stay distinguishable.
func readFull(r io.Reader, buf []byte) (int, error) {
	filled := 0
	for filled < len(buf) {
		m, err := r.Read(buf[filled:])
		filled += m
		if err != nil && filled < len(buf) {
			return filled, err
		}
	}
	return filled, nil
}

// readExact reads exactly n bytes from r. Its buffer starts at no more than
// sizeHint bytes and grows as data arrives rather than trusting n up front,
// so that a header declaring a large size in a short file costs little
// memory. On error it returns the bytes read so far and the reader's error as
// readFull does.
func readExact(r io.Reader, n, sizeHint int) ([]byte, error) {
	buf := make([]byte, max(1, min(n, sizeHint)))
	filled := 0
	for {
		m, err := readFull(r, buf[filled:])
		filled += m
		if err != nil {
			return buf[:filled], err
		}
		if filled == n {
			return buf, nil
		}
		grown := make([]byte, min(2*len(buf), n))
		copy(grown, buf)
		buf = grown
	}
}

// elementNoun names what the bytes of an IDX file with ndims dimensions are.
func elementNoun(ndims int) string {
	switch ndims {
	case 1:
		return "label"
	case 3:
		return "pixel"
	}
	return "data"
}

// dimList decodes the first n big-endian dimensions of raw for an error message.
func dimList(raw []byte, n int) []uint32 {
	d := make([]uint32, n)
	for i := range d {
		d[i] = binary.BigEndian.Uint32(raw[4*i:])
	}
	return d
}
