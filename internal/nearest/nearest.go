// Package nearest finds the known name a mistyped one most likely meant,
// for "did you mean" hints in error messages.
package nearest

// Name returns the name of known nearest to name in edit distance, and
// whether it is near enough to be a likely typo of it: at most a third of
// name's length away (and never name itself).
func Name(name string, known []string) (string, bool) {
	best, dist := "", len(name)/3+1
	for _, k := range known {
		if d := Distance(name, k); d < dist && k != name {
			best, dist = k, d
		}
	}
	return best, best != ""
}

// Distance returns the Levenshtein distance between a and b: the fewest
// insertions, deletions and substitutions of bytes that turn one into the
// other.
func Distance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
