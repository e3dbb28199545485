package images

import "math"

// values holds ToValues's value of each byte.
var values = func() (t [256]float32) {
	for p := range t {
		t[p] = float32(p)/127.5 - 1
	}
	return t
}()

// ToValues scales the stored pixel bytes src into dst as the networks take
// them, in [−1, 1]: byte p becomes float32(p)/127.5 − 1, computed in
// float32, which equals torchvision's ToTensor followed by
// Normalize(0.5, 0.5) bit for bit (0 → −1, 255 → 1). dst must be at least
// as long as src; only its first len(src) values are written.
func ToValues(dst []float32, src []uint8) {
	dst = dst[:len(src)]
	for i, p := range src {
		dst[i] = values[p]
	}
}

// ToPixel maps a value in [−1, 1] back to a pixel byte as torchvision's
// make_grid(normalize=True, value_range=(−1, 1)) and save_image do:
// ⌊(v+1)/2·255 + 0.5⌋ computed in float32, after clamping v to [−1, 1];
// NaN maps to 0. It inverts ToValues: ToPixel(ToValues(p)) = p for every
// byte p.
func ToPixel(v float32) uint8 {
	if math.IsNaN(float64(v)) {
		return 0
	}
	v = min(max(v, -1), 1)
	return uint8((v+1)/2*255 + 0.5)
}
