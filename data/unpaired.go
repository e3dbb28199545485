package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Domains are the images of the two unpaired domains of a translation
// dataset, A and B, of one shape (B may hold another number of images).
type Domains struct {
	A, B *Dataset
}

// TranslationDatasets lists the datasets of two domains.
var TranslationDatasets = []string{"mnist-printed", "folder"}

// LoadDomains loads the split ("train" or "test") of the translation
// dataset name:
//
//   - "mnist-printed": A is MNIST, each digit centred on a 32×32 black
//     square, its grey copied to three channels; B is Printed. Both have
//     labels.
//   - "folder": the images of dirA and dirB when given, else of
//     dir/<split>A and dir/<split>B (the reference release's layout:
//     trainA/, trainB/, testA/, testB/), fitted to size×size as LoadFolder
//     does; a domain of grey images beside one of colour images is copied
//     to three channels. A test split without its folders is
//     ErrNoTestSplit.
func LoadDomains(name, dir, dirA, dirB, split string, size int) (*Domains, error) {
	switch name {
	case "mnist-printed":
		m, err := Load("mnist", "", split)
		if err != nil {
			return nil, err
		}
		p, err := Printed(split)
		if err != nil {
			return nil, err
		}
		return &Domains{A: toRGB(pad(m, PrintedSide)), B: p}, nil
	case "folder":
		return loadFolderDomains(dir, dirA, dirB, split, size)
	}
	return nil, fmt.Errorf("data: unknown translation dataset %q (want mnist-printed or folder)", name)
}

// loadFolderDomains is LoadDomains of the folder dataset.
func loadFolderDomains(dir, dirA, dirB, split string, size int) (*Domains, error) {
	given := dirA != "" || dirB != ""
	if !given {
		dirA, dirB = filepath.Join(dir, split+"A"), filepath.Join(dir, split+"B")
	} else if split != "train" {
		return nil, fmt.Errorf("data: --data-a and --data-b: %w", ErrNoTestSplit)
	}
	for _, d := range []string{dirA, dirB} {
		info, err := os.Stat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !given && split == "test":
			return nil, fmt.Errorf("data: folder %s: %w", dir, ErrNoTestSplit)
		case errors.Is(err, fs.ErrNotExist) && !given:
			return nil, fmt.Errorf("data: folder %s has no %s folder: a translation dataset holds %sA/ and %sB/ (or give --data-a and --data-b)", dir, filepath.Base(d), split, split)
		case err != nil:
			return nil, fmt.Errorf("data: %w", err)
		case !info.IsDir():
			return nil, fmt.Errorf("data: %s is not a folder", d)
		}
	}
	a, err := LoadFolder(dirA, size)
	if err != nil {
		return nil, err
	}
	b, err := LoadFolder(dirB, size)
	if err != nil {
		return nil, err
	}
	if a.C != b.C {
		a, b = toRGB(a), toRGB(b)
	}
	return &Domains{A: a, B: b}, nil
}

// pad returns d with every image centred on a side×side square of zeros.
func pad(d *Dataset, side int) *Dataset {
	if d.H == side && d.W == side {
		return d
	}
	out := *d
	out.H, out.W = side, side
	out.Pixels = make([]uint8, d.N*d.C*side*side)
	top, left := (side-d.H)/2, (side-d.W)/2
	for i := range d.N * d.C {
		src, dst := d.Pixels[i*d.H*d.W:], out.Pixels[i*side*side:]
		for y := range d.H {
			copy(dst[(top+y)*side+left:][:d.W], src[y*d.W:][:d.W])
		}
	}
	return &out
}

// toRGB returns d with one channel copied to three; d itself when it has
// three already.
func toRGB(d *Dataset) *Dataset {
	if d.C == 3 {
		return d
	}
	out := *d
	out.C = 3
	plane := d.H * d.W
	out.Pixels = make([]uint8, d.N*3*plane)
	for i := range d.N {
		for c := range 3 {
			copy(out.Pixels[(3*i+c)*plane:][:plane], d.Pixels[i*plane:][:plane])
		}
	}
	return &out
}

// GreyCentre returns the images of d as grey (Rec. 601 luma for three
// channels) and cut to their centre side×side square: how the 28×28 grey
// feature networks see 32×32 images of mnist-printed.
func GreyCentre(d *Dataset, side int) *Dataset {
	out := *d
	out.C, out.H, out.W = 1, side, side
	out.Pixels = make([]uint8, d.N*side*side)
	top, left := (d.H-side)/2, (d.W-side)/2
	plane := d.H * d.W
	for i := range d.N {
		img := d.Image(i)
		for y := range side {
			for x := range side {
				at := (top+y)*d.W + left + x
				v := float64(img[at])
				if d.C == 3 {
					v = 0.299*float64(img[at]) + 0.587*float64(img[plane+at]) + 0.114*float64(img[2*plane+at])
				}
				out.Pixels[i*side*side+y*side+x] = uint8(v + 0.5)
			}
		}
	}
	return &out
}
