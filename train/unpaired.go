package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// unpairedSource serves a translation run's batches: images of A (the
// batch's X) and as many of B (its Y), each domain shuffled on its own,
// each image cropped at random from load_size to image_size and flipped
// horizontally with probability ½ unless no_flip, as the reference's
// transforms do. An epoch is as many steps as the larger domain has
// batches.
type unpairedSource struct {
	a, b       *data.Loader
	load, crop int
	channels   int
	flip       bool
	batch      int
	perEpoch   int
	// rng draws the crops and flips; steps counts the batches served.
	rng   *tensor.RNG
	steps int
	// one holds an image at load size; y the batch of B.
	one, y *tensor.Tensor
	// testA and testB are the images of the sample pictures, [n, C·H·W].
	testA, testB *tensor.Tensor
}

// pictureImages is the number of test images of each domain in a
// translation run's sample picture.
const pictureImages = 8

// openUnpaired returns the source of cfg's translation dataset.
func openUnpaired(cfg Config, log io.Writer, rng *tensor.RNG) (*unpairedSource, error) {
	crop := cfg.ImageSize
	if crop == 0 && cfg.Dataset == "folder" {
		crop = defaultFolderSize
	}
	load := max(cfg.LoadSize, crop)
	d, err := data.LoadDomains(cfg.Dataset, cfg.Data, cfg.DataA, cfg.DataB, "train", load)
	if err != nil {
		return nil, err
	}
	for _, ds := range []*data.Dataset{d.A, d.B} {
		for _, note := range ds.Notes {
			fmt.Fprintf(log, "nash: warning: %s\n", note)
		}
	}
	if crop == 0 {
		crop = d.A.H
	}
	shape := models.Shape{C: d.A.C, H: crop, W: crop}
	if err := models.CheckCycleGAN(shape, cfg.cycleSpec()); err != nil {
		return nil, err
	}
	if cfg.Batch > min(d.A.N, d.B.N) {
		return nil, fmt.Errorf("batch: %d is more than the %d images of domain A or the %d of domain B", cfg.Batch, d.A.N, d.B.N)
	}
	s := &unpairedSource{
		a: data.NewLoader(d.A, 1, rng), b: data.NewLoader(d.B, 1, tensor.NewRNG(cfg.Seed, "data B")),
		load: d.A.H, crop: crop, channels: d.A.C, flip: !cfg.NoFlip, batch: cfg.Batch,
		perEpoch: (max(d.A.N, d.B.N) + cfg.Batch - 1) / cfg.Batch, rng: tensor.NewRNG(cfg.Seed, "augment"),
		one: tensor.New(1, d.A.ImageSize()), y: tensor.New(cfg.Batch, shape.Len()),
	}
	test, err := data.LoadDomains(cfg.Dataset, cfg.Data, cfg.DataA, cfg.DataB, "test", load)
	if errors.Is(err, data.ErrNoTestSplit) {
		test, err = d, nil
	}
	if err != nil {
		return nil, err
	}
	s.testA, s.testB = centreImages(test.A, pictureImages, crop), centreImages(test.B, pictureImages, crop)
	return s, nil
}

// centreImages returns the first n images of ds (fewer if it has fewer),
// cut to their centre side×side square, as values [n, C·side·side].
func centreImages(ds *data.Dataset, n, side int) *tensor.Tensor {
	n = min(n, ds.N)
	c := ds.C
	out := tensor.New(n, c*side*side)
	one := make([]float32, ds.ImageSize())
	for i := range n {
		images.ToValues(one, ds.Image(i))
		cropInto(out.Data()[i*c*side*side:(i+1)*c*side*side], one, c, ds.H, side, (ds.H-side)/2, (ds.W-side)/2, false)
	}
	return out
}

// cropInto writes into dst the side×side square of the c-channel image
// src of side load at (top, left), mirrored left to right when flip.
func cropInto(dst, src []float32, c, load, side, top, left int, flip bool) {
	for ch := range c {
		for y := range side {
			row := src[(ch*load+top+y)*load+left:][:side]
			out := dst[(ch*side+y)*side:][:side]
			if !flip {
				copy(out, row)
				continue
			}
			for x := range side {
				out[x] = row[side-1-x]
			}
		}
	}
}

func (s *unpairedSource) kind() data.Kind { return data.Unpaired }
func (s *unpairedSource) shape() models.Shape {
	return models.Shape{C: s.channels, H: s.crop, W: s.crop}
}

// pictureSamples is the images of a sample picture: rows of A, G_A(A),
// G_B(G_A(A)), B, G_B(B), G_A(G_B(B)).
func (s *unpairedSource) pictureSamples() int { return 6 * s.testA.Dim(0) }

func (s *unpairedSource) picture(x *tensor.Tensor, _ int) image.Image {
	return images.Grid(x.Reshape(x.Dim(0), s.channels, s.crop, s.crop), s.testA.Dim(0), 2)
}

func (s *unpairedSource) measure(*tensor.Tensor) (rundir.Record, error) { return nil, nil }
func (s *unpairedSource) classNames() []string                          { return nil }
func (s *unpairedSource) dataset() *data.Dataset                        { return nil }
func (s *unpairedSource) stepsPerEpoch() int                            { return s.perEpoch }

// next fills dst with a batch of A, and the source's y with one of B.
func (s *unpairedSource) next(dst *tensor.Tensor, _ []int) data.Batch {
	m := s.shape().Len()
	for i := range s.batch {
		s.a.Next(s.one, nil)
		s.augment(dst.Data()[i*m : (i+1)*m])
		s.b.Next(s.one, nil)
		s.augment(s.y.Data()[i*m : (i+1)*m])
	}
	b := data.Batch{N: s.batch, Epoch: s.steps / s.perEpoch, Index: s.steps % s.perEpoch}
	s.steps++
	return b
}

// augment crops (and flips) the image in s.one into dst.
func (s *unpairedSource) augment(dst []float32) {
	top, left := 0, 0
	if s.load > s.crop {
		top, left = s.rng.IntN(s.load-s.crop+1), s.rng.IntN(s.load-s.crop+1)
	}
	flip := s.flip && s.rng.Float64() < 0.5
	cropInto(dst, s.one.Data(), s.channels, s.load, s.crop, top, left, flip)
}

// second returns the batch of B that next filled, n images.
func (s *unpairedSource) second(n int) *tensor.Tensor {
	return tensor.FromSlice(s.y.Data()[:n*s.shape().Len()], n, s.channels, s.crop, s.crop)
}

type unpairedState struct {
	A     data.LoaderState `json:"a"`
	B     data.LoaderState `json:"b"`
	Steps int              `json:"steps"`
	RNG   []byte           `json:"rng"`
}

func (s *unpairedSource) state() ([]byte, error) {
	var st unpairedState
	var err error
	if st.A, err = s.a.State(); err != nil {
		return nil, err
	}
	if st.B, err = s.b.State(); err != nil {
		return nil, err
	}
	if st.RNG, err = s.rng.MarshalBinary(); err != nil {
		return nil, err
	}
	st.Steps = s.steps
	return json.Marshal(st)
}

func (s *unpairedSource) setState(b []byte) error {
	var st unpairedState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	if st.Steps < 0 {
		return fmt.Errorf("negative step count %d", st.Steps)
	}
	if err := s.a.SetState(st.A); err != nil {
		return fmt.Errorf("domain A: %w", err)
	}
	if err := s.b.SetState(st.B); err != nil {
		return fmt.Errorf("domain B: %w", err)
	}
	if err := s.rng.UnmarshalBinary(st.RNG); err != nil {
		return err
	}
	s.steps = st.Steps
	return nil
}

// cyclePictures draws a translation run's sample pictures: the fixed test
// images of both domains, their translations and reconstructions.
type cyclePictures struct {
	ab, ba       *infer.Generator
	testA, testB *tensor.Tensor
}

// newCyclePictures returns the pictures of the game's G_A and G_B, nil
// when src is not a translation source.
func newCyclePictures(s *session, src source) *cyclePictures {
	u, ok := src.(*unpairedSource)
	if !ok {
		return nil
	}
	p := &cyclePictures{testA: u.testA, testB: u.testB}
	for _, n := range s.game.Networks() {
		switch n.Name {
		case models.CycleGA:
			p.ab = &infer.Generator{Net: n.Module, Spec: s.spec}
		case models.CycleGB:
			p.ba = &infer.Generator{Net: n.Module, Spec: s.spec}
		}
	}
	return p
}

// samples returns the rows A, G_A(A), G_B(G_A(A)), B, G_B(B), G_A(G_B(B))
// of the test images, flat.
func (p *cyclePictures) samples() *tensor.Tensor {
	ab := p.ab.GenerateFrom(p.testA)
	aba := p.ba.GenerateFrom(flat(ab))
	ba := p.ba.GenerateFrom(p.testB)
	bab := p.ab.GenerateFrom(flat(ba))
	n, m := p.testA.Dim(0), p.testA.Dim(1)
	out := tensor.New(6*n, m)
	for i, t := range []*tensor.Tensor{p.testA, ab, aba, p.testB, ba, bab} {
		copy(out.Data()[i*n*m:(i+1)*n*m], t.Data())
	}
	return out
}

// flat returns x [n, …] as [n, rest].
func flat(x *tensor.Tensor) *tensor.Tensor { return x.Reshape(x.Dim(0), x.Len()/x.Dim(0)) }

// translationSamples is the number of test images of each domain that the
// evaluation during training of a translation run translates;
// NASH_MAX_SAMPLES bounds it too. Tests make it smaller.
var translationSamples = 500

// translationEval is the evaluation during training of a translation run:
// both directions measured as nash eval measures them
// (evaluate.TranslationScores) on the first translationSamples test
// images of each domain.
type translationEval struct {
	a, b evaluate.Domain
	n    int
}

// evaluateTranslation is evaluateImages of a translation run: it adds
// eval_<dir>_cycle_l1 to extra for each direction, a2b and b2a, and where
// the target domain has a feature network eval_<dir>_accuracy (the label
// preservation) and eval_<dir>_fid; it writes checkpoints/best.safetensors
// when the mean label preservation is the highest yet.
func (s *session) evaluateTranslation(extra rundir.Record, log io.Writer, bar *progress, every int) (rundir.Record, error) {
	e := &s.eval
	if e.translation == nil {
		t, err := newTranslationEval(s.cfg, s.spec.Sample.H)
		if err != nil {
			e.off = true
			bar.clear()
			fmt.Fprintf(log, "nash: warning: no evaluation during training: %v\n", err)
			return extra, nil
		}
		e.translation = t
		bar.clear()
		fmt.Fprintf(log, "nash: evaluating every %d steps: %d test images each way (label preservation, FID, cycle error)\n", every, t.n)
	}
	t := e.translation
	dirs, err := evaluate.TranslationScores(s.cycle.ab, s.cycle.ba, t.a, t.b, t.n)
	if err != nil {
		return extra, fmt.Errorf("step %d: evaluation: %w", s.step, err)
	}
	if extra == nil {
		extra = rundir.Record{}
	}
	e.line = nil
	var sum float64
	for _, d := range dirs {
		key := "eval_" + d.Direction + "_"
		extra[key+"cycle_l1"] = d.CycleL1
		if d.Accuracy == nil {
			e.line = append(e.line, fmt.Sprintf("%s cycle %.4f", d.Direction, d.CycleL1))
			continue
		}
		extra[key+"accuracy"], extra[key+"fid"] = *d.Accuracy, *d.FID
		sum += *d.Accuracy
		e.line = append(e.line, fmt.Sprintf("%s %.2f%%", d.Direction, 100**d.Accuracy))
	}
	if dirs[0].Accuracy == nil || dirs[1].Accuracy == nil {
		return extra, nil
	}
	acc := sum / 2
	if e.state.BestStep > 0 && acc <= e.state.BestAccuracy {
		return extra, nil
	}
	e.state.BestAccuracy, e.state.BestStep = acc, s.step
	return extra, s.saveCheckpoint(s.run.CheckpointPath("best"))
}

// newTranslationEval prepares the evaluation of cfg's translation run of
// images of side size.
func newTranslationEval(cfg Config, size int) (*translationEval, error) {
	a, b, err := TranslationDomains(cfg, size)
	if err != nil {
		return nil, err
	}
	n := translationSamples
	if limit, ok, err := testlimit.Get(testlimit.Samples, 2); err != nil {
		return nil, err
	} else if ok {
		n = min(n, limit)
	}
	return &translationEval{a: a, b: b, n: n}, nil
}
