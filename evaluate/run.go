package evaluate

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// Memorisation settings: the k-means cells of C_T, the quantile of the
// test images' distances to the training set below which a generated image
// counts as a copy, and the closest pairs drawn.
const (
	memorisationCells = 10
	copyQuantile      = 0.05
	closestPairs      = 8
)

// RunInfo describes the run a generator comes from, for the report.
type RunInfo struct {
	// Dir is the run directory; the memorisation picture is written
	// there.
	Dir string
	// Dataset is the dataset the run trained on.
	Dataset string
	// Checkpoint names the checkpoint evaluated: "last" or "best".
	Checkpoint string
	// Step is the number of training steps behind the weights.
	Step int
	// EMA is whether the generator is the moving average of G.
	EMA bool
	// Truncation describes the truncation of the generator's noise
	// (infer.Truncation), "" for none.
	Truncation string
}

// Reference is what a run's generated images are measured against: the
// feature network and the training and test images of the run's dataset.
type Reference struct {
	Model       *classifier.Model
	Train, Test *data.Dataset
}

// RunOptions are the settings of the evaluation of a run.
type RunOptions struct {
	Options
	// N is the number of generated images, and of real images compared
	// with them.
	N int
	// MemorisationN is the number of generated and of test images whose
	// nearest training image memorisation searches for.
	MemorisationN int
	// Split names the real images compared with: "test" or "train"; the
	// real-data floor takes the other split's.
	Split string
}

// RunReport is eval.json: the generated images against the real ones, and
// the real-data floor, the training set's images against the same real
// images.
type RunReport struct {
	Run            string              `json:"run"`
	Dataset        string              `json:"dataset"`
	Checkpoint     string              `json:"checkpoint"`
	Step           int                 `json:"step"`
	Generator      string              `json:"generator"`
	Truncation     string              `json:"truncation,omitempty"`
	N              int                 `json:"n"`
	Split          string              `json:"split"`
	Seed           uint64              `json:"seed"`
	Time           time.Time           `json:"time"`
	Features       string              `json:"features"`
	FeatureNetwork *FeatureNetwork     `json:"feature_network,omitempty"`
	Generated      Report              `json:"generated"`
	Floor          Report              `json:"floor"`
	Memorisation   *MemorisationReport `json:"memorisation,omitempty"`
}

// MemorisationReport compares how close generated and held-out test images
// lie to the training set.
type MemorisationReport struct {
	Generated int `json:"n_generated"`
	Test      int `json:"n_test"`
	Train     int `json:"n_train"`
	Cells     int `json:"cells"`
	// Feature and Pixel are the statistics in the feature network's space
	// and in pixel space.
	Feature MemorisationSpace `json:"feature"`
	Pixel   MemorisationSpace `json:"pixel"`
	// Picture shows the generated images closest to the training set in
	// pixel space (top row) above their nearest training images.
	Picture string         `json:"picture"`
	Closest []metrics.Pair `json:"closest_pixel"`
}

// MemorisationSpace is memorisation in one space.
type MemorisationSpace struct {
	// CT is Meehan et al.'s statistic over CellsUsed cells: near 0 without
	// copying, −3 and lower when the generator copies.
	CT        float64 `json:"ct"`
	CellsUsed int     `json:"cells_used"`
	// CopyRate is the fraction of generated images closer to the
	// training set than Threshold, the 5% quantile of the test images'
	// distances (about 0.05 without copying).
	CopyRate  float64 `json:"copy_rate"`
	Threshold float64 `json:"copy_threshold"`
	// MedianGenerated and MedianTest are the median distances to the
	// nearest training image.
	MedianGenerated float64 `json:"median_distance_generated"`
	MedianTest      float64 `json:"median_distance_test"`
}

// Run samples o.N images of g and computes the metrics of o against o.N
// images of ref's o.Split split, and the same metrics of as many images of
// the other split (the real-data floor). A dataset with no test split
// (ref.Test nil, a folder of images) gives two disjoint random halves of
// its training images instead, each of at most o.N. With a feature network
// (ref.Model), the feature metrics use its features; without one, mmd and
// c2st use random projections of the pixels (ProjectionFeatures) and only
// NoNetworkMetrics may be asked for. A conditional generator's class
// accuracy is measured when ref's feature network was trained on the run's
// dataset. Memorisation searches ref's whole training set and draws the
// closest pairs into info.Dir (rundir.MemorisationFile of the checkpoint). Run writes how
// long each stage took to timings.
func Run(g Generator, info RunInfo, ref Reference, o RunOptions, timings io.Writer) (*RunReport, error) {
	rep := &RunReport{Run: info.Dir, Dataset: info.Dataset, Checkpoint: info.Checkpoint, Step: info.Step, Generator: "G", N: o.N, Split: o.Split, Seed: o.Seed,
		Time: time.Now().UTC(), Features: ProjectionFeatures}
	if info.EMA {
		rep.Generator = "EMA of G"
	}
	if rep.Truncation = info.Truncation; rep.Truncation != "" {
		rep.Generator += ", noise truncated: " + rep.Truncation
	}
	if ref.Model != nil {
		rep.FeatureNetwork = Describe(ref.Model)
		rep.Features = rep.FeatureNetwork.Description
	} else if bad := NeedNetwork(o.Metrics); len(bad) > 0 {
		return nil, fmt.Errorf("%s: %s need a feature network, and there is none for %s", info.Dir, strings.Join(bad, ", "), info.Dataset)
	}
	if ref.Test == nil && slices.Contains(o.Metrics, "memorisation") {
		return nil, fmt.Errorf("%s: memorisation compares with held-out test images, and %s has none", info.Dir, info.Dataset)
	}
	start := time.Now()
	sets, err := realSets(ref, o)
	if err != nil {
		return nil, err
	}
	if ref.Test == nil {
		rep.Split = "half of train"
	}
	genImages := g.Generate(o.N, o.Seed)
	genName := fmt.Sprintf("%d generated images", o.N)
	var gen, real, floor *Scored
	if ref.Model != nil {
		if gen, err = Score(ref.Model, genName, genImages); err != nil {
			return nil, fmt.Errorf("%s: generated images: %w", info.Dir, err)
		}
		// The requested classes are the feature network's only when it
		// was trained on the run's dataset.
		if labels := g.GenerateLabels(o.N); labels != nil && ref.Model.Dataset == info.Dataset {
			gen.labels = labels
			sets[1].labelled = true
		}
		if real, err = sets[0].score(ref.Model); err != nil {
			return nil, err
		}
		if floor, err = sets[1].score(ref.Model); err != nil {
			return nil, err
		}
	} else {
		if gen, err = project(genName, genImages, o.Seed); err != nil {
			return nil, err
		}
		if real, err = project(sets[0].name, sets[0].images, o.Seed); err != nil {
			return nil, err
		}
		if floor, err = project(sets[1].name, sets[1].images, o.Seed); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(timings, "sampling and features: %.1f s\n", time.Since(start).Seconds())
	if rep.Generated, err = Images(real, gen, o.Options, timings); err != nil {
		return nil, err
	}
	if rep.Floor, err = Images(real, floor, o.Options, io.Discard); err != nil {
		return nil, err
	}
	if err := Pixels(&rep.Generated, sets[0].images, genImages, o.Options, timings); err != nil {
		return nil, err
	}
	if err := Pixels(&rep.Floor, sets[0].images, sets[1].images, o.Options, io.Discard); err != nil {
		return nil, err
	}
	if slices.Contains(o.Metrics, "memorisation") {
		start := time.Now()
		if rep.Memorisation, err = memorisation(info, ref, genImages, gen, o); err != nil {
			return nil, err
		}
		fmt.Fprintf(timings, "memorisation: %.1f s\n", time.Since(start).Seconds())
	}
	return rep, nil
}

// realSet is a subset of a dataset's images compared with generated ones.
type realSet struct {
	name   string
	ds     *data.Dataset
	idx    []int
	images *tensor.Tensor
	// labelled is set when the set's labels are compared with the
	// feature network's classes (the floor of a conditional run).
	labelled bool
}

// realSets returns the real images that generated ones are compared with
// and the real-data floor's: o.N images of the o.Split split and of the
// other, or two disjoint halves of the training images when ref has no
// test split.
func realSets(ref Reference, o RunOptions) ([2]*realSet, error) {
	if ref.Test == nil {
		n := min(o.N, ref.Train.N/2)
		if n < 2 {
			return [2]*realSet{}, fmt.Errorf("%s: %d images, need at least 4 to compare two halves", ref.Train.Name, ref.Train.N)
		}
		idx := randomIndices(ref.Train.N, ref.Train.N, tensor.NewRNG(o.Seed, "eval/real"))
		return [2]*realSet{newRealSet(ref.Train, idx[:n], "first half"), newRealSet(ref.Train, idx[n:2*n], "second half")}, nil
	}
	splits := map[string]*data.Dataset{"train": ref.Train, "test": ref.Test}
	other := map[string]string{"test": "train", "train": "test"}[o.Split]
	real := splits[o.Split]
	floor := splits[other]
	return [2]*realSet{
		newRealSet(real, randomIndices(real.N, o.N, tensor.NewRNG(o.Seed, "eval/real")), real.Split),
		newRealSet(floor, randomIndices(floor.N, o.N, tensor.NewRNG(o.Seed, "eval/floor")), floor.Split),
	}, nil
}

// randomIndices returns n of the indices 0 … total−1 drawn without
// replacement by rng (all of them, in order, if there are no more).
func randomIndices(total, n int, rng *tensor.RNG) []int {
	idx := make([]int, total)
	for i := range idx {
		idx[i] = i
	}
	if total > n {
		rng.Perm(idx)
		idx = idx[:n]
	}
	return idx
}

func newRealSet(ds *data.Dataset, idx []int, part string) *realSet {
	return &realSet{name: fmt.Sprintf("%d %s %s images", len(idx), ds.Name, part), ds: ds, idx: idx, images: pick(ds, idx)}
}

// score passes the set through the feature network of model.
func (r *realSet) score(model *classifier.Model) (*Scored, error) {
	s, err := Score(model, r.name, r.images)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.ds.Name, r.ds.Split, err)
	}
	if r.labelled {
		s.labels = make([]int, len(r.idx))
		for k, i := range r.idx {
			s.labels[k] = int(r.ds.Labels[i])
		}
	}
	return s, nil
}

// project returns the random projections of the images x as a scored set
// without class probabilities.
func project(name string, x *tensor.Tensor, seed uint64) (*Scored, error) {
	f, err := metrics.RandomProjection(name, x, ProjectionDim, seed)
	if err != nil {
		return nil, err
	}
	return &Scored{name: name, features: f}, nil
}

// pick returns the images of ds at idx as [len(idx), C, H, W] in [−1, 1].
func pick(ds *data.Dataset, idx []int) *tensor.Tensor {
	size := ds.ImageSize()
	x := tensor.New(len(idx), ds.C, ds.H, ds.W)
	for k, i := range idx {
		images.ToValues(x.Data()[k*size:(k+1)*size], ds.Image(i))
	}
	return x
}

// pixels returns the first n images of x [N, …] as float64 rows.
func pixels(name string, x *tensor.Tensor, n int) (*metrics.Features, error) {
	d := x.Len() / x.Dim(0)
	v := make([]float64, n*d)
	for i, p := range x.Data()[:n*d] {
		v[i] = float64(p)
	}
	return metrics.NewFeatures(name, v, n, d)
}

// memorisation searches the training set for the nearest image of
// o.MemorisationN generated and o.MemorisationN test images, in feature
// and in pixel space, and draws the closest generated/training pairs into
// the run directory of info.
func memorisation(info RunInfo, ref Reference, genImages *tensor.Tensor, gen *Scored, o RunOptions) (*MemorisationReport, error) {
	trainSet := ref.Train
	nGen := min(o.MemorisationN, gen.features.Len())
	trainImages := classifier.Images(trainSet)
	trainScored, err := Score(ref.Model, fmt.Sprintf("%d %s training images", trainSet.N, trainSet.Name), trainImages)
	if err != nil {
		return nil, err
	}
	testSet := newRealSet(ref.Test, randomIndices(ref.Test.N, o.MemorisationN, tensor.NewRNG(o.Seed, "eval/memorisation")), "test")
	test, err := testSet.score(ref.Model)
	if err != nil {
		return nil, err
	}
	testIdx, testImages := testSet.idx, testSet.images
	rep := &MemorisationReport{Generated: nGen, Test: len(testIdx), Train: trainSet.N, Cells: memorisationCells}
	spaces := []struct {
		name             string
		dst              *MemorisationSpace
		train, test, gen func() (*metrics.Features, error)
	}{
		{"feature", &rep.Feature,
			func() (*metrics.Features, error) { return trainScored.features, nil },
			func() (*metrics.Features, error) { return test.features, nil },
			func() (*metrics.Features, error) { return metrics.Head(gen.features, nGen), nil }},
		{"pixel", &rep.Pixel,
			func() (*metrics.Features, error) { return pixels("training pixels", trainImages, trainSet.N) },
			func() (*metrics.Features, error) { return pixels("test pixels", testImages, len(testIdx)) },
			func() (*metrics.Features, error) { return pixels("generated pixels", genImages, nGen) }},
	}
	var closest []metrics.Pair
	for _, s := range spaces {
		tr, err := s.train()
		if err != nil {
			return nil, err
		}
		te, err := s.test()
		if err != nil {
			return nil, err
		}
		g, err := s.gen()
		if err != nil {
			return nil, err
		}
		m, err := metrics.MemorisationTest(tr, te, g, memorisationCells, tensor.NewRNG(o.Seed, "eval/memorisation/"+s.name))
		if err != nil {
			return nil, fmt.Errorf("memorisation in %s space: %w", s.name, err)
		}
		threshold, rate := m.CopyRate(copyQuantile)
		*s.dst = MemorisationSpace{CT: m.CT, CellsUsed: m.Cells, CopyRate: rate, Threshold: threshold,
			MedianGenerated: median(m.GenDistance), MedianTest: median(m.TestDistance)}
		closest = m.Closest(closestPairs)
	}
	rep.Closest = closest
	pairs := tensor.New(2*len(closest), 1, classifier.Side, classifier.Side)
	size := classifier.Side * classifier.Side
	for k, p := range closest {
		copy(pairs.Data()[k*size:(k+1)*size], genImages.Data()[p.Gen*size:(p.Gen+1)*size])
		copy(pairs.Data()[(len(closest)+k)*size:(len(closest)+k+1)*size], trainImages.Data()[p.Train*size:(p.Train+1)*size])
	}
	rep.Picture = filepath.Join(info.Dir, rundir.MemorisationFile(info.Checkpoint))
	if err := images.WritePNG(rep.Picture, images.Grid(pairs, len(closest), 2)); err != nil {
		return nil, err
	}
	return rep, nil
}

// median returns the median of v (the mean of the middle two for an even
// length).
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Print writes the report as a table: each metric of the generated images
// beside the real-data floor; o gives the settings the lines mention.
func (r *RunReport) Print(w io.Writer, o Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run       %s (%s, %s checkpoint, step %d, %s), %d generated images, seed %d\n", r.Run, r.Dataset, r.Checkpoint, r.Step, r.Generator, r.N, r.Seed)
	fmt.Fprintf(&b, "features  %s\n", r.Features)
	fmt.Fprintf(&b, "real      %s; floor: %s against them\n\n", r.Generated.Real, r.Floor.Fake)
	row := func(name, gen, floor string) { fmt.Fprintf(&b, "%-28s %-24s %s\n", name, gen, floor) }
	row("metric", "generated", "real floor")
	g, f := r.Generated, r.Floor
	if g.FID != nil {
		row("fid", fmt.Sprintf("%.4f", *g.FID), fmt.Sprintf("%.4f", *f.FID))
	}
	if g.KID != nil {
		if m := min(o.KIDSubsetSize, g.NReal, g.NFake); m == g.NReal && m == g.NFake {
			row("kid (one subset: the whole sets)", fmt.Sprintf("%.5f", g.KID.Mean), fmt.Sprintf("%.5f", f.KID.Mean))
		} else {
			row("kid", fmt.Sprintf("%.5f ± %.5f", g.KID.Mean, g.KID.Std), fmt.Sprintf("%.5f ± %.5f", f.KID.Mean, f.KID.Std))
		}
	}
	if g.IS != nil {
		row(fmt.Sprintf("inception score (%d splits)", o.Splits), fmt.Sprintf("%.3f ± %.3f", g.IS.Mean, g.IS.Std), fmt.Sprintf("%.3f ± %.3f", f.IS.Mean, f.IS.Std))
	}
	if g.PRDC != nil {
		for _, m := range []struct {
			name string
			g, f float64
		}{{"precision", g.PRDC.Precision, f.PRDC.Precision}, {"recall", g.PRDC.Recall, f.PRDC.Recall},
			{"density", g.PRDC.Density, f.PRDC.Density}, {"coverage", g.PRDC.Coverage, f.PRDC.Coverage}} {
			row(fmt.Sprintf("%s (k = %d)", m.name, g.K), fmt.Sprintf("%.4f", m.g), fmt.Sprintf("%.4f", m.f))
		}
	}
	if g.MMD != nil {
		row("mmd² (p-value)", fmt.Sprintf("%.5f (p = %.3g)", g.MMD.MMD2, g.MMD.PValue), fmt.Sprintf("%.5f (p = %.3g)", f.MMD.MMD2, f.MMD.PValue))
	}
	if g.C2ST != nil {
		row("c2st accuracy (p-value)", fmt.Sprintf("%.4f (p = %.3g)", g.C2ST.Accuracy, g.C2ST.PValue), fmt.Sprintf("%.4f (p = %.3g)", f.C2ST.Accuracy, f.C2ST.PValue))
	}
	if g.SWD != nil {
		for i, l := range g.SWD.Levels {
			row(fmt.Sprintf("swd ×10³, %d×%d", l.Side, l.Side), fmt.Sprintf("%.3f", 1e3*l.Distance), fmt.Sprintf("%.3f", 1e3*f.SWD.Levels[i].Distance))
		}
		row("swd ×10³, mean", fmt.Sprintf("%.3f", 1e3*g.SWD.Mean), fmt.Sprintf("%.3f", 1e3*f.SWD.Mean))
	}
	if g.MSSSIM != nil {
		row("ms-ssim between images", fmt.Sprintf("%.4f ± %.4f", g.MSSSIM.Fake.Mean, g.MSSSIM.Fake.Std), fmt.Sprintf("%.4f ± %.4f", f.MSSSIM.Fake.Mean, f.MSSSIM.Fake.Std))
	}
	if g.Modes != nil {
		row("classes covered", fmt.Sprintf("%d of %d", g.Modes.Covered, len(g.Modes.Counts)), fmt.Sprintf("%d of %d", f.Modes.Covered, len(f.Modes.Counts)))
		row("class KL to uniform", fmt.Sprintf("%.4f", g.Modes.KL), fmt.Sprintf("%.4f", f.Modes.KL))
		if g.Modes.ClassAccuracy != nil {
			row("class asked for, seen", fmt.Sprintf("%.4f", *g.Modes.ClassAccuracy), fmt.Sprintf("%.4f", *f.Modes.ClassAccuracy))
		}
		row("feature diversity", fmt.Sprintf("%.4f (real %.4f)", g.Modes.Diversity, g.Modes.RealDiversity), fmt.Sprintf("%.4f", f.Modes.Diversity))
		fmt.Fprintf(&b, "class counts                 %v\n", g.Modes.Counts)
	}
	if m := r.Memorisation; m != nil {
		fmt.Fprintf(&b, "\nmemorisation: %d generated and %d test images against %d training images, C_T over %d k-means cells\n",
			m.Generated, m.Test, m.Train, m.Cells)
		for _, s := range []struct {
			name string
			v    MemorisationSpace
		}{{"feature space", m.Feature}, {"pixel space", m.Pixel}} {
			fmt.Fprintf(&b, "  %-14s C_T %.3f (%d cells), copy rate %.4f below the test images' 5%% distance %.4g, median distance generated %.4g, test %.4g\n",
				s.name, s.v.CT, s.v.CellsUsed, s.v.CopyRate, s.v.Threshold, s.v.MedianGenerated, s.v.MedianTest)
		}
		fmt.Fprintf(&b, "  closest generated images (top) and their training images: %s\n", m.Picture)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SampleDataset returns n images of ds drawn without replacement by rng
// (all of them, in order, if ds has no more) as [n, C, H, W] in [−1, 1].
func SampleDataset(ds *data.Dataset, n int, rng *tensor.RNG) *tensor.Tensor {
	return pick(ds, randomIndices(ds.N, n, rng))
}
