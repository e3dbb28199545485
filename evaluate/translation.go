package evaluate

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// Translator is an image-to-image generator: infer.Generator of a
// translation run's G_A or G_B implements it.
type Translator interface {
	// SampleAll returns the translations [n, C, H, W] of the images x
	// [n, C·H·W] in [−1, 1]; labels is nil.
	SampleAll(x, labels *tensor.Tensor) (*tensor.Tensor, error)
}

// Domain is one domain of a translation run: its name, its test images
// (with labels when Model is set), the training images of its FID floor,
// and the feature network trained on it, which sees an image as
// data.GreyCentre shows it (grey, its centre 28×28); nil when none
// scores the domain.
type Domain struct {
	Name        string
	Test, Train *data.Dataset
	Model       *classifier.Model
}

// Direction is the measurement of translating one domain's test images
// into the other (the label-preservation protocol of domain-adaptation
// papers): the accuracy of the target domain's classifier on the
// translations, beside on the untranslated source images (source only) and
// on real target test images (target only); the FID of the translations
// against the target's test images in the target network's features, with
// its floor (as many target training images against the same test
// images); the mean absolute error of the cycle back to the source, on
// values in [−1, 1].
type Direction struct {
	Direction  string   `json:"direction"`
	Source     string   `json:"source"`
	Target     string   `json:"target"`
	Images     int      `json:"images"`
	Accuracy   *float64 `json:"accuracy,omitempty"`
	SourceOnly *float64 `json:"source_only,omitempty"`
	TargetOnly *float64 `json:"target_only,omitempty"`
	FID        *float64 `json:"fid,omitempty"`
	FIDFloor   *float64 `json:"fid_floor,omitempty"`
	CycleL1    float64  `json:"cycle_l1"`
	// FeatureNetwork is the target domain's classifier.
	FeatureNetwork *FeatureNetwork `json:"feature_network,omitempty"`
}

// TranslationReport is the evaluation of a translation run, both
// directions, as eval-<checkpoint>.json holds it.
type TranslationReport struct {
	Run        string      `json:"run"`
	Dataset    string      `json:"dataset"`
	Checkpoint string      `json:"checkpoint"`
	Step       int         `json:"step"`
	Directions []Direction `json:"directions"`
	// Picture is the file of the rows of test images, their translations
	// and reconstructions, in the run directory.
	Picture string `json:"picture"`
}

// pictureColumns is the number of test images of each direction in the
// picture.
const pictureColumns = 8

// Translation measures the translators ab (A to B) and ba (B to A) of a
// run on the first n test images of each domain (TranslationScores), and
// writes the picture of rows A, G_A(A), G_B(G_A(A)), B, G_B(B),
// G_A(G_B(B)) of the first test images into info.Dir.
func Translation(ab, ba Translator, a, b Domain, info RunInfo, n int, timings io.Writer) (*TranslationReport, error) {
	rep := &TranslationReport{Run: info.Dir, Dataset: info.Dataset, Checkpoint: info.Checkpoint, Step: info.Step,
		Picture: rundir.TranslationFile(info.Checkpoint)}
	dirs, rows, err := directions(ab, ba, a, b, n, timings)
	if err != nil {
		return nil, err
	}
	rep.Directions = dirs
	cols, s := rows[0].Dim(0), rows[0].Shape()
	for _, r := range rows {
		cols = min(cols, r.Dim(0))
	}
	all := tensor.New(len(rows)*cols, s[1], s[2], s[3])
	m := cols * rows[0].Len() / rows[0].Dim(0)
	for i, r := range rows {
		copy(all.Data()[i*m:(i+1)*m], r.Data()[:m])
	}
	if err := images.WritePNG(filepath.Join(info.Dir, rep.Picture), images.Grid(all, cols, 2)); err != nil {
		return nil, err
	}
	return rep, nil
}

// TranslationScores measures the translators ab (A to B) and ba (B to A)
// on the first n test images of each domain: the directions a2b and b2a,
// as Translation reports them (the evaluation during training).
func TranslationScores(ab, ba Translator, a, b Domain, n int) ([]Direction, error) {
	dirs, _, err := directions(ab, ba, a, b, n, io.Discard)
	return dirs, err
}

// directions measures both directions and returns the picture's rows of
// each: inputs, translations and reconstructions.
func directions(ab, ba Translator, a, b Domain, n int, timings io.Writer) ([]Direction, []*tensor.Tensor, error) {
	var dirs []Direction
	var rows []*tensor.Tensor
	for _, d := range []struct {
		name     string
		src, dst Domain
		g, f     Translator
	}{{"a2b", a, b, ab, ba}, {"b2a", b, a, ba, ab}} {
		dir, pic, err := direction(d.name, d.src, d.dst, d.g, d.f, n, timings)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", d.name, err)
		}
		dirs = append(dirs, dir)
		rows = append(rows, pic...)
	}
	return dirs, rows, nil
}

// direction measures g, translating the first n test images of src into
// dst, and f, translating them back; it returns the measurement and the
// picture's rows: inputs, translations and reconstructions.
func direction(name string, src, dst Domain, g, f Translator, n int, timings io.Writer) (Direction, []*tensor.Tensor, error) {
	test := src.Test.Head(n)
	d := Direction{Direction: name, Source: src.Name, Target: dst.Name, Images: test.N}
	x := classifier.Images(test)
	start := time.Now()
	y, err := g.SampleAll(flat(x), nil)
	if err != nil {
		return d, nil, err
	}
	back, err := f.SampleAll(flat(y), nil)
	if err != nil {
		return d, nil, err
	}
	fmt.Fprintf(timings, "nash: %s: translated and reconstructed %d images in %.1fs\n", name, test.N, time.Since(start).Seconds())
	var sum float64
	for i, v := range back.Data() {
		sum += math.Abs(float64(v - x.Data()[i]))
	}
	d.CycleL1 = sum / float64(back.Len())
	k := min(pictureColumns, test.N)
	pic := []*tensor.Tensor{firstImages(x, k), firstImages(y, k), firstImages(back, k)}
	if dst.Model == nil {
		return d, pic, nil
	}
	d.FeatureNetwork = Describe(dst.Model)
	score := func(ds *data.Dataset) (*classifier.Output, error) {
		return classifier.Extract(dst.Model.Net, classifier.Images(data.GreyCentre(ds, classifier.Side)))
	}
	real := dst.Test.Head(n)
	floor := dst.Train.Head(real.N)
	var out [4]*classifier.Output
	for i, ds := range []*data.Dataset{asDataset(y, test), test, real, floor} {
		if out[i], err = score(ds); err != nil {
			return d, nil, err
		}
	}
	outT, outS, outR, outF := out[0], out[1], out[2], out[3]
	for _, a := range []struct {
		dst    **float64
		out    *classifier.Output
		labels []uint8
	}{{&d.Accuracy, outT, test.Labels}, {&d.SourceOnly, outS, test.Labels}, {&d.TargetOnly, outR, real.Labels}} {
		if *a.dst, err = accuracy(a.out, a.labels); err != nil {
			return d, nil, err
		}
	}
	if d.FID, err = fid(outR, outT); err != nil {
		return d, nil, err
	}
	if d.FIDFloor, err = fid(outR, outF); err != nil {
		return d, nil, err
	}
	return d, pic, nil
}

// flat returns x [n, …] as [n, rest].
func flat(x *tensor.Tensor) *tensor.Tensor { return x.Reshape(x.Dim(0), x.Len()/x.Dim(0)) }

// asDataset returns the images y [n, C, H, W] as a dataset of bytes, as
// they would be written, with like's labels.
func asDataset(y *tensor.Tensor, like *data.Dataset) *data.Dataset {
	out := *like
	s := y.Shape()
	out.C, out.H, out.W = s[1], s[2], s[3]
	out.Pixels = make([]uint8, y.Len())
	for i, v := range y.Data() {
		out.Pixels[i] = images.ToPixel(v)
	}
	return &out
}

// firstImages returns the first k images of x [n, C, H, W].
func firstImages(x *tensor.Tensor, k int) *tensor.Tensor {
	s := x.Shape()
	m := x.Len() / s[0]
	return tensor.FromSlice(x.Data()[:k*m], k, s[1], s[2], s[3])
}

// accuracy returns the fraction of the network's predictions equal to
// labels (metrics.ClassAccuracy).
func accuracy(out *classifier.Output, labels []uint8) (*float64, error) {
	want := make([]int, len(labels))
	for i, l := range labels {
		want[i] = int(l)
	}
	a, err := metrics.ClassAccuracy(out.Predictions(), want)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// fid returns the FID of the features of fake against real's.
func fid(real, fake *classifier.Output) (*float64, error) {
	r, err := real.FeatureSet("real")
	if err != nil {
		return nil, err
	}
	f, err := fake.FeatureSet("translated")
	if err != nil {
		return nil, err
	}
	v, err := metrics.FID(r, f)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Print writes the report as a table: a row per direction.
func (r *TranslationReport) Print(w io.Writer) error {
	fmt.Fprintf(w, "run %s (%s, checkpoint %s, step %d)\n", r.Run, r.Dataset, r.Checkpoint, r.Step)
	fmt.Fprintf(w, "%-5s %-8s %-8s %7s %10s %12s %12s %8s %10s %9s\n", "dir", "source", "target", "images",
		"accuracy", "source only", "target only", "FID", "FID floor", "cycle L1")
	pct := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f%%", 100**v)
	}
	num := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", *v)
	}
	for _, d := range r.Directions {
		fmt.Fprintf(w, "%-5s %-8s %-8s %7d %10s %12s %12s %8s %10s %9.4f\n", d.Direction, d.Source, d.Target, d.Images,
			pct(d.Accuracy), pct(d.SourceOnly), pct(d.TargetOnly), num(d.FID), num(d.FIDFloor), d.CycleL1)
	}
	for _, d := range r.Directions {
		if d.FeatureNetwork != nil {
			fmt.Fprintf(w, "%s: target classifier %s\n", d.Direction, d.FeatureNetwork.Description)
		}
	}
	_, err := fmt.Fprintf(w, "picture: %s\n", filepath.Join(r.Run, r.Picture))
	return err
}
