package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/train"
)

// Memorisation settings: the k-means cells of C_T, the quantile of the
// test images' distances to the training set below which a generated image
// counts as a copy, and the closest pairs drawn.
const (
	memorisationCells = 10
	copyQuantile      = 0.05
	closestPairs      = 8
)

// runOptions are the settings of nash eval --run.
type runOptions struct {
	evalOptions
	n, memN           int
	split, classifier string
	checkpoint        string
	metricsChanged    bool
	asJSON            bool
}

// runReport is eval.json: the generated images against the real ones, and
// the real-data floor, the training set's images against the same real
// images.
type runReport struct {
	Run            string              `json:"run"`
	Dataset        string              `json:"dataset"`
	Checkpoint     string              `json:"checkpoint"`
	Step           int                 `json:"step"`
	Generator      string              `json:"generator"`
	N              int                 `json:"n"`
	Split          string              `json:"split"`
	Seed           uint64              `json:"seed"`
	Time           time.Time           `json:"time"`
	FeatureNetwork *featureNetwork     `json:"feature_network"`
	Generated      evalReport          `json:"generated"`
	Floor          evalReport          `json:"floor"`
	Memorisation   *memorisationReport `json:"memorisation,omitempty"`
}

// memorisationReport compares how close generated and held-out test images
// lie to the training set.
type memorisationReport struct {
	Generated int `json:"n_generated"`
	Test      int `json:"n_test"`
	Train     int `json:"n_train"`
	Cells     int `json:"cells"`
	// Feature and Pixel are the statistics in the feature network's space
	// and in pixel space.
	Feature memorisationSpace `json:"feature"`
	Pixel   memorisationSpace `json:"pixel"`
	// Picture shows the generated images closest to the training set in
	// pixel space (top row) above their nearest training images.
	Picture string         `json:"picture"`
	Closest []metrics.Pair `json:"closest_pixel"`
}

// memorisationSpace is memorisation in one space.
type memorisationSpace struct {
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

// evalRun evaluates the generator of the run in dir.
func evalRun(cmd *cobra.Command, dir string, o runOptions) error {
	if o.checkpoint != "last" && o.checkpoint != "best" {
		return fmt.Errorf("--checkpoint: %q, want last or best", o.checkpoint)
	}
	t, err := train.LoadRunCheckpoint(dir, o.checkpoint)
	if err != nil {
		return err
	}
	if t.Shape == (train.Shape{C: 1, H: 1, W: 2}) {
		if o.metricsChanged && !slices.Equal(o.metrics, []string{"modes"}) {
			return fmt.Errorf("--metrics: a run on a 2-D mixture is measured by modes; got %v", o.metrics)
		}
		if o.n == 0 {
			o.n = 2500
		}
		if o.n < 1 {
			return fmt.Errorf("--n: must be positive, got %d", o.n)
		}
		return evalToy(cmd, dir, t, o.n, o.seed, o.asJSON)
	}
	if !train.EvalSupported(t.Config.Dataset, t.Shape) && o.classifier == "" {
		return fmt.Errorf("--run %s: nash eval measures runs on mnist or fashion-mnist (1×28×28) and 2-D mixtures; this run trained on %s, %d×%d×%d",
			dir, t.Config.Dataset, t.Shape.C, t.Shape.H, t.Shape.W)
	}
	if o.n == 0 {
		o.n = 10000
	}
	if o.n < 2 || o.memN < 1 {
		return fmt.Errorf("--n %d and --memorisation-n %d: want at least 2 and 1", o.n, o.memN)
	}
	if o.split != "test" && o.split != "train" {
		return fmt.Errorf("--split: %q, want test or train", o.split)
	}
	net := o.classifier
	if net == "" {
		net = t.Config.Dataset
	}
	model, err := loadClassifier(net)
	if err != nil {
		return err
	}
	rep, err := measureRun(dir, t, model, o, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", rundir.EvalFile, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, rundir.EvalFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if o.asJSON {
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
		return err
	}
	return rep.print(cmd.OutOrStdout(), o.evalOptions)
}

// measureRun samples the generator and computes the metrics of o.
func measureRun(dir string, t *train.Trained, model *classifier.Model, o runOptions, timings io.Writer) (*runReport, error) {
	cfg := t.Config
	rep := &runReport{Run: dir, Dataset: cfg.Dataset, Checkpoint: o.checkpoint, Step: t.Step, Generator: "G", N: o.n, Split: o.split, Seed: o.seed,
		Time: time.Now().UTC(), FeatureNetwork: describe(model)}
	if t.GAN.GEMA != nil {
		rep.Generator = "EMA of G"
	}
	start := time.Now()
	genImages := t.Generate(o.n, o.seed)
	gen, err := score(model, fmt.Sprintf("%d generated images", o.n), genImages)
	if err != nil {
		return nil, fmt.Errorf("--run %s: generated images: %w", dir, err)
	}
	// The requested classes are the feature network's only when it was
	// trained on the run's dataset.
	classAccuracy := t.GAN.Classes > 0 && model.Dataset == cfg.Dataset
	if classAccuracy {
		gen.labels = t.GenerateLabels(o.n)
	}
	splits := map[string]*data.Dataset{}
	for _, s := range []string{"train", "test"} {
		if splits[s], err = data.Load(cfg.Dataset, cfg.Data, s); err != nil {
			return nil, err
		}
	}
	other := map[string]string{"test": "train", "train": "test"}[o.split]
	real, _, err := scoreSubset(model, splits[o.split], o.n, tensor.NewRNG(o.seed, "eval/real"))
	if err != nil {
		return nil, err
	}
	floor, floorIdx, err := scoreSubset(model, splits[other], o.n, tensor.NewRNG(o.seed, "eval/floor"))
	if err != nil {
		return nil, err
	}
	if classAccuracy {
		floor.labels = make([]int, len(floorIdx))
		for k, i := range floorIdx {
			floor.labels[k] = int(splits[other].Labels[i])
		}
	}
	fmt.Fprintf(timings, "sampling and features: %.1f s\n", time.Since(start).Seconds())
	if rep.Generated, err = evaluateImages(real, gen, o.evalOptions, timings); err != nil {
		return nil, err
	}
	if rep.Floor, err = evaluateImages(real, floor, o.evalOptions, io.Discard); err != nil {
		return nil, err
	}
	if slices.Contains(o.metrics, "memorisation") {
		start := time.Now()
		if rep.Memorisation, err = memorisation(dir, model, splits["train"], splits["test"], genImages, gen, o); err != nil {
			return nil, err
		}
		fmt.Fprintf(timings, "memorisation: %.1f s\n", time.Since(start).Seconds())
	}
	return rep, nil
}

// scoreSubset scores n images of ds drawn without replacement by rng (all
// of them, in order, if ds has no more), returning also their indices.
func scoreSubset(model *classifier.Model, ds *data.Dataset, n int, rng *tensor.RNG) (*scored, []int, error) {
	idx := make([]int, ds.N)
	for i := range idx {
		idx[i] = i
	}
	if ds.N > n {
		rng.Perm(idx)
		idx = idx[:n]
	}
	x := pick(ds, idx)
	s, err := score(model, fmt.Sprintf("%d %s %s images", len(idx), ds.Name, ds.Split), x)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", ds.Name, ds.Split, err)
	}
	return s, idx, nil
}

// pick returns the images of ds at idx as [len(idx), 1, 28, 28] in [−1, 1].
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
// o.memN generated and o.memN test images, in feature and in pixel space,
// and draws the closest generated/training pairs into the run.
func memorisation(dir string, model *classifier.Model, trainSet, testSet *data.Dataset, genImages *tensor.Tensor, gen *scored, o runOptions) (*memorisationReport, error) {
	nGen := min(o.memN, gen.features.Len())
	trainImages := classifier.Images(trainSet)
	trainScored, err := score(model, fmt.Sprintf("%d %s training images", trainSet.N, trainSet.Name), trainImages)
	if err != nil {
		return nil, err
	}
	test, testIdx, err := scoreSubset(model, testSet, o.memN, tensor.NewRNG(o.seed, "eval/memorisation"))
	if err != nil {
		return nil, err
	}
	testImages := pick(testSet, testIdx)
	rep := &memorisationReport{Generated: nGen, Test: len(testIdx), Train: trainSet.N, Cells: memorisationCells}
	spaces := []struct {
		name             string
		dst              *memorisationSpace
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
		m, err := metrics.MemorisationTest(tr, te, g, memorisationCells, tensor.NewRNG(o.seed, "eval/memorisation/"+s.name))
		if err != nil {
			return nil, fmt.Errorf("memorisation in %s space: %w", s.name, err)
		}
		threshold, rate := m.CopyRate(copyQuantile)
		*s.dst = memorisationSpace{CT: m.CT, CellsUsed: m.Cells, CopyRate: rate, Threshold: threshold,
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
	rep.Picture = filepath.Join(dir, rundir.MemorisationFile)
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

// print writes the report as a table: each metric of the generated images
// beside the real-data floor.
func (r *runReport) print(w io.Writer, o evalOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run       %s (%s, %s checkpoint, step %d, %s), %d generated images, seed %d\n", r.Run, r.Dataset, r.Checkpoint, r.Step, r.Generator, r.N, r.Seed)
	fmt.Fprintf(&b, "features  %s\n", r.FeatureNetwork.Description)
	fmt.Fprintf(&b, "real      %s; floor: %s against them\n\n", r.Generated.Real, r.Floor.Fake)
	row := func(name, gen, floor string) { fmt.Fprintf(&b, "%-28s %-24s %s\n", name, gen, floor) }
	row("metric", "generated", "real floor")
	g, f := r.Generated, r.Floor
	if g.FID != nil {
		row("fid", fmt.Sprintf("%.4f", *g.FID), fmt.Sprintf("%.4f", *f.FID))
	}
	if g.KID != nil {
		row("kid", fmt.Sprintf("%.5f ± %.5f", g.KID.Mean, g.KID.Std), fmt.Sprintf("%.5f ± %.5f", f.KID.Mean, f.KID.Std))
	}
	if g.IS != nil {
		row(fmt.Sprintf("inception score (%d splits)", o.splits), fmt.Sprintf("%.3f ± %.3f", g.IS.Mean, g.IS.Std), fmt.Sprintf("%.3f ± %.3f", f.IS.Mean, f.IS.Std))
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
			v    memorisationSpace
		}{{"feature space", m.Feature}, {"pixel space", m.Pixel}} {
			fmt.Fprintf(&b, "  %-14s C_T %.3f (%d cells), copy rate %.4f below the test images' 5%% distance %.4g, median distance generated %.4g, test %.4g\n",
				s.name, s.v.CT, s.v.CellsUsed, s.v.CopyRate, s.v.Threshold, s.v.MedianGenerated, s.v.MedianTest)
		}
		fmt.Fprintf(&b, "  closest generated images (top) and their training images: %s\n", m.Picture)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
