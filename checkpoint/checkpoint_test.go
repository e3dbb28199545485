package checkpoint

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// equalFiles reports the first difference between a and b, comparing float
// values bit for bit so that NaNs and signed zeros count.
func equalFiles(a, b *File) error {
	if !slices.Equal(a.Names(), b.Names()) {
		return fmt.Errorf("names %q, want %q", a.Names(), b.Names())
	}
	if len(a.Metadata) != len(b.Metadata) {
		return fmt.Errorf("metadata %v, want %v", a.Metadata, b.Metadata)
	}
	for k, v := range b.Metadata {
		if got, ok := a.Metadata[k]; !ok || got != v {
			return fmt.Errorf("metadata %q = %q, want %q", k, got, v)
		}
	}
	for _, name := range a.Names() {
		ea, eb := a.entries[name], b.entries[name]
		if ea.dtype != eb.dtype || !slices.Equal(ea.shape, eb.shape) {
			return fmt.Errorf("tensor %q is %s%v, want %s%v", name, ea.dtype, ea.shape, eb.dtype, eb.shape)
		}
		switch ea.dtype {
		case F32:
			da, db := ea.f32.Data(), eb.f32.Data()
			if !slices.EqualFunc(da, db, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
				return fmt.Errorf("tensor %q = %v, want %v", name, da, db)
			}
		case I64:
			if !slices.Equal(ea.i64, eb.i64) {
				return fmt.Errorf("tensor %q = %v, want %v", name, ea.i64, eb.i64)
			}
		case U8:
			if !bytes.Equal(ea.u8, eb.u8) {
				return fmt.Errorf("tensor %q = %v, want %v", name, ea.u8, eb.u8)
			}
		}
	}
	return nil
}

// sample returns a File with every dtype, a scalar, empty arrays, special
// float values and metadata that needs escaping.
func sample() *File {
	f := &File{Metadata: map[string]string{
		"format": "pt",
		"note":   `quotes " and \ and <html> & ünïcode`,
	}}
	f.Set("0.weight", tensor.FromSlice([]float32{1, -2, 3.5, 4, 5, 6}, 2, 3))
	f.Set("0.bias", tensor.FromSlice([]float32{float32(math.NaN()), float32(math.Inf(-1))}, 2))
	f.Set("scalar", tensor.Scalar(float32(math.Copysign(0, -1))))
	f.Set("empty", tensor.New(0, 3))
	f.SetInt64("steps", []int64{math.MinInt64, -1, 0, math.MaxInt64}, 2, 2)
	f.SetInt64("num_batches_tracked", []int64{7})
	f.SetBytes("rng", []byte{0, 1, 2, 255})
	f.SetBytes("no bytes", nil)
	return f
}

func TestSaveLoadRoundTrip(t *testing.T) {
	want := sample()
	path := filepath.Join(t.TempDir(), "a.safetensors")
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := equalFiles(got, want); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want only the file", len(entries))
	}
}

func TestWriteToLayout(t *testing.T) {
	f := &File{}
	f.Set("b", tensor.FromSlice([]float32{1, 2}, 2))
	f.SetInt64("a", []int64{3}, 1)
	f.Metadata = map[string]string{"z": "1", "<": ">"}
	var buf bytes.Buffer
	n, err := f.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if n != int64(len(out)) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, len(out))
	}
	header := `{"__metadata__":{"<":">","z":"1"},` +
		`"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},` +
		`"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	want := []byte{byte(len(header)), 0, 0, 0, 0, 0, 0, 0}
	want = append(want, header...)
	want = append(want, 3, 0, 0, 0, 0, 0, 0, 0)
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40)
	if !bytes.Equal(out, want) {
		t.Errorf("WriteTo wrote\n%q\nwant\n%q", out, want)
	}
}

func TestWriteToIsDeterministic(t *testing.T) {
	a, b := &File{}, &File{}
	names := []string{"x", "generator.0.weight", "a", "m.1"}
	for i, name := range names {
		a.Set(name, tensor.FromSlice([]float32{float32(i)}, 1))
	}
	for i := len(names) - 1; i >= 0; i-- {
		b.Set(names[i], tensor.FromSlice([]float32{float32(i)}, 1))
	}
	var wa, wb bytes.Buffer
	if _, err := a.WriteTo(&wa); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo(&wb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wa.Bytes(), wb.Bytes()) {
		t.Error("insertion order changed the output")
	}
}

func TestSaveRejects(t *testing.T) {
	cases := []struct {
		name string
		fill func(f *File)
		want string
	}{
		{"reserved name", func(f *File) { f.Set("__metadata__", tensor.New(1)) },
			`tensor name "__metadata__" is reserved for metadata`},
		{"empty name", func(f *File) { f.SetBytes("", []byte{1}) }, "tensor name is empty"},
		{"nil tensor", func(f *File) { f.Set("w", nil) }, `tensor "w" is nil`},
		{"bad name", func(f *File) { f.Set("\xff", tensor.New(1)) }, `tensor "\xff": name is not valid UTF-8`},
		{"bad metadata", func(f *File) { f.Metadata = map[string]string{"k": "\xfe"} },
			`metadata "k": not valid UTF-8`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.safetensors")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			f := &File{}
			c.fill(f)
			err := Save(path, f)
			want := "checkpoint: write " + path + ": " + c.want
			if err == nil || err.Error() != want {
				t.Fatalf("Save: %v, want %s", err, want)
			}
			if b, _ := os.ReadFile(path); string(b) != "old" {
				t.Errorf("failed Save changed the file to %q", b)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("failed Save left %d entries in the directory", len(entries))
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.safetensors")
	if err := Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := f.Tensor("0.weight"); err != nil || !slices.Equal(w.Data(), []float32{1, -2, 3.5, 4, 5, 6}) ||
		!slices.Equal(w.Shape(), []int{2, 3}) {
		t.Errorf("Tensor(0.weight) = %v, %v", w, err)
	}
	if v, err := f.Int64("num_batches_tracked"); err != nil || !slices.Equal(v, []int64{7}) {
		t.Errorf("Int64(num_batches_tracked) = %v, %v", v, err)
	}
	if b, err := f.Bytes("rng"); err != nil || !bytes.Equal(b, []byte{0, 1, 2, 255}) {
		t.Errorf("Bytes(rng) = %v, %v", b, err)
	}
	if d, s, ok := f.Info("steps"); d != I64 || !slices.Equal(s, []int{2, 2}) || !ok {
		t.Errorf("Info(steps) = %s, %v, %v", d, s, ok)
	}
	if _, _, ok := f.Info("missing"); ok {
		t.Error("Info(missing) reports it present")
	}
	errs := []struct {
		err  error
		want string
	}{
		{second(f.Tensor("missing")), `no tensor "missing"`},
		{second(f.Tensor("rng")), `tensor "rng" is U8, not F32`},
		{second(f.Int64("0.bias")), `tensor "0.bias" is F32, not I64`},
		{second(f.Bytes("steps")), `tensor "steps" is I64, not U8`},
	}
	for _, e := range errs {
		if want := "checkpoint: " + path + ": " + e.want; e.err == nil || e.err.Error() != want {
			t.Errorf("error %v, want %s", e.err, want)
		}
	}
	f.Delete("rng")
	if _, _, ok := f.Info("rng"); ok || f.Len() != 7 {
		t.Errorf("after Delete: Len %d, rng present %v", f.Len(), ok)
	}
}

func second[T any](_ T, err error) error { return err }

func TestStateDictPrefixes(t *testing.T) {
	g := map[string]*tensor.Tensor{
		"0.weight": tensor.FromSlice([]float32{1, 2}, 1, 2),
		"0.bias":   tensor.FromSlice([]float32{3}, 1),
	}
	d := map[string]*tensor.Tensor{"0.weight": tensor.FromSlice([]float32{4}, 1, 1)}
	var f File
	f.SetStateDict("generator.", g)
	f.SetStateDict("discriminator.", d)
	f.SetInt64("generator.1.num_batches_tracked", []int64{1 << 24})
	f.SetBytes("rng.noise", []byte{1})
	want := []string{"discriminator.0.weight", "generator.0.bias", "generator.0.weight",
		"generator.1.num_batches_tracked", "rng.noise"}
	if !slices.Equal(f.Names(), want) {
		t.Fatalf("Names() = %q, want %q", f.Names(), want)
	}
	got, err := f.StateDict("generator.")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["0.weight"] != g["0.weight"] || got["0.bias"] != g["0.bias"] {
		t.Errorf("StateDict(generator.) = %v", got)
	}
	if n := got["1.num_batches_tracked"]; n == nil || n.Dims() != 0 || n.Item() != 1<<24 {
		t.Errorf("num_batches_tracked converted to %v", n)
	}
	got, err = f.StateDict("discriminator.")
	if err != nil || len(got) != 1 || got["0.weight"] != d["0.weight"] {
		t.Errorf("StateDict(discriminator.) = %v, %v", got, err)
	}
	f.SetInt64("generator.1.num_batches_tracked", []int64{1<<24 + 1})
	_, err = f.StateDict("generator.")
	wantErr := `checkpoint: tensor "generator.1.num_batches_tracked": I64 value 16777217 at index 0 is not exact in float32`
	if err == nil || err.Error() != wantErr {
		t.Errorf("StateDict with a large I64: %v, want %s", err, wantErr)
	}
	_, err = f.StateDict("")
	wantErr = `checkpoint: tensor "generator.1.num_batches_tracked": I64 value 16777217 at index 0 is not exact in float32`
	if err == nil || err.Error() != wantErr {
		t.Errorf("StateDict(\"\"): %v, want %s", err, wantErr)
	}
	f.Delete("generator.1.num_batches_tracked")
	_, err = f.StateDict("")
	wantErr = `checkpoint: tensor "rng.noise" is U8, not a state-dict tensor (F32 or I64)`
	if err == nil || err.Error() != wantErr {
		t.Errorf("StateDict(\"\"): %v, want %s", err, wantErr)
	}
}

func TestSetInt64Panics(t *testing.T) {
	cases := []struct {
		name  string
		v     []int64
		shape []int
	}{
		{"too few values", []int64{1, 2}, []int{3}},
		{"scalar with two values", []int64{1, 2}, nil},
		{"negative dimension", nil, []int{-1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			var f File
			f.SetInt64("x", c.v, c.shape...)
		})
	}
}

func TestZeroFileWrites(t *testing.T) {
	var f File
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if want := "\x08\x00\x00\x00\x00\x00\x00\x00{}      "; buf.String() != want {
		t.Errorf("empty File wrote %q, want %q", buf.String(), want)
	}
	g, err := Parse(buf.Bytes())
	if err != nil || g.Len() != 0 || g.Metadata == nil {
		t.Errorf("Parse of an empty file: %v, %v", g, err)
	}
}

// recipeSized returns a File with as many float32 values as the reference
// recipe's generator and discriminator weights together (about 1.1 million).
func recipeSized() *File {
	var f File
	f.Set("generator.4.weight", tensor.New(784, 512))
	f.Set("discriminator.0.weight", tensor.New(512, 784))
	f.Set("generator.2.weight", tensor.New(512, 256))
	f.Set("discriminator.2.weight", tensor.New(256, 512))
	return &f
}

func BenchmarkWriteTo(b *testing.B) {
	f := recipeSized()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if _, err := f.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	if _, err := recipeSized().WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := Parse(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
