package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/train"
)

// runEval runs nash eval with args and returns its standard output.
func runEval(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return execute(newEval(), args...)
}

// evalJSON runs nash eval with args, which ask for --json, and returns the
// report decoded into a T and as printed; it stops the test on an error.
func evalJSON[T any](t *testing.T, args ...string) (T, string) {
	t.Helper()
	var rep T
	out, err := runEval(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	return rep, out
}

func TestEvalJSON(t *testing.T) {
	real := filepath.Join("..", "..", "metrics", "testdata", "real.npy")
	fake := filepath.Join("..", "..", "metrics", "testdata", "fake.npy")
	b, err := os.ReadFile(filepath.Join("..", "..", "metrics", "testdata", "reference.json"))
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
	rep, out := evalJSON[evaluate.Report](t, "--real", real, "--fake", fake, "--k", "3", "--permutations", "100", "--json")
	if rep.FID == nil || rep.KID == nil || rep.PRDC == nil || rep.MMD == nil || rep.C2ST == nil {
		t.Fatalf("missing metrics in %s", out)
	}
	if math.Abs(*rep.FID-ref.FID) > 1e-6*ref.FID || rep.PRDC.Precision != ref.PRDC.Precision || rep.K != 3 {
		t.Errorf("FID %g, precision %g (k = %d); reference %g, %g (k = 3)", *rep.FID, rep.PRDC.Precision, rep.K, ref.FID, ref.PRDC.Precision)
	}
	if rep.NReal != 300 || rep.NFake != 300 || rep.Dim != 40 || rep.MMD.Permutations != 100 {
		t.Errorf("report %s", out)
	}
	// The same seed gives the same numbers; fewer metrics do not change them.
	kidOnly, again := evalJSON[evaluate.Report](t, "--real", real, "--fake", fake, "--metrics", "kid", "--json")
	if kidOnly.FID != nil || kidOnly.KID == nil || *kidOnly.KID != *rep.KID {
		t.Errorf("--metrics kid: %s, after all metrics: %s", again, out)
	}
	text, err := runEval(t, "--real", real, "--fake", fake, "--metrics", "fid,prdc")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "fid   7.24393") || !strings.Contains(text, "coverage 0.9500  (k = 5)") || strings.Contains(text, "kid") {
		t.Errorf("text report:\n%s", text)
	}
}

func TestEvalRejects(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join("..", "..", "metrics", "testdata", "real.npy")
	probs := filepath.Join("..", "..", "metrics", "testdata", "probs.npy")
	notNPY := filepath.Join(dir, "features.npy")
	if err := os.WriteFile(notNPY, []byte("1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	few := filepath.Join(dir, "few.npy")
	f, err := metrics.NewFeatures("few", make([]float64, 50), 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := metrics.WriteNPY(few, f); err != nil {
		t.Fatal(err)
	}
	sized, sizedOK, broken := filepath.Join(dir, "sized"), filepath.Join(dir, "ok"), filepath.Join(dir, "broken")
	for _, d := range []string{sized, sizedOK, broken} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeGrey(t, filepath.Join(sized, "a.png"), 28)
	writeGrey(t, filepath.Join(sized, "b.png"), 32)
	writeGrey(t, filepath.Join(sizedOK, "a.png"), 28)
	writeGrey(t, filepath.Join(sizedOK, "b.png"), 28)
	if err := os.WriteFile(filepath.Join(broken, "x.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no fake", []string{"--real", real}, "--real and --fake are required"},
		{"unknown metric", []string{"--real", real, "--fake", real, "--metrics", "fid,fd"}, `unknown metric "fd"`},
		{"is of features", []string{"--real", real, "--fake", real, "--metrics", "fid,is"}, "is needs images"},
		{"memorisation without a run", []string{"--real", real, "--fake", real, "--metrics", "memorisation"}, "memorisation needs a run's training set"},
		{"features and images", []string{"--real", real, "--fake", dir}, "not one of each"},
		{"differently sized images", []string{"--real", sized, "--fake", sized}, "--real: classifier: " + filepath.Join(sized, "b.png") + " is 32×32, want 28×28"},
		{"unreadable image", []string{"--real", sizedOK, "--fake", broken}, "--fake: classifier: images: " + filepath.Join(broken, "x.png") + " is not a PNG or JPEG image"},
		{"too few images for fid", []string{"--real", sizedOK, "--fake", sizedOK, "--metrics", "fid"}, "metrics: FID: covariance of " + sizedOK + ": 2 samples of dimension 128; need at least 129"},
		{"k", []string{"--real", real, "--fake", real, "--k", "0"}, "--k: must be positive"},
		{"missing file", []string{"--real", real, "--fake", filepath.Join(dir, "none.npy")}, "none.npy"},
		{"not npy", []string{"--real", notNPY, "--fake", real}, "--real: metrics: " + notNPY + ": not a .npy file"},
		{"dimensions", []string{"--real", real, "--fake", probs}, "real.npy has 40 values per sample, " + probs + " has 10"},
		{"too few for fid", []string{"--real", probs, "--fake", few, "--metrics", "fid"}, "metrics: FID: covariance of " + few + ": 5 samples of dimension 10; need at least 11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runEval(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestEvalRunModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "toy")
	cfg := train.DefaultConfig()
	cfg.Dataset, cfg.Steps, cfg.Batch, cfg.SampleEvery = "ring8", 5, 32, 5
	if err := train.Run(context.Background(), cfg, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := newEval()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--run", dir, "--metrics", "modes", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Modes, Of, N int
		Counts       []int
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Of != 8 || rep.N != 2500 || len(rep.Counts) != 8 || rep.Modes < 0 || rep.Modes > 8 {
		t.Fatalf("report %+v", rep)
	}
	cmd = newEval()
	cmd.SetOut(io.Discard)
	cmd.SetArgs([]string{"--run", dir, "--metrics", "fid"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--metrics") {
		t.Fatalf("--run with --metrics fid: error %v", err)
	}
}

// writeGrey writes a side×side grey PNG with a gradient.
func writeGrey(t *testing.T, path string, side int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	writePNGFile(t, path, img)
}

func writePNGFile(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := images.WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

// writeDigits writes n images of the embedded MNIST split as PNG files
// into a new folder dir.
func writeDigits(t *testing.T, dir, split string, n int) {
	t.Helper()
	ds, err := data.Load("mnist", "", split)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, ds.W, ds.H))
		copy(img.Pix, ds.Image(i))
		writePNGFile(t, filepath.Join(dir, fmt.Sprintf("%05d.png", i)), img)
	}
}

// TestEvalImageFolders compares two folders of real digits: the feature
// network scores them, the report names it, and two samples of real
// digits are close.
func TestEvalImageFolders(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "test"), filepath.Join(dir, "train")
	writeDigits(t, a, "test", 300)
	writeDigits(t, b, "train", 300)
	out, err := runEval(t, "--real", a, "--fake", b, "--json", "--permutations", "50")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		evaluate.Report
		FeatureNetwork evaluate.FeatureNetwork `json:"feature_network"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	m, err := classifier.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	if rep.FeatureNetwork.SHA256 != m.SHA256 || rep.NReal != 300 || rep.NFake != 300 || rep.Dim != classifier.FeatureDim {
		t.Fatalf("report %s", out)
	}
	if rep.FID == nil || rep.IS == nil || rep.Modes == nil || rep.PRDC == nil || rep.KID == nil {
		t.Fatalf("missing metrics in %s", out)
	}
	// Real digits: most classes present, a confident classifier, and two
	// samples of the same distribution cannot be told apart reliably.
	if rep.Modes.Covered != 10 || rep.IS.Mean < 5 || rep.PRDC.Precision < 0.5 || rep.C2ST.Accuracy > 0.75 {
		t.Errorf("real against real: %s", out)
	}
	// The same folder against itself: FID 0.
	selfRep, self := evalJSON[evaluate.Report](t, "--real", a, "--fake", a, "--metrics", "fid", "--json")
	if selfRep.FID == nil || math.Abs(*selfRep.FID) > 1e-9 {
		t.Errorf("FID of a folder against itself: %s", self)
	}
}

// TestEvalRunImages evaluates a short MNIST run: eval.json in the run, the
// generated images against the test set and the real-data floor, and
// memorisation against the whole training set.
func TestEvalRunImages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "digits")
	cfg := train.DefaultConfig()
	cfg.Steps, cfg.Batch, cfg.EvalEvery = 3, 16, -1
	if err := train.Run(context.Background(), cfg, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	rep, out := evalJSON[evaluate.RunReport](t, "--run", dir, "--n", "200", "--metrics", "fid,kid,is,prdc,c2st,modes", "--json", "--seed", "3")
	b, err := os.ReadFile(filepath.Join(dir, rundir.EvalFile("last")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(b)) != strings.TrimSpace(out) {
		t.Error("eval-last.json differs from the printed report")
	}
	g, f := rep.Generated, rep.Floor
	if rep.Checkpoint != "last" || rep.Step != 3 || rep.N != 200 || rep.Split != "test" || g.NFake != 200 || g.NReal != 200 || f.NFake != 200 || rep.FeatureNetwork == nil {
		t.Fatalf("report %s", out)
	}
	if g.FID == nil || f.FID == nil || g.IS == nil || f.IS == nil || g.Modes == nil || g.C2ST == nil {
		t.Fatalf("missing metrics: %s", out)
	}
	if g.Modes.ClassAccuracy != nil || f.Modes.ClassAccuracy != nil {
		t.Errorf("class accuracy for an unconditional run: %s", out)
	}
	// Three steps of training make noise: far from the real digits, which
	// the floor (training digits against test digits) is close to.
	if !(*g.FID > 10**f.FID) || !(g.C2ST.Accuracy > 0.9) || !(f.IS.Mean > g.IS.Mean) {
		t.Errorf("generated FID %g, floor %g; C2ST %g; IS %g, floor %g", *g.FID, *f.FID, g.C2ST.Accuracy, g.IS.Mean, f.IS.Mean)
	}
	// Memorisation: 200 generated and 200 test images against all 60,000
	// training digits. Three steps of training make noise, which lies
	// farther from the training digits than the test digits do: no copies,
	// and C_T above the one-sided 2.5% level of 1.96.
	memRep, out := evalJSON[evaluate.RunReport](t, "--run", dir, "--n", "200", "--metrics", "memorisation", "--memorisation-n", "200", "--json")
	mem := memRep.Memorisation
	if mem == nil || mem.Generated != 200 || mem.Test != 200 || mem.Train != 60000 || len(mem.Closest) != 8 {
		t.Fatalf("memorisation report %s", out)
	}
	for name, sp := range map[string]evaluate.MemorisationSpace{"feature": mem.Feature, "pixel": mem.Pixel} {
		if !(sp.CT > 1.96) || sp.CopyRate != 0 || !(sp.MedianGenerated > sp.MedianTest) {
			t.Errorf("%s space: C_T %g, copy rate %g, median distances %g (generated) and %g (test); want noise far from the training set",
				name, sp.CT, sp.CopyRate, sp.MedianGenerated, sp.MedianTest)
		}
	}
	picFile, err := os.Open(mem.Picture)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := png.DecodeConfig(picFile)
	picFile.Close()
	if err != nil || mem.Picture != filepath.Join(dir, rundir.MemorisationFile("last")) || pic.Width != 8*28+9*2 || pic.Height != 2*28+3*2 {
		t.Errorf("memorisation picture %s: %v, %d×%d; want two rows of eight digits", mem.Picture, err, pic.Width, pic.Height)
	}
	text, err := runEval(t, "--run", dir, "--n", "200", "--metrics", "fid,modes", "--seed", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"real floor", "fid", "classes covered", "sha256:" + rep.FeatureNetwork.SHA256} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	if _, err := runEval(t, "--run", dir, "--split", "validation"); err == nil || !strings.Contains(err.Error(), "--split") {
		t.Errorf("--split validation: error %v", err)
	}
	// The run was not evaluated during training, so it has no best checkpoint.
	best := filepath.Join(dir, "checkpoints", "best.safetensors")
	if _, err := runEval(t, "--run", dir, "--checkpoint", "best"); err == nil || !strings.Contains(err.Error(), best) {
		t.Errorf("--checkpoint best without best.safetensors: error %v, want one naming %s", err, best)
	}
	if _, err := runEval(t, "--run", dir, "--checkpoint", "first"); err == nil || !strings.Contains(err.Error(), "--checkpoint") {
		t.Errorf("--checkpoint first: error %v", err)
	}
}

// TestEvalRunConditional checks the class accuracy of a conditional run:
// two steps of training cannot draw the classes asked for, while the
// feature network sees the labelled training digits of the floor as their
// labels almost always.
func TestEvalRunConditional(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cond")
	cfg := train.DefaultConfig()
	cfg.Steps, cfg.Batch, cfg.EvalEvery, cfg.Conditional = 2, 8, -1, true
	if err := train.Run(context.Background(), cfg, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	rep, out := evalJSON[evaluate.RunReport](t, "--run", dir, "--n", "200", "--metrics", "modes", "--json")
	g, f := rep.Generated.Modes, rep.Floor.Modes
	if g == nil || f == nil || g.ClassAccuracy == nil || f.ClassAccuracy == nil {
		t.Fatalf("no class accuracy in %s", out)
	}
	if !(*g.ClassAccuracy < 0.5) || !(*f.ClassAccuracy > 0.97) {
		t.Errorf("class accuracy %g (generated), %g (floor); want below 0.5 and above 0.97", *g.ClassAccuracy, *f.ClassAccuracy)
	}
	text, err := runEval(t, "--run", dir, "--n", "200", "--metrics", "modes")
	if err != nil || !strings.Contains(text, "class asked for, seen") {
		t.Errorf("table lacks the class accuracy (%v):\n%s", err, text)
	}
}

// writeBlobs writes n 36×36 RGB images of smooth colour blobs into a new
// folder dir: real images with structure that noise lacks.
func writeBlobs(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(1, "blobs")
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 36, 36))
		cx, cy, r := 8+rng.Float64()*20, 8+rng.Float64()*20, 4+rng.Float64()*8
		col := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
		for y := range 36 {
			for x := range 36 {
				d := math.Hypot(float64(x)-cx, float64(y)-cy)
				v := math.Exp(-d * d / (2 * r * r))
				img.Set(x, y, color.RGBA{R: uint8(255 * v * col[0]), G: uint8(255 * v * col[1]), B: uint8(255 * v * col[2]), A: 255})
			}
		}
		writePNGFile(t, filepath.Join(dir, fmt.Sprintf("%03d.png", i)), img)
	}
}

// TestEvalRunFolder evaluates a run on a folder of the user's RGB images,
// which no feature network scores: the sliced Wasserstein distance and
// MS-SSIM on the pixels, and the two-sample tests on random projections,
// each beside the floor of two disjoint halves of the folder.
func TestEvalRunFolder(t *testing.T) {
	root := t.TempDir()
	blobs := filepath.Join(root, "blobs")
	writeBlobs(t, blobs, 80)
	dir := filepath.Join(root, "run")
	cfg := train.DefaultConfig()
	cfg.Dataset, cfg.Data, cfg.ImageSize = "folder", blobs, 32
	cfg.Steps, cfg.Batch, cfg.EvalEvery = 2, 16, 1
	if err := train.Run(context.Background(), cfg, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	rep, out := evalJSON[evaluate.RunReport](t, "--run", dir, "--n", "40", "--json", "--max-samples", "40", "--permutations", "100")
	g, f := rep.Generated, rep.Floor
	if rep.FeatureNetwork != nil || rep.Features != evaluate.ProjectionFeatures || g.NReal != 40 || f.NFake != 40 || g.Dim != evaluate.ProjectionDim {
		t.Fatalf("report %s", out)
	}
	if g.SWD == nil || f.SWD == nil || g.MSSSIM == nil || g.MMD == nil || g.C2ST == nil || g.FID != nil {
		t.Fatalf("want swd, ms-ssim, mmd and c2st only: %s", out)
	}
	if len(g.SWD.Levels) != 2 || g.SWD.Levels[0].Side != 32 || g.SWD.Levels[1].Side != 16 {
		t.Errorf("SWD levels %+v, want 32×32 and 16×16", g.SWD.Levels)
	}
	// Two steps of training leave the generator near its start: images
	// far from the blobs, whose two halves are close, and far more alike
	// than the blobs are.
	if !(g.SWD.Mean > 3*f.SWD.Mean) || !(g.C2ST.Accuracy > 0.9) || !(g.MSSSIM.Fake.Mean > 2*f.MSSSIM.Fake.Mean) {
		t.Errorf("SWD %g, floor %g; C2ST %g; MS-SSIM %g, floor %g", g.SWD.Mean, f.SWD.Mean, g.C2ST.Accuracy, g.MSSSIM.Fake.Mean, f.MSSSIM.Fake.Mean)
	}
	var text bytes.Buffer
	if err := rep.Print(&text, evaluate.Options{}); err != nil || !strings.Contains(text.String(), "swd ×10³, 32×32") || !strings.Contains(text.String(), "ms-ssim") {
		t.Errorf("printed report: %v\n%s", err, text.String())
	}
	_, err := execute(newEval(), "--run", dir, "--metrics", "fid")
	if err == nil || !strings.Contains(err.Error(), "fid need a feature network") {
		t.Errorf("fid on a folder run: %v", err)
	}

	// The best checkpoint's evaluation has a file of its own, and leaves
	// the last one's, with more metrics, as it was; both are in the
	// history.
	best, _ := evalJSON[evaluate.RunReport](t, "--run", dir, "--checkpoint", "best", "--n", "40", "--metrics", "swd", "--json", "--max-samples", "40")
	if best.Checkpoint != "best" || best.Generated.SWD == nil || best.Generated.MSSSIM != nil {
		t.Errorf("best checkpoint's report: %+v", best)
	}
	var last evaluate.RunReport
	if b, err := os.ReadFile(filepath.Join(dir, rundir.EvalFile("last"))); err != nil || json.Unmarshal(b, &last) != nil || last.Generated.MSSSIM == nil || last.Checkpoint != "last" {
		t.Errorf("eval-last.json after evaluating best: %v %+v", err, last)
	}
	history, err := os.ReadFile(filepath.Join(dir, rundir.EvalHistoryFile))
	if lines := strings.Split(strings.TrimSpace(string(history)), "\n"); err != nil || len(lines) != 2 ||
		!strings.Contains(lines[0], `"checkpoint":"last"`) || !strings.Contains(lines[1], `"checkpoint":"best"`) {
		t.Errorf("evals.jsonl: %v\n%s", err, history)
	}
}

// TestEvalImageFoldersOnPixels compares folders of 36×36 colour images,
// which the feature network does not take: by default on their pixels
// (SWD, MS-SSIM, and MMD and C2ST on random projections), and a metric
// that needs the network is refused, naming it.
func TestEvalImageFoldersOnPixels(t *testing.T) {
	root := t.TempDir()
	blobs, noise := filepath.Join(root, "blobs"), filepath.Join(root, "noise")
	writeBlobs(t, blobs, 60)
	if err := os.Mkdir(noise, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(2, "noise")
	for i := range 60 {
		img := image.NewRGBA(image.Rect(0, 0, 36, 36))
		for p := range img.Pix {
			img.Pix[p] = uint8(rng.IntN(256))
		}
		writePNGFile(t, filepath.Join(noise, fmt.Sprintf("%03d.png", i)), img)
	}
	self, out := evalJSON[evaluate.Report](t, "--real", blobs, "--fake", blobs, "--json", "--permutations", "50")
	if self.SWD == nil || self.MSSSIM == nil || self.MMD == nil || self.C2ST == nil || self.FID != nil || self.Dim != evaluate.ProjectionDim {
		t.Fatalf("pixel metrics of a folder against itself: %s", out)
	}
	other, out := evalJSON[evaluate.Report](t, "--real", blobs, "--fake", noise, "--json", "--permutations", "50")
	if !(other.SWD.Mean > 10*self.SWD.Mean) || !(other.MMD.PValue < 0.05) || !(other.MSSSIM.Fake.Mean < other.MSSSIM.Real.Mean) {
		t.Errorf("blobs against noise: SWD %g (itself %g), MMD p %g, MS-SSIM noise %g, blobs %g", other.SWD.Mean, self.SWD.Mean, other.MMD.PValue, other.MSSSIM.Fake.Mean, other.MSSSIM.Real.Mean)
	}
	if _, err := execute(newEval(), "--real", blobs, "--fake", noise, "--metrics", "fid"); err == nil || !strings.Contains(err.Error(), "fid need a feature network") {
		t.Errorf("fid of 36×36 images: %v", err)
	}
	small, _ := evalJSON[evaluate.Report](t, "--real", blobs, "--fake", noise, "--json", "--image-size", "16", "--metrics", "swd")
	if small.SWD == nil || small.SWD.Levels[0].Side != 16 {
		t.Errorf("--image-size 16: %+v", small.SWD)
	}
}
