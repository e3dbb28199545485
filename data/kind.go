package data

// Kind is a kind of sample: what a batch holds and how samples are shown.
type Kind string

// The kinds of data nash trains on.
const (
	// Images are [C, H, W] pixels scaled to [−1, 1], shown as a grid.
	Images Kind = "images"
	// Points are 2-D points of a Gaussian mixture, shown as a scatter
	// picture over the mixture's modes.
	Points Kind = "points"
	// Tokens are sequences of token ids (integral values), shown as text.
	Tokens Kind = "tokens"
)

// IsToy reports whether name is one of the 2-D mixtures of Toy, whose
// samples are Points.
func IsToy(name string) bool {
	for _, n := range ToyNames {
		if n == name {
			return true
		}
	}
	return false
}

// Unpaired are images of two domains, A and B, drawn independently of
// each other (a batch's X from A, its Y from B), for translation between
// them (CycleGAN); each domain's images are [C, H, W] scaled to [−1, 1].
const Unpaired Kind = "unpaired"
