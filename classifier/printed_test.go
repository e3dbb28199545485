package classifier

import (
	"testing"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// accuracyOn returns the accuracy of the embedded network of dataset on
// the images of ds [N, 1, 28, 28].
func accuracyOn(t *testing.T, dataset string, ds *data.Dataset) float64 {
	t.Helper()
	m, err := Embedded(dataset)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(ds.N, 1, Side, Side)
	images.ToValues(x.Data(), ds.Pixels)
	out, err := Extract(m.Net, x)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, p := range out.Predictions() {
		if p == int(ds.Labels[i]) {
			right++
		}
	}
	return float64(right) / float64(ds.N)
}

// The printed digits are a domain of their own: the embedded MNIST
// network reads fewer than 70 % of the first 2,000 printed test digits
// (grey, centre 28×28), while the embedded printed-digits network, trained
// by nash classifier train --dataset printed, reads at least 98 %.
func TestPrintedIsAnotherDomain(t *testing.T) {
	p, err := data.RenderPrinted(2000, "printed test")
	if err != nil {
		t.Fatal(err)
	}
	test := data.GreyCentre(p, Side)
	mnist := accuracyOn(t, "mnist", test)
	printed := accuracyOn(t, "printed", test)
	t.Logf("printed test digits: MNIST network %.2f%%, printed network %.2f%%", 100*mnist, 100*printed)
	if mnist >= 0.70 {
		t.Errorf("the MNIST network reads %.2f%% of the printed digits: not a different domain", 100*mnist)
	}
	if printed < 0.98 {
		t.Errorf("the printed-digits network reads %.2f%% of its test set, want at least 98%%", 100*printed)
	}
}
