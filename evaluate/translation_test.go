package evaluate

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// identity translates an image into itself.
type identity struct{ shape []int }

func (i identity) SampleAll(x, _ *tensor.Tensor) (*tensor.Tensor, error) {
	return x.Clone().Reshape(append([]int{x.Dim(0)}, i.shape...)...), nil
}

// With translators that change nothing, between two copies of MNIST,
// translation is as accurate as the source alone, the cycle costs
// nothing, the FID of the translations equals the real-data comparison of
// the test set with itself (0), and the picture is written.
func TestTranslationIdentity(t *testing.T) {
	m, err := classifier.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.Load("mnist", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	train, err := data.Load("mnist", "", "train")
	if err != nil {
		t.Fatal(err)
	}
	d := Domain{Name: "mnist", Test: test.Head(300), Train: train.Head(300), Model: m}
	dir := t.TempDir()
	g := identity{[]int{1, 28, 28}}
	rep, err := Translation(g, g, d, d, RunInfo{Dir: dir, Dataset: "mnist", Checkpoint: "last"}, 200, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Directions {
		if r.Images != 200 || *r.Accuracy != *r.SourceOnly || *r.Accuracy < 0.95 || *r.TargetOnly != *r.SourceOnly {
			t.Errorf("%s: %d images, accuracy %v, source only %v, target only %v", r.Direction, r.Images, *r.Accuracy, *r.SourceOnly, *r.TargetOnly)
		}
		if r.CycleL1 != 0 || math.Abs(*r.FID) > 1e-6 || *r.FIDFloor <= *r.FID {
			t.Errorf("%s: cycle %v, FID %v, floor %v", r.Direction, r.CycleL1, *r.FID, *r.FIDFloor)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.TranslationFile("last"))); err != nil {
		t.Error(err)
	}
	if err := rep.Print(io.Discard); err != nil {
		t.Error(err)
	}
	dirs, err := TranslationScores(g, g, d, d, 200)
	if err != nil || !reflect.DeepEqual(dirs, rep.Directions) {
		t.Errorf("TranslationScores = %+v, %v; want Translation's directions %+v", dirs, err, rep.Directions)
	}
}
