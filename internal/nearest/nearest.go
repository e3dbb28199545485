// Package nearest finds the known name a mistyped one most likely meant,
// for "did you mean" hints in error messages.
package nearest

// Name returns the name of known nearest to name in edit distance, and
// whether it is near enough to be a likely typo of it: at most a third of
// name's length away, or one edit for short names (and never name
// itself).
func Name(name string, known []string) (string, bool) {
	best, dist := "", max(1, len(name)/3)+1
	for _, k := range known {
		if d := Distance(name, k); d < dist && k != name {
			best, dist = k, d
		}
	}
	return best, best != ""
}

// Distance returns the edit distance between a and b: the fewest
// insertions, deletions, substitutions of bytes and swaps of adjacent
// bytes that turn one into the other (the optimal string alignment
// distance, Damerau's variant of Levenshtein's).
func Distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j-1]+cost, d[i-1][j]+1, d[i][j-1]+1)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
