package evaluate

import (
	"strings"
	"testing"

	"github.com/nash-gan/nash/metrics"
)

// TestQuick scores test digits against the test set: every class, their
// own labels and the real diversity, and the FID of the Gaussians.
func TestQuick(t *testing.T) {
	ref := mnist(t, 0, 1000)
	q, err := NewQuick(ref.Model, ref.Test, 800, 200)
	if err != nil {
		t.Fatal(err)
	}
	first := head(ref.Test, 200)
	labels := copier{first}.GenerateLabels(200)
	got, err := q.Score(values(first), labels)
	if err != nil {
		t.Fatal(err)
	}
	if got.Classes != 10 || !(got.ClassKL < 0.1) || got.Diversity != 1 || got.ClassAccuracy == nil || !(*got.ClassAccuracy > 0.97) {
		t.Errorf("score of test digits %+v (class accuracy %v)", got, got.ClassAccuracy)
	}
	real, err := Score(ref.Model, "real", values(head(ref.Test, 800)))
	if err != nil {
		t.Fatal(err)
	}
	gen, err := Score(ref.Model, "generated", values(first))
	if err != nil {
		t.Fatal(err)
	}
	fid, err := metrics.FID(real.features, gen.features)
	if err != nil {
		t.Fatal(err)
	}
	if got.FID != fid {
		t.Errorf("FID %g, metrics.FID %g", got.FID, fid)
	}
	unlabelled, err := q.Score(values(first), nil)
	if err != nil {
		t.Fatal(err)
	}
	if unlabelled.ClassAccuracy != nil || unlabelled.FID != got.FID {
		t.Errorf("without labels %+v", unlabelled)
	}
	if _, err := q.Score(values(first), labels[:10]); err == nil || !strings.Contains(err.Error(), "10 labels") {
		t.Errorf("200 images with 10 labels: error %v", err)
	}
}
