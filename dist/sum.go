package dist

import "unsafe"

// Summer sums float32 buffers across the ranks of a group in a fixed order:
// element i of the result is ((b₀[i] + b₁[i]) + b₂[i]) + … over the ranks
// in rank order, whatever algorithm MPI picks for its own collectives, so
// that the same inputs give the same bits from one launch to the next. It
// moves the data with an all-to-all (each rank receives its slice of the
// buffer from every rank and sums it) and an all-gather of the sums: each
// rank sends and receives 2·(Size−1)/Size of the buffer, as a ring
// all-reduce does. A Summer keeps its buffers between calls.
type Summer struct {
	c          Comm
	send, recv []float32
	part       []float32
}

// NewSummer returns a Summer over c.
func NewSummer(c Comm) *Summer { return &Summer{c: c} }

// Sum replaces buf, on every rank, with the sum over the ranks of their
// bufs, which must have one length.
func (s *Summer) Sum(buf []float32) error {
	size := s.c.Size()
	if size == 1 || len(buf) == 0 {
		return nil
	}
	chunk := (len(buf) + size - 1) / size
	padded := chunk * size
	if cap(s.send) < padded {
		s.send, s.recv, s.part = make([]float32, padded), make([]float32, padded), make([]float32, chunk)
	}
	send, recv, part := s.send[:padded], s.recv[:padded], s.part[:chunk]
	copy(send, buf)
	clear(send[len(buf):])
	if err := s.c.Alltoall(Bytes(send), Bytes(recv)); err != nil {
		return err
	}
	copy(part, recv[:chunk])
	for r := 1; r < size; r++ {
		for i, v := range recv[r*chunk : (r+1)*chunk] {
			part[i] += v
		}
	}
	if err := s.c.Allgather(Bytes(part), Bytes(send)); err != nil {
		return err
	}
	copy(buf, send)
	return nil
}

// Bytes returns f's storage as bytes, without a copy: what the
// collectives move.
func Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}
