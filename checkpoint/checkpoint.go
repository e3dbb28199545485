// Package checkpoint reads and writes the safetensors format
// (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON describing each named tensor's dtype, shape and
// byte range, padded with spaces to a multiple of 8, then the tensors' bytes.
//
// Names are kept exactly as given, so a model's state dict written with its
// PyTorch names ("0.weight", "2.bias") loads into the equivalent torch.nn
// model with load_state_dict(strict=True), and a file written by PyTorch loads
// here. Several state dicts share one file under prefixes such as
// "generator." and "discriminator.".
//
// The reader is strict: every inconsistency between the header and the data
// is an error naming the file and the tensor. The writer is deterministic:
// the same File always produces the same bytes.
package checkpoint

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nash-gan/nash/tensor"
)

// DType is a safetensors element type.
type DType string

// The element types nash reads and writes.
const (
	F32 DType = "F32" // float32, held as a *tensor.Tensor
	I64 DType = "I64" // int64, such as BatchNorm's num_batches_tracked or step counts
	U8  DType = "U8"  // raw bytes, such as a random generator's state
)

// Size returns the number of bytes of one element, or 0 for a type nash does
// not support.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case I64:
		return 8
	case U8:
		return 1
	}
	return 0
}

// metadataKey is the header key reserved for the free-form string map.
const metadataKey = "__metadata__"

// entry is one named array. Exactly one of f32, i64 and u8 is used,
// according to dtype.
type entry struct {
	dtype DType
	shape []int
	f32   *tensor.Tensor
	i64   []int64
	u8    []byte
}

// File is the contents of a safetensors file: named arrays and a string map
// of metadata. The zero value is an empty File ready to use.
//
// A File holds the arrays given to it, not copies: Save writes their values
// as they are when it is called, and the arrays returned by a loaded File are
// its own storage.
type File struct {
	// Metadata is the header's "__metadata__" map. It is nil in the zero
	// value and non-nil in a File returned by Load or Parse.
	Metadata map[string]string

	path    string // the file a loaded File came from, for error messages
	entries map[string]entry
}

func (f *File) set(name string, e entry) {
	if f.entries == nil {
		f.entries = make(map[string]entry)
	}
	f.entries[name] = e
}

// Set adds t as the F32 array name, replacing any array of that name.
func (f *File) Set(name string, t *tensor.Tensor) {
	var shape []int
	if t != nil {
		shape = t.Shape()
	}
	f.set(name, entry{dtype: F32, shape: shape, f32: t})
}

// SetInt64 adds v as the I64 array name of the given shape, replacing any
// array of that name. It panics if len(v) does not match the shape.
func (f *File) SetInt64(name string, v []int64, shape ...int) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("checkpoint: SetInt64 %q: negative dimension in shape %v", name, shape))
		}
		n *= d
	}
	if n != len(v) {
		panic(fmt.Sprintf("checkpoint: SetInt64 %q: %d values for shape %v (want %d)", name, len(v), shape, n))
	}
	f.set(name, entry{dtype: I64, shape: slices.Clone(shape), i64: v})
}

// SetBytes adds b as the one-dimensional U8 array name, replacing any array
// of that name.
func (f *File) SetBytes(name string, b []byte) {
	f.set(name, entry{dtype: U8, shape: []int{len(b)}, u8: b})
}

// Delete removes the array name, if present.
func (f *File) Delete(name string) { delete(f.entries, name) }

// Len returns the number of arrays.
func (f *File) Len() int { return len(f.entries) }

// Names returns the arrays' names in sorted order, the order Save writes
// them in.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.entries))
	for name := range f.entries {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Info returns the dtype and shape of the array name and whether it exists.
// The caller must not modify the shape.
func (f *File) Info(name string) (dtype DType, shape []int, ok bool) {
	e, ok := f.entries[name]
	return e.dtype, e.shape, ok
}

// lookup returns the array name, checking that it has dtype want.
func (f *File) lookup(name string, want DType) (entry, error) {
	e, ok := f.entries[name]
	if !ok {
		return e, f.errorf("no tensor %q", name)
	}
	if e.dtype != want {
		return e, f.errorf("tensor %q is %s, not %s", name, e.dtype, want)
	}
	return e, nil
}

// errorf returns an error prefixed with the package and, for a loaded File,
// its path.
func (f *File) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if f.path != "" {
		return fmt.Errorf("checkpoint: %s: %s", f.path, msg)
	}
	return fmt.Errorf("checkpoint: %s", msg)
}

// Tensor returns the F32 array name.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	e, err := f.lookup(name, F32)
	return e.f32, err
}

// Int64 returns the values of the I64 array name in row-major order.
func (f *File) Int64(name string) ([]int64, error) {
	e, err := f.lookup(name, I64)
	return e.i64, err
}

// Bytes returns the values of the U8 array name in row-major order.
func (f *File) Bytes(name string) ([]byte, error) {
	e, err := f.lookup(name, U8)
	return e.u8, err
}

// SetStateDict adds each tensor of sd as the F32 array prefix+name. With
// prefix "generator.", PyTorch's "0.weight" becomes "generator.0.weight".
func (f *File) SetStateDict(prefix string, sd map[string]*tensor.Tensor) {
	for name, t := range sd {
		f.Set(prefix+name, t)
	}
}

// maxExactInt is the largest magnitude up to which float32 holds every
// integer exactly.
const maxExactInt = 1 << 24

// StateDict returns the arrays whose names begin with prefix, keyed by the
// rest of their names: the inverse of SetStateDict. An empty prefix selects
// every array. F32 arrays are returned as they are; I64 arrays (as PyTorch
// stores BatchNorm's num_batches_tracked) are converted to new float32
// tensors, and it is an error if a value is beyond ±2²⁴, where float32 stops
// holding every integer. A U8 array under the prefix is an error, and so is
// a NaN or infinite value: no network or optimiser can continue from one.
func (f *File) StateDict(prefix string) (map[string]*tensor.Tensor, error) {
	sd := make(map[string]*tensor.Tensor)
	for _, name := range f.Names() {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		e := f.entries[name]
		switch e.dtype {
		case F32:
			for i, v := range e.f32.Data() {
				if x := float64(v); math.IsNaN(x) || math.IsInf(x, 0) {
					return nil, f.errorf("tensor %q: value %d of %d is %v: the weights are not finite", name, i, e.f32.Len(), x)
				}
			}
			sd[rest] = e.f32
		case I64:
			vals := make([]float32, len(e.i64))
			for i, v := range e.i64 {
				if v > maxExactInt || v < -maxExactInt {
					return nil, f.errorf("tensor %q: I64 value %d at index %d is not exact in float32", name, v, i)
				}
				vals[i] = float32(v)
			}
			sd[rest] = tensor.FromSlice(vals, e.shape...)
		default:
			return nil, f.errorf("tensor %q is %s, not a state-dict tensor (F32 or I64)", name, e.dtype)
		}
	}
	return sd, nil
}

// byteLen returns the number of bytes of an array of the given shape and
// element size, or false if it overflows int.
func byteLen(shape []int, size int) (int, bool) {
	n := size
	for _, d := range shape {
		if d != 0 && n > math.MaxInt/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// formatInts formats v as a JSON array, the way the header spells shapes and
// offsets.
func formatInts[T int | uint64](v []T) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, x)
	}
	b.WriteByte(']')
	return b.String()
}
