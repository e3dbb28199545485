package evaluate

import (
	"strings"
	"testing"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// StackedModes reads each channel's digit: stacking MNIST test digits of
// known labels gives their triples, 100·red + 10·green + blue, and the
// quick evaluation counts the same modes.
func TestStackedModes(t *testing.T) {
	m, err := classifier.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.Load("mnist", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	// Images 3i, 3i+1 and 3i+2 of the test set in the red, green and blue
	// channels of image i; the classifier reads these 60 digits right.
	const n = 20
	x := tensor.New(n, 3, 28, 28)
	images.ToValues(x.Data(), test.Pixels[:3*n*784])
	h, err := StackedModes(m, x)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, data.StackedMNISTModes)
	for i := range n {
		l := test.Labels[3*i : 3*i+3]
		want[100*int(l[0])+10*int(l[1])+int(l[2])]++
	}
	if len(h.Counts) != len(want) {
		t.Fatalf("%d modes, want %d", len(h.Counts), len(want))
	}
	covered := 0
	for k := range want {
		if h.Counts[k] != want[k] {
			t.Errorf("mode %03d: %d images, want %d", k, h.Counts[k], want[k])
		}
		if want[k] > 0 {
			covered++
		}
	}
	if h.Covered != covered {
		t.Errorf("%d modes covered, want %d", h.Covered, covered)
	}
	q := NewQuickStacked(m)
	s, err := q.Score(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Stacked() || s.Modes != h.Covered || s.ModeKL != h.KL {
		t.Errorf("quick evaluation: %d modes, KL %g; want %d, %g", s.Modes, s.ModeKL, h.Covered, h.KL)
	}
	if _, err := StackedModes(m, tensor.New(2, 1, 28, 28)); err == nil || !strings.Contains(err.Error(), "want [N 3 28 28]") {
		t.Errorf("grey images: error %v", err)
	}
}
