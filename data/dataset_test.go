package data

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The embedded files are the official release: their MD5s are those listed
// in the shared data README.
func TestEmbeddedMNISTMD5(t *testing.T) {
	for _, c := range []struct {
		file string
		size int
		md5  string
	}{
		{"train-images-idx3-ubyte.gz", 9912422, "f68b3c2dcbeaaa9fbdd348bbdeb94873"},
		{"train-labels-idx1-ubyte.gz", 28881, "d53e105ee54ea40749a09fcbcd1e9432"},
		{"t10k-images-idx3-ubyte.gz", 1648877, "9fb629c4189551a2d022fa330f9573f3"},
		{"t10k-labels-idx1-ubyte.gz", 4542, "ec29112dd5afa0611ce80d1b7f02629c"},
	} {
		b, err := mnistFiles.ReadFile("mnist/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		if got := hex.EncodeToString(sum[:]); len(b) != c.size || got != c.md5 {
			t.Errorf("%s: %d bytes with MD5 %s, want %d bytes with MD5 %s", c.file, len(b), got, c.size, c.md5)
		}
	}
}

// The embedded MNIST splits have the published sizes, first labels and
// per-digit counts.
func TestLoadEmbeddedMNIST(t *testing.T) {
	for _, c := range []struct {
		split  string
		n      int
		first  []uint8
		counts [10]int
	}{
		{"train", 60000, []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{"test", 10000, []uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	} {
		ds, err := Load("mnist", "", c.split)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Name != "mnist" || ds.Split != c.split || ds.N != c.n || ds.C != 1 || ds.H != 28 || ds.W != 28 {
			t.Errorf("%s: %s %s N=%d C=%d H=%d W=%d", c.split, ds.Name, ds.Split, ds.N, ds.C, ds.H, ds.W)
		}
		if len(ds.Pixels) != c.n*784 || len(ds.Labels) != c.n {
			t.Errorf("%s: %d pixels and %d labels", c.split, len(ds.Pixels), len(ds.Labels))
		}
		if !slices.Equal(ds.ClassNames, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}) {
			t.Errorf("%s: class names %v", c.split, ds.ClassNames)
		}
		if !bytes.Equal(ds.Labels[:10], c.first) {
			t.Errorf("%s: first labels %v, want %v", c.split, ds.Labels[:10], c.first)
		}
		var counts [10]int
		for _, l := range ds.Labels {
			counts[l]++
		}
		if counts != c.counts {
			t.Errorf("%s: label counts %v, want %v", c.split, counts, c.counts)
		}
	}
}

// writeSplit writes an image file and a label file for split ("train" or
// "t10k") into dir, gzip-compressed if gz is true.
func writeSplit(t *testing.T, dir, prefix string, gz bool, images, labels []byte) {
	t.Helper()
	for name, file := range map[string][]byte{prefix + "-images-idx3-ubyte": images, prefix + "-labels-idx1-ubyte": labels} {
		if gz {
			name, file = name+".gz", gzipped(file)
		}
		if err := os.WriteFile(filepath.Join(dir, name), file, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadFromDirectory(t *testing.T) {
	pixels := ramp(4*3*2, 100)
	labels := []byte{3, 9, 0, 7}
	images := encodeIDX(0x08, []uint32{4, 3, 2}, pixels)
	labelFile := encodeIDX(0x08, []uint32{4}, labels)
	for _, c := range []struct {
		name, split, prefix string
		gz                  bool
		classes             []string
	}{
		{"fashion-mnist", "train", "train", true, []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}},
		{"fashion-mnist", "test", "t10k", false, FashionMNISTClasses},
		{"mnist", "test", "t10k", true, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{"idx", "train", "train", false, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	} {
		dir := t.TempDir()
		writeSplit(t, dir, c.prefix, c.gz, images, labelFile)
		ds, err := Load(c.name, dir, c.split)
		if err != nil {
			t.Errorf("%s %s: %v", c.name, c.split, err)
			continue
		}
		if ds.Name != c.name || ds.Split != c.split || ds.N != 4 || ds.C != 1 || ds.H != 3 || ds.W != 2 || ds.ImageSize() != 6 {
			t.Errorf("%s %s: got %s %s N=%d C=%d H=%d W=%d", c.name, c.split, ds.Name, ds.Split, ds.N, ds.C, ds.H, ds.W)
		}
		if !bytes.Equal(ds.Pixels, pixels) || !bytes.Equal(ds.Labels, labels) || !bytes.Equal(ds.Image(2), pixels[12:18]) {
			t.Errorf("%s %s: pixels %v labels %v", c.name, c.split, ds.Pixels, ds.Labels)
		}
		if !slices.Equal(ds.ClassNames, c.classes) {
			t.Errorf("%s %s: classes %v, want %v", c.name, c.split, ds.ClassNames, c.classes)
		}
	}
}

// An IDX folder's classes run up to its largest label.
func TestLoadIDXClasses(t *testing.T) {
	dir := t.TempDir()
	writeSplit(t, dir, "train", true, encodeIDX(0x08, []uint32{3, 1, 1}, []byte{1, 2, 3}), encodeIDX(0x08, []uint32{3}, []byte{0, 2, 2}))
	ds, err := Load("idx", dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.ClassNames, []string{"0", "1", "2"}) {
		t.Errorf("classes %v, want 0 1 2", ds.ClassNames)
	}
}

func TestLoadErrors(t *testing.T) {
	images := encodeIDX(0x08, []uint32{3, 2, 2}, ramp(12, 0))
	labels := encodeIDX(0x08, []uint32{3}, []byte{1, 2, 3})
	good := t.TempDir()
	writeSplit(t, good, "train", true, images, labels)
	notDir := filepath.Join(good, "train-labels-idx1-ubyte.gz")
	write := func(images, labels []byte) string {
		dir := t.TempDir()
		writeSplit(t, dir, "train", false, images, labels)
		return dir
	}
	onlyImages := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlyImages, "train-images-idx3-ubyte"), images, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(good, "missing")
	for _, c := range []struct {
		what, name, dir, split string
		want                   []string
	}{
		{"unknown dataset", "cifar10", good, "train", []string{`unknown dataset "cifar10"`}},
		{"unknown split", "mnist", "", "val", []string{`unknown split "val"`}},
		{"no directory", "fashion-mnist", "", "train", []string{`"fashion-mnist" needs a directory`}},
		{"missing directory", "idx", missing, "train", []string{missing, "no such file"}},
		{"file as directory", "idx", notDir, "train", []string{notDir, "not a directory"}},
		{"missing split", "idx", good, "test", []string{"idx test images: neither " + filepath.Join(good, "t10k-images-idx3-ubyte.gz"), filepath.Join(good, "t10k-images-idx3-ubyte") + " exists"}},
		{"missing labels", "mnist", onlyImages, "train", []string{"mnist train labels: ", filepath.Join(onlyImages, "train-labels-idx1-ubyte") + " exists"}},
		{"count mismatch", "idx", write(images, encodeIDX(0x08, []uint32{2}, []byte{1, 2})), "train", []string{"train-images-idx3-ubyte has 3 images but ", "train-labels-idx1-ubyte has 2 labels"}},
		{"label out of range", "fashion-mnist", write(images, encodeIDX(0x08, []uint32{3}, []byte{1, 10, 3})), "train", []string{"train-labels-idx1-ubyte: label 10 at index 1 is not below the 10 classes"}},
		{"labels as images", "idx", write(labels, labels), "train", []string{"train-images-idx3-ubyte: magic 2049 (1 dimensions), want 2051"}},
		{"images as labels", "idx", write(images, images), "train", []string{"train-labels-idx1-ubyte: magic 2051 (3 dimensions), want 2049"}},
		{"corrupt images", "idx", write(images[:20], labels), "train", []string{"train-images-idx3-ubyte: truncated: 4 of 12 pixel bytes"}},
	} {
		_, err := Load(c.name, c.dir, c.split)
		if err == nil {
			t.Errorf("%s: no error", c.what)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "data: ") {
			t.Errorf("%s: error %q lacks the package prefix", c.what, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q does not say %q", c.what, msg, w)
			}
		}
	}
}

func BenchmarkLoadMNISTTrain(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("mnist", "", "train"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHead(t *testing.T) {
	ds, err := Load("mnist", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	h := ds.Head(5)
	if h.N != 5 || len(h.Pixels) != 5*784 || len(h.Labels) != 5 || h.Labels[4] != ds.Labels[4] || ds.Head(20000).N != ds.N {
		t.Errorf("Head(5): N %d, %d pixels, %d labels", h.N, len(h.Pixels), len(h.Labels))
	}
}
