package images

import (
	"image"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// ClassGrid puts Grid's rows to the right of a margin as wide as the
// longest name (7 pixels a character, 4 on either side) and writes each
// name, in white, beside its own row only.
func TestClassGrid(t *testing.T) {
	names := []string{"a", "longer"}
	x := tensor.New(2*3, 1, 16, 16)
	x.Fill(-1)
	img := ClassGrid(x, 3, 2, names)
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("a grey batch gave %T", img)
	}
	margin := 6*7 + 8
	if b := g.Bounds(); b.Dx() != margin+3*18+2 || b.Dy() != 2*18+2 {
		t.Fatalf("bounds %v, want %d×%d", b, margin+3*18+2, 2*18+2)
	}
	// The label pixels lit in each row's band, by column.
	lit := func(y0, y1 int) (first, count int) {
		first = -1
		for y := y0; y < y1; y++ {
			for xx := range margin {
				if g.GrayAt(xx, y).Y > 128 {
					count++
					if first < 0 || xx < first {
						first = xx
					}
				}
			}
		}
		return first, count
	}
	firstA, countA := lit(2, 18)
	firstL, countL := lit(20, 36)
	if countA == 0 || countL <= countA {
		t.Fatalf("lit label pixels: %d for %q, %d for %q", countA, names[0], countL, names[1])
	}
	// Both are right-aligned against the images: the short name starts
	// further right.
	if firstA <= firstL || firstL < 4 {
		t.Errorf("labels start at x = %d and %d", firstA, firstL)
	}
	for _, y := range []int{0, 1, 18, 19, 36, 37} {
		for xx := range margin {
			if g.GrayAt(xx, y).Y != 0 {
				t.Fatalf("label pixel lit at (%d, %d), in the padding between rows", xx, y)
			}
		}
	}
	rgb := tensor.New(3, 3, 4, 4)
	if _, ok := ClassGrid(rgb, 1, 2, []string{"r", "g", "b"}).(*image.RGBA); !ok {
		t.Error("an RGB batch did not give an RGBA picture")
	}
	defer func() {
		if recover() == nil {
			t.Error("ClassGrid accepted 6 images for 3 classes of 3 columns")
		}
	}()
	ClassGrid(x, 3, 2, []string{"a", "b", "c"})
}
