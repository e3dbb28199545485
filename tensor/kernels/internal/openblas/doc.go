// Package openblas compares kernels.Sgemm with OpenBLAS's cblas_sgemm on
// the products of the reference GAN's training step and on a 1024³
// product. It is benchmark-only: its code builds only with the openblas
// tag and cgo, so the product never depends on either. It needs Debian's
// libopenblas-dev:
//
//	go test -tags openblas -run '^$' -bench . ./tensor/kernels/internal/openblas
package openblas
