package checkpoint

import (
	"bytes"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// FuzzLoad checks that Parse never panics and that every file it accepts
// survives a write and a second parse unchanged, and writes back to the same
// bytes: the writer's output is canonical.
func FuzzLoad(f *testing.F) {
	var small File
	small.Set("0.weight", tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2))
	small.SetInt64("1.num_batches_tracked", []int64{3})
	small.Metadata = map[string]string{"format": "pt"}
	for _, file := range []*File{sample(), &small, {}} {
		var b bytes.Buffer
		if _, err := file.WriteTo(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add(raw(-1, "{"+tensorJSON("a", "U8", "[1]", 1, 2)+","+tensorJSON("b", "U8", "[1]", 0, 1)+"}", 2))
	f.Add(raw(-1, `{"__metadata__":null}`, 0))
	f.Add(raw(-1, "{"+tensorJSON("0.weight", "F32", "[10,20]", 0, 400)+"}", 400))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		var first bytes.Buffer
		if _, err := file.WriteTo(&first); err != nil {
			t.Fatalf("WriteTo of a parsed file: %v", err)
		}
		again, err := Parse(first.Bytes())
		if err != nil {
			t.Fatalf("Parse of WriteTo's output: %v", err)
		}
		if err := equalFiles(again, file); err != nil {
			t.Fatalf("write and parse changed the file: %v", err)
		}
		var second bytes.Buffer
		if _, err := again.WriteTo(&second); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("WriteTo is not canonical:\n%q\n%q", first.Bytes(), second.Bytes())
		}
	})
}
