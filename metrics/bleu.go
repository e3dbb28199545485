package metrics

import (
	"encoding/binary"
	"math"
)

// BLEUSmoothingEpsilon is the smoothing of a zero n-gram precision in
// BLEU and SelfBLEU: Chen and Cherry's method 1, as NLTK's
// SmoothingFunction().method1 that Texygen uses — a precision with no
// match counts as ε/(hypothesis n-grams).
const BLEUSmoothingEpsilon = 0.1

// BLEU returns Texygen's BLEU-n for n = 1 … maxN of the hypotheses
// against one shared set of references (sequences of token ids): the mean
// over hypotheses of NLTK's sentence_bleu with all references, uniform
// weights over the 1…n-gram precisions (clipped by each n-gram's largest
// count in any reference), the brevity penalty of the closest reference
// length, and method-1 smoothing (BLEUSmoothingEpsilon). Element n−1 of
// the result is BLEU-n.
func BLEU(hyps, refs [][]int, maxN int) []float64 {
	st := newRefStats(refs, maxN)
	out := make([]float64, maxN)
	for _, h := range hyps {
		for n, v := range st.sentence(h, -1) {
			out[n] += v
		}
	}
	for n := range out {
		out[n] /= float64(len(hyps))
	}
	return out
}

// SelfBLEU returns Texygen's Self-BLEU-n for n = 1 … maxN: the mean BLEU-n
// of each sequence against all the others as references (higher is less
// diverse). It needs at least two sequences.
func SelfBLEU(seqs [][]int, maxN int) []float64 {
	st := newRefStats(seqs, maxN)
	out := make([]float64, maxN)
	for i, h := range seqs {
		for n, v := range st.sentence(h, i) {
			out[n] += v
		}
	}
	for n := range out {
		out[n] /= float64(len(seqs))
	}
	return out
}

// refStats are the references' n-gram counts: for each n-gram the largest
// count in one reference, the reference holding it and the second
// largest (the largest of the others, for Self-BLEU), and the number of
// references of each length.
type refStats struct {
	maxN    int
	best    map[string]*ngramMax
	lengths map[int]int
	refLen  []int
}

type ngramMax struct {
	first, second, holder int
}

func newRefStats(refs [][]int, maxN int) *refStats {
	st := &refStats{maxN: maxN, best: map[string]*ngramMax{}, lengths: map[int]int{}}
	for r, ref := range refs {
		st.lengths[len(ref)]++
		st.refLen = append(st.refLen, len(ref))
		for g, c := range ngramCounts(ref, maxN) {
			m := st.best[g]
			if m == nil {
				m = &ngramMax{holder: -1}
				st.best[g] = m
			}
			switch {
			case c > m.first:
				m.second, m.first, m.holder = m.first, c, r
			case c > m.second:
				m.second = c
			}
		}
	}
	return st
}

// ngramCounts returns the counts of the 1…maxN-grams of s, keyed by n and
// the tokens.
func ngramCounts(s []int, maxN int) map[string]int {
	out := map[string]int{}
	for n := 1; n <= maxN; n++ {
		for i := 0; i+n <= len(s); i++ {
			out[ngramKey(s[i:i+n])]++
		}
	}
	return out
}

func ngramKey(g []int) string {
	b := make([]byte, 4*len(g))
	for i, t := range g {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(t))
	}
	return string(b)
}

// sentence returns BLEU-1 … BLEU-maxN of h against the references, leaving
// out reference skip (−1: none).
func (st *refStats) sentence(h []int, skip int) []float64 {
	counts := ngramCounts(h, st.maxN)
	match := make([]float64, st.maxN)
	total := make([]float64, st.maxN)
	for g, c := range counts {
		n := len(g)/4 - 1
		total[n] += float64(c)
		if m := st.best[g]; m != nil {
			limit := m.first
			if m.holder == skip {
				limit = m.second
			}
			match[n] += float64(min(c, limit))
		}
	}
	out := make([]float64, st.maxN)
	if match[0] == 0 {
		return out
	}
	bp := st.brevity(len(h), skip)
	var logSum float64
	for n := range st.maxN {
		p := match[n] / max(total[n], 1)
		if match[n] == 0 {
			p = BLEUSmoothingEpsilon / max(total[n], 1)
		}
		logSum += math.Log(p)
		out[n] = bp * math.Exp(logSum/float64(n+1))
	}
	return out
}

// brevity returns the brevity penalty of a hypothesis of c tokens: 1 when
// it is longer than the closest reference length r (the shorter on a
// tie), exp(1 − r/c) otherwise.
func (st *refStats) brevity(c, skip int) float64 {
	r, found := 0, false
	for l, k := range st.lengths {
		if skip >= 0 && l == st.refLen[skip] && k == 1 {
			continue
		}
		d, best := abs(l-c), abs(r-c)
		if !found || d < best || d == best && l < r {
			r, found = l, true
		}
	}
	if c == 0 {
		return 0
	}
	if c > r {
		return 1
	}
	return math.Exp(1 - float64(r)/float64(c))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
