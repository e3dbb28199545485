package metrics

import (
	"math"
	"testing"
)

func TestBLEU(t *testing.T) {
	// A hypothesis equal to a reference scores 1 at every order.
	refs := [][]int{{1, 2, 3, 4, 5}, {9, 9, 9}}
	for n, v := range BLEU([][]int{{1, 2, 3, 4, 5}}, refs, 5) {
		if math.Abs(v-1) > 1e-12 {
			t.Fatalf("BLEU-%d of a reference = %v, want 1", n+1, v)
		}
	}
	// Hand-computed as NLTK computes it: hypothesis 1 2 3 9 against the
	// references; p1 = 4/4, p2 = 2/3 (1 2, 2 3), the closest reference
	// length 3 (|4−5| = |4−3|: the shorter) is below 4, so no penalty.
	got := BLEU([][]int{{1, 2, 3, 9}}, refs, 2)
	if want := math.Sqrt(1 * 2.0 / 3); math.Abs(got[1]-want) > 1e-12 || got[0] != 1 {
		t.Fatalf("BLEU-1, 2 = %v, want 1, %v", got, want)
	}
	// 1 2 9 3: p2 = 1/3 and no matching 3-gram, so method 1 smooths p3
	// to 0.1/2.
	got = BLEU([][]int{{1, 2, 9, 3}}, refs, 3)
	if want := math.Cbrt(1.0 / 3 * 0.1 / 2); math.Abs(got[2]-want) > 1e-12 {
		t.Fatalf("BLEU-3 = %v, want %v", got[2], want)
	}
	// A short hypothesis pays the brevity penalty exp(1 − r/c).
	got = BLEU([][]int{{1, 2}}, [][]int{{1, 2, 3, 4}}, 1)
	if want := math.Exp(1 - 4.0/2); math.Abs(got[0]-want) > 1e-12 {
		t.Fatalf("BLEU-1 of a short hypothesis = %v, want %v", got[0], want)
	}
}

func TestSelfBLEU(t *testing.T) {
	// Identical sequences score 1; a sequence is never its own reference.
	same := [][]int{{1, 2, 3}, {1, 2, 3}, {1, 2, 3}}
	if v := SelfBLEU(same, 3)[2]; math.Abs(v-1) > 1e-12 {
		t.Fatalf("Self-BLEU-3 of copies = %v, want 1", v)
	}
	distinct := [][]int{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}
	if v := SelfBLEU(distinct, 2)[1]; v != 0 {
		t.Fatalf("Self-BLEU-2 of disjoint sequences = %v, want 0", v)
	}
}
