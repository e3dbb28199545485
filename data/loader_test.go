package data

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// indexDataset returns a dataset of n 2×3 images in which every pixel of
// image i is i and its label is i%10, so that a loaded row says which image
// it came from.
func indexDataset(n int) *Dataset {
	if n > 256 {
		panic("indexDataset: more than 256 images")
	}
	ds := &Dataset{Name: "index", Split: "train", N: n, C: 1, H: 2, W: 3, Pixels: make([]uint8, n*6), Labels: make([]uint8, n)}
	for i := range n {
		for j := range 6 {
			ds.Pixels[i*6+j] = uint8(i)
		}
		ds.Labels[i] = uint8(i % 10)
	}
	return ds
}

// served is what one call of Next produced.
type served struct {
	batch  Batch
	images []int
	labels []int
}

// drain calls Next steps times and decodes each batch back into the indices
// of the images it holds, failing the test if a row is not one whole image
// of indexDataset or a label does not belong to its image.
func drain(t *testing.T, l *Loader, steps int) []served {
	t.Helper()
	dst := tensor.New(l.BatchSize(), 6)
	labels := make([]int, l.BatchSize())
	var out []served
	for range steps {
		b := l.Next(dst, labels)
		s := served{batch: b, labels: slices.Clone(labels[:b.N])}
		for i := range b.N {
			row := dst.Data()[i*6 : (i+1)*6]
			idx := int(images.ToPixel(row[0]))
			want := make([]float32, 6)
			images.ToValues(want, indexDataset(idx+1).Image(idx))
			if !slices.Equal(row, want) {
				t.Fatalf("row %d of batch %+v is %v, not one scaled image", i, b, row)
			}
			if labels[i] != idx%10 {
				t.Fatalf("image %d has label %d, want %d", idx, labels[i], idx%10)
			}
			s.images = append(s.images, idx)
		}
		out = append(out, s)
	}
	return out
}

func TestStepsPerEpoch(t *testing.T) {
	for _, c := range []struct{ n, batch, want int }{
		{60000, 64, 938},
		{10000, 64, 157},
		{10, 3, 4},
		{10, 5, 2},
		{10, 10, 1},
		{10, 64, 1},
		{1, 1, 1},
	} {
		l := NewLoader(&Dataset{N: c.n, C: 1, H: 1, W: 1}, c.batch, tensor.NewRNG(1, "data"))
		if got := l.StepsPerEpoch(); got != c.want {
			t.Errorf("N=%d batch=%d: %d steps, want %d", c.n, c.batch, got, c.want)
		}
	}
}

// Each epoch serves every image once in a new order, in full batches but
// the last, numbered by epoch and index.
func TestLoaderEpochs(t *testing.T) {
	for _, c := range []struct{ n, batch int }{{10, 3}, {12, 4}, {7, 7}, {5, 8}, {200, 64}} {
		l := NewLoader(indexDataset(c.n), c.batch, tensor.NewRNG(3, "data"))
		steps := l.StepsPerEpoch()
		all := drain(t, l, 3*steps)
		var orders [][]int
		for e := range 3 {
			var order []int
			for i, s := range all[e*steps : (e+1)*steps] {
				wantN := c.batch
				if i == steps-1 {
					wantN = c.n - (steps-1)*c.batch
				}
				if s.batch != (Batch{N: wantN, Epoch: e, Index: i}) {
					t.Errorf("N=%d batch=%d: step %d of epoch %d is %+v, want N=%d", c.n, c.batch, i, e, s.batch, wantN)
				}
				order = append(order, s.images...)
			}
			if sorted := slices.Sorted(slices.Values(order)); !slices.Equal(sorted, indices(c.n)) {
				t.Errorf("N=%d batch=%d: epoch %d served %v", c.n, c.batch, e, order)
			}
			orders = append(orders, order)
		}
		if c.n >= 10 && (slices.Equal(orders[0], orders[1]) || slices.Equal(orders[1], orders[2])) {
			t.Errorf("N=%d batch=%d: consecutive epochs in the same order %v", c.n, c.batch, orders)
		}
	}
}

func indices(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// A loader restored from a saved state, even into a fresh RNG with another
// seed, serves exactly the batches the original serves from there on.
func TestLoaderResume(t *testing.T) {
	const n, batch = 10, 3 // 4 steps per epoch
	for _, saveAt := range []int{0, 1, 3, 4, 5, 9} {
		orig := NewLoader(indexDataset(n), batch, tensor.NewRNG(7, "data"))
		drain(t, orig, saveAt)
		state, err := orig.State()
		if err != nil {
			t.Fatal(err)
		}
		saved, err := json.Marshal(state)
		if err != nil {
			t.Fatal(err)
		}
		want := drain(t, orig, 9)

		var restoredState LoaderState
		if err := json.Unmarshal(saved, &restoredState); err != nil {
			t.Fatal(err)
		}
		restored := NewLoader(indexDataset(n), batch, tensor.NewRNG(99, "other"))
		if err := restored.SetState(restoredState); err != nil {
			t.Fatalf("saved after %d batches: %v", saveAt, err)
		}
		got := drain(t, restored, 9)
		for i := range want {
			if got[i].batch != want[i].batch || !slices.Equal(got[i].images, want[i].images) || !slices.Equal(got[i].labels, want[i].labels) {
				t.Errorf("saved after %d batches: batch %d after restoring is %+v, want %+v", saveAt, i, got[i], want[i])
			}
		}
	}
}

// The same seed gives the same batches; another seed gives others.
func TestLoaderDeterministic(t *testing.T) {
	run := func(seed uint64) []int {
		var order []int
		for _, s := range drain(t, NewLoader(indexDataset(50), 8, tensor.NewRNG(seed, "data")), 14) {
			order = append(order, s.images...)
		}
		return order
	}
	if a, b := run(1), run(1); !slices.Equal(a, b) {
		t.Errorf("seed 1 twice: %v and %v", a, b)
	}
	if a, b := run(1), run(2); slices.Equal(a, b) {
		t.Errorf("seeds 1 and 2 both give %v", a)
	}
}

func TestLoaderSetStateErrors(t *testing.T) {
	l := NewLoader(indexDataset(10), 3, tensor.NewRNG(1, "data"))
	drain(t, l, 2)
	good, err := l.State()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, want string
		edit       func(*LoaderState)
	}{
		{"other dataset", "for 11 images, the dataset has 10", func(s *LoaderState) { s.Images = 11 }},
		{"other batch size", "for batch size 4, the loader's is 3", func(s *LoaderState) { s.BatchSize = 4 }},
		{"negative epoch", "epoch -1 is negative", func(s *LoaderState) { s.Epoch = -1 }},
		{"position past the end", "position 12 is not a multiple of 3 below 10", func(s *LoaderState) { s.Position = 12 }},
		{"position within a batch", "position 4 is not a multiple of 3 below 10", func(s *LoaderState) { s.Position = 4 }},
		{"negative position", "position -3", func(s *LoaderState) { s.Position = -3 }},
		{"bad RNG state", "RNG state", func(s *LoaderState) { s.RNG = []byte("pcg:short") }},
	} {
		s := good
		s.RNG = slices.Clone(good.RNG)
		c.edit(&s)
		err := l.SetState(s)
		if err == nil || !strings.HasPrefix(err.Error(), "data: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.what, err, c.want)
		}
		if after, _ := l.State(); after.Position != good.Position || after.Epoch != good.Epoch || !slices.Equal(after.RNG, good.RNG) {
			t.Errorf("%s: a rejected state changed the loader to %+v", c.what, after)
		}
	}
}

// Next rejects a destination or label slice of the wrong size.
func TestLoaderNextShapes(t *testing.T) {
	l := NewLoader(indexDataset(10), 4, tensor.NewRNG(1, "data"))
	for _, c := range []struct {
		what   string
		dst    *tensor.Tensor
		labels []int
		panics bool
	}{
		{"flat rows", tensor.New(4, 6), make([]int, 4), false},
		{"images", tensor.New(4, 1, 2, 3), nil, false},
		{"too few rows", tensor.New(3, 6), nil, true},
		{"too many rows", tensor.New(5, 6), nil, true},
		{"rows too long", tensor.New(4, 7), nil, true},
		{"one dimension", tensor.New(24), nil, true},
		{"short labels", tensor.New(4, 6), make([]int, 3), true},
	} {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			l.Next(c.dst, c.labels)
			return false
		}()
		if panicked != c.panics {
			t.Errorf("%s: panicked = %v, want %v", c.what, panicked, c.panics)
		}
	}
}

// Within an epoch Next allocates nothing.
func TestLoaderNextDoesNotAllocate(t *testing.T) {
	ds := indexDataset(256)
	l := NewLoader(ds, 4, tensor.NewRNG(1, "data"))
	dst := tensor.New(4, 6)
	labels := make([]int, 4)
	l.Next(dst, labels)
	if allocs := testing.AllocsPerRun(50, func() { l.Next(dst, labels) }); allocs != 0 {
		t.Errorf("Next allocates %g times per batch", allocs)
	}
}

func BenchmarkLoaderNextMNIST(b *testing.B) {
	ds := &Dataset{N: 60000, C: 1, H: 28, W: 28, Pixels: make([]uint8, 60000*784), Labels: make([]uint8, 60000)}
	l := NewLoader(ds, 64, tensor.NewRNG(1, "data"))
	dst := tensor.New(64, 784)
	labels := make([]int, 64)
	b.SetBytes(64 * 784)
	b.ReportAllocs()
	for b.Loop() {
		l.Next(dst, labels)
	}
}
