package kernels

// Packing copies a block of op(A) or op(B) into the contiguous panel layout
// the micro-kernels stream through, absorbing the transposes and padding the
// last panel with zeros.
//
// A packed mc×kc block of op(A) is a sequence of panels of mr rows; panel q
// holds element (q·mr+r, p) at index q·mr·kc + p·mr + r. A packed kc×nc block
// of op(B) is a sequence of panels of nr columns; panel q holds element
// (p, q·nr+j) at index q·nr·kc + p·nr + j.

// packA packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into dst in
// panels of mr rows.
func packA(dst []float32, mr int, a []float32, lda int, transA bool, i0, p0, mc, kc int) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+mr*kc]
		if transA {
			// op(A)(i, p) = A(p, i): each p reads rows contiguous values.
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:]
				src = src[:rows]
				out := panel[p*mr : p*mr+mr]
				for r, v := range src {
					out[r] = v
				}
				for r := rows; r < mr; r++ {
					out[r] = 0
				}
			}
			continue
		}
		for r := 0; r < rows; r++ {
			src := a[(i0+ir+r)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				panel[p*mr+r] = v
			}
		}
		for r := rows; r < mr; r++ {
			for p := 0; p < kc; p++ {
				panel[p*mr+r] = 0
			}
		}
	}
}

// packB packs rows [p0, p0+kc) and columns [j0, j0+nc) of op(B) into dst in
// panels of nr columns.
func packB(dst []float32, nr int, b []float32, ldb int, transB bool, p0, j0, kc, nc int) {
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		if !transB {
			// op(B)(p, j) = B(p, j): each p reads cols contiguous values.
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0+jr:]
				src = src[:cols]
				out := panel[p*nr : p*nr+nr]
				for j, v := range src {
					out[j] = v
				}
				for j := cols; j < nr; j++ {
					out[j] = 0
				}
			}
			continue
		}
		for j := 0; j < cols; j++ {
			src := b[(j0+jr+j)*ldb+p0:]
			src = src[:kc]
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := 0; p < kc; p++ {
				panel[p*nr+j] = 0
			}
		}
	}
}
