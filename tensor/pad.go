package tensor

import "fmt"

// reflectIndex returns the index in [0, n) that position i of a row of n values
// padded by reflection on both sides reads: i < 0 mirrors around 0 and
// i ≥ n around n − 1, without repeating the edge, as torch's reflection
// padding.
func reflectIndex(i, n int) int {
	if i < 0 {
		return -i
	}
	if i >= n {
		return 2*(n-1) - i
	}
	return i
}

// checkReflectPad panics unless small [N, C, H, W] padded by p on each
// side of its last two axes has big's shape, with p less than H and W.
func checkReflectPad(op string, big, small *Tensor, p int) {
	s, b := small.shape, big.shape
	if len(s) != 4 || len(b) != 4 || p < 0 || p >= s[2] || p >= s[3] ||
		b[0] != s[0] || b[1] != s[1] || b[2] != s[2]+2*p || b[3] != s[3]+2*p {
		panic(fmt.Sprintf("tensor: %s of %v into %v with padding %d", op, s, b, p))
	}
}

// ReflectPad2d writes into dst [N, C, H+2p, W+2p] the images src
// [N, C, H, W] padded by p on every side with their reflection, as
// torch.nn.ReflectionPad2d(p); p must be less than H and W.
func ReflectPad2d(dst, src *Tensor, p int) {
	checkReflectPad("ReflectPad2d", dst, src, p)
	h, w := src.shape[2], src.shape[3]
	ph, pw := h+2*p, w+2*p
	planes := src.shape[0] * src.shape[1]
	for c := range planes {
		in, out := src.data[c*h*w:(c+1)*h*w], dst.data[c*ph*pw:(c+1)*ph*pw]
		for i := range ph {
			row, o := in[reflectIndex(i-p, h)*w:][:w], out[i*pw:][:pw]
			for j := range p {
				o[j] = row[p-j]
				o[p+w+j] = row[w-2-j]
			}
			copy(o[p:p+w], row)
		}
	}
}

// ReflectPad2dAdjoint writes into dst [N, C, H, W] the adjoint of
// ReflectPad2d applied to src [N, C, H+2p, W+2p]: each value of dst is the
// sum of the values of src that ReflectPad2d would have copied from it.
func ReflectPad2dAdjoint(dst, src *Tensor, p int) {
	checkReflectPad("ReflectPad2dAdjoint", src, dst, p)
	h, w := dst.shape[2], dst.shape[3]
	ph, pw := h+2*p, w+2*p
	planes := dst.shape[0] * dst.shape[1]
	clear(dst.data)
	for c := range planes {
		in, out := src.data[c*ph*pw:(c+1)*ph*pw], dst.data[c*h*w:(c+1)*h*w]
		for i := range ph {
			o, row := out[reflectIndex(i-p, h)*w:][:w], in[i*pw:][:pw]
			for j := range p {
				o[p-j] += row[j]
				o[w-2-j] += row[p+w+j]
			}
			for j, v := range row[p : p+w] {
				o[j] += v
			}
		}
	}
}
