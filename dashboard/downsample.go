package dashboard

import (
	"math"
	"slices"
)

// downsample appends to dst the indices, ascending, of at most limit of the
// n rows of cols (each of length at least n) and returns the extended
// slice. All rows are kept when n ≤ limit. Otherwise the first and the last
// row are kept, the rows between are split into equal buckets, and each
// bucket keeps, for every column, the rows of its smallest and largest
// values (NaNs ignored): a chart of the kept rows shows every spike and
// the range of every stretch of the full series. When limit is below
// 2+2·len(cols), one bucket is used and up to that many rows are kept.
func downsample(dst []int, n int, cols [][]float64, limit int) []int {
	if n <= limit {
		for i := range n {
			dst = append(dst, i)
		}
		return dst
	}
	perBucket := max(2*len(cols), 1)
	buckets := max((limit-2)/perBucket, 1)
	inner := n - 2
	dst = append(dst, 0)
	for b := range buckets {
		lo := 1 + b*inner/buckets
		hi := 1 + (b+1)*inner/buckets
		if len(cols) == 0 {
			dst = append(dst, lo)
			continue
		}
		start := len(dst)
		for _, c := range cols {
			lowest, highest := -1, -1
			for i := lo; i < hi; i++ {
				v := c[i]
				if math.IsNaN(v) {
					continue
				}
				if lowest < 0 || v < c[lowest] {
					lowest = i
				}
				if highest < 0 || v > c[highest] {
					highest = i
				}
			}
			if lowest >= 0 {
				dst = append(dst, lowest, highest)
			}
		}
		kept := dst[start:]
		slices.Sort(kept)
		dst = dst[:start+len(slices.Compact(kept))]
	}
	return append(dst, n-1)
}
