package evaluate

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// options returns nash eval's default settings for metrics.
func options(metrics ...string) Options {
	return Options{Metrics: metrics, K: 5, KIDSubsets: 100, KIDSubsetSize: 1000, MaxSamples: 1000, Permutations: 100, Splits: 10}
}

// head returns the first n images of ds as a dataset of their own.
func head(ds *data.Dataset, n int) *data.Dataset {
	h := *ds
	h.N, h.Pixels, h.Labels = n, ds.Pixels[:n*ds.ImageSize()], ds.Labels[:n]
	return &h
}

// mnist returns the embedded feature network and the first n images of
// each split of MNIST.
func mnist(t *testing.T, nTrain, nTest int) Reference {
	t.Helper()
	m, err := classifier.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	ref := Reference{Model: m}
	for _, s := range []struct {
		split string
		n     int
		dst   **data.Dataset
	}{{"train", nTrain, &ref.Train}, {"test", nTest, &ref.Test}} {
		ds, err := data.Load("mnist", "", s.split)
		if err != nil {
			t.Fatal(err)
		}
		*s.dst = head(ds, s.n)
	}
	return ref
}

// values returns the images of ds as [N, C, H, W] values in [−1, 1].
func values(ds *data.Dataset) *tensor.Tensor {
	x := tensor.New(ds.N, ds.C, ds.H, ds.W)
	images.ToValues(x.Data(), ds.Pixels)
	return x
}

// TestFeatures checks the feature metrics against the reference values of
// metrics/testdata (computed with NumPy and SciPy), and that a metric's
// result does not depend on the others asked for.
func TestFeatures(t *testing.T) {
	dir := filepath.Join("..", "metrics", "testdata")
	real, err := metrics.ReadNPY(filepath.Join(dir, "real.npy"))
	if err != nil {
		t.Fatal(err)
	}
	fake, err := metrics.ReadNPY(filepath.Join(dir, "fake.npy"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		FID  float64 `json:"fid_symmetric"`
		PRDC struct {
			Precision float64 `json:"precision"`
		} `json:"prdc_k3"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	o := options(FeatureMetrics...)
	o.K = 3
	rep, err := Features(real, fake, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FID == nil || rep.KID == nil || rep.PRDC == nil || rep.MMD == nil || rep.C2ST == nil || rep.IS != nil || rep.Modes != nil {
		t.Fatalf("report %+v", rep)
	}
	if math.Abs(*rep.FID-ref.FID) > 1e-6*ref.FID || rep.PRDC.Precision != ref.PRDC.Precision || rep.K != 3 {
		t.Errorf("FID %g, precision %g (k = %d); reference %g, %g (k = 3)", *rep.FID, rep.PRDC.Precision, rep.K, ref.FID, ref.PRDC.Precision)
	}
	if rep.NReal != 300 || rep.NFake != 300 || rep.Dim != 40 || rep.MMD.Permutations != 100 {
		t.Errorf("report %+v", rep)
	}
	kid, err := Features(real, fake, options("kid"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if kid.FID != nil || kid.KID == nil || *kid.KID != *rep.KID {
		t.Errorf("kid alone %+v, among all metrics %+v", kid.KID, rep.KID)
	}
	var text strings.Builder
	if err := rep.Print(&text, o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fid   7.24393", "(one subset: both whole sets of 300)", "(k = 3)", "(100 permutations, ≤ 1000 samples of each)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	probs, err := metrics.ReadNPY(filepath.Join(dir, "probs.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Features(real, probs, o, io.Discard); err == nil || !strings.Contains(err.Error(), "has 40 values per sample") {
		t.Errorf("features of 40 and 10 values: error %v", err)
	}
}

// TestImages compares real digits with real digits: every class is
// present, the feature network is confident, and the two sets are close.
func TestImages(t *testing.T) {
	ref := mnist(t, 300, 300)
	real, err := Score(ref.Model, "test digits", values(ref.Test))
	if err != nil {
		t.Fatal(err)
	}
	fake, err := Score(ref.Model, "training digits", values(ref.Train))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Images(real, fake, options("fid", "is", "modes"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FID == nil || rep.IS == nil || rep.Modes == nil || rep.Dim != classifier.FeatureDim || rep.Real != "test digits" {
		t.Fatalf("report %+v", rep)
	}
	if rep.Modes.Covered != 10 || rep.IS.Mean < 5 || rep.Modes.ClassAccuracy != nil || !(rep.Modes.Diversity > 0.8*rep.Modes.RealDiversity) {
		t.Errorf("real against real: %d classes, IS %g, class accuracy %v, diversity %g (real %g)",
			rep.Modes.Covered, rep.IS.Mean, rep.Modes.ClassAccuracy, rep.Modes.Diversity, rep.Modes.RealDiversity)
	}
	self, err := Images(real, real, options("fid"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(*self.FID) > 1e-9 {
		t.Errorf("FID of a set against itself %g", *self.FID)
	}
}

// copier is a Generator that returns the first images of a dataset, of
// their own labels.
type copier struct{ ds *data.Dataset }

func (c copier) Generate(n int, _ uint64) *tensor.Tensor { return values(head(c.ds, n)) }

func (c copier) GenerateLabels(n int) []int {
	labels := make([]int, n)
	for i, y := range c.ds.Labels[:n] {
		labels[i] = int(y)
	}
	return labels
}

// TestRun evaluates a generator that copies training digits: as good as
// the real-data floor, of the classes asked for, and caught copying.
func TestRun(t *testing.T) {
	ref := mnist(t, 2000, 500)
	dir := t.TempDir()
	info := RunInfo{Dir: dir, Dataset: "mnist", Checkpoint: "best", Step: 7, EMA: true}
	o := RunOptions{Options: options("fid", "modes", "memorisation"), N: 300, MemorisationN: 300, Split: "test"}
	rep, err := Run(copier{ref.Train}, info, ref, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run != dir || rep.Checkpoint != "best" || rep.Step != 7 || rep.Generator != "EMA of G" || rep.N != 300 || rep.FeatureNetwork.SHA256 != ref.Model.SHA256 {
		t.Errorf("report %+v", rep)
	}
	g, f := rep.Generated, rep.Floor
	if g.NFake != 300 || g.NReal != 300 || f.NFake != 300 || g.Real != "300 mnist test images" || f.Fake != "300 mnist train images" {
		t.Errorf("sets: generated %+v, floor %+v", g, f)
	}
	if !(*g.FID < 2**f.FID) || g.Modes.ClassAccuracy == nil || !(*g.Modes.ClassAccuracy > 0.97) || !(*f.Modes.ClassAccuracy > 0.97) {
		t.Errorf("copied digits: FID %g (floor %g), class accuracy %v (floor %v)", *g.FID, *f.FID, g.Modes.ClassAccuracy, f.Modes.ClassAccuracy)
	}
	mem := rep.Memorisation
	if mem == nil || mem.Generated != 300 || mem.Test != 300 || mem.Train != 2000 || len(mem.Closest) != closestPairs {
		t.Fatalf("memorisation %+v", mem)
	}
	if mem.Pixel.CopyRate != 1 || mem.Pixel.MedianGenerated != 0 || !(mem.Pixel.CT < -3) {
		t.Errorf("copies in pixel space: %+v", mem.Pixel)
	}
	if _, err := os.Stat(mem.Picture); err != nil {
		t.Error(err)
	}
	// A feature network of another dataset does not know the classes.
	o.Metrics = []string{"modes"}
	info.Dataset = "fashion-mnist"
	other, err := Run(copier{ref.Train}, info, ref, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if other.Generated.Modes.ClassAccuracy != nil || other.Floor.Modes.ClassAccuracy != nil {
		t.Error("class accuracy with the feature network of another dataset")
	}
	var text strings.Builder
	if err := rep.Print(&text, o.Options); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"best checkpoint, step 7, EMA of G", "class asked for, seen", "memorisation: 300 generated and 300 test images against 2000 training images"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, text.String())
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.v); got != c.want {
			t.Errorf("median(%v) = %g, want %g", c.v, got, c.want)
		}
	}
}

// TestPrintKIDOfOneSubset: KID whose subsets are the whole sets says so
// instead of printing a spread of rounding errors.
func TestPrintKIDOfOneSubset(t *testing.T) {
	for _, c := range []struct {
		nReal, nFake int
		want         string
	}{{200, 200, "one subset: both whole sets of 200"}, {5000, 200, "± 0 "}, {2000, 2000, "(100 subsets of 1000)"}} {
		r := Report{NReal: c.nReal, NFake: c.nFake, KID: &metrics.Estimate{Mean: 0.01}}
		var b strings.Builder
		if err := r.Print(&b, Options{KIDSubsets: 100, KIDSubsetSize: 1000}); err != nil || !strings.Contains(b.String(), c.want) {
			t.Errorf("%d and %d samples: %q, want %q", c.nReal, c.nFake, b.String(), c.want)
		}
	}
}
