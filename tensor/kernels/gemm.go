// Package kernels holds nash's numerical kernels on raw float32 slices: the
// single GEMM entry point every matrix product goes through, and the
// element-wise loops that show in a training profile.
package kernels

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// transA and transB say. op(A) is m×k, op(B) is k×n and C is m×n; all three
// are row-major with leading dimensions (row strides) lda, ldb and ldc. With
// beta == 0, C is overwritten and its previous contents (even NaN) ignored.
//
// The result does not depend on the number of goroutines used: every element
// of C is computed by one goroutine, summing over k in a fixed order.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
