package data

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// mnistFiles holds the four MNIST files, byte-identical to the official
// release (http://yann.lecun.com/exdb/mnist/).
//
//go:embed mnist/*-ubyte.gz
var mnistFiles embed.FS

// FashionMNISTClasses names Fashion-MNIST's ten labels in order.
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// Dataset is a set of labelled images held as bytes.
type Dataset struct {
	// Name is the dataset's name as given to Load: "mnist",
	// "fashion-mnist" or "idx".
	Name string
	// Split is "train" or "test".
	Split string
	// N is the number of images, each with C channels of H rows and W
	// columns.
	N, C, H, W int
	// Pixels holds the images as an [N, C, H, W] row-major array of
	// bytes; in MNIST 0 is background and 255 foreground.
	Pixels []uint8
	// Labels holds the N labels, each below len(ClassNames).
	Labels []uint8
	// ClassNames names the classes by label.
	ClassNames []string
	// Notes say how the images were changed on loading (resized, cropped
	// or enlarged), for a warning; nil when they were not.
	Notes []string
}

// ImageSize returns the number of values in one image, C*H*W.
func (d *Dataset) ImageSize() int { return d.C * d.H * d.W }

// Image returns the pixels of image i, sharing the dataset's storage.
func (d *Dataset) Image(i int) []uint8 {
	n := d.ImageSize()
	return d.Pixels[i*n : (i+1)*n]
}

// Head returns a dataset of the first n images of d, sharing its storage.
func (d *Dataset) Head(n int) *Dataset {
	out := *d
	out.N = min(n, d.N)
	out.Pixels = d.Pixels[:out.N*d.ImageSize()]
	out.Labels = d.Labels[:out.N]
	return &out
}

// Load loads the split ("train" or "test") of the dataset called name:
//
//   - "mnist": the embedded MNIST files, or the same files in dir if dir is
//     not empty; classes "0" to "9".
//   - "fashion-mnist": Fashion-MNIST from dir, with FashionMNISTClasses.
//   - "idx": any IDX image/label pair in dir; classes "0" up to the largest
//     label.
//   - "printed": the printed digits (Printed) as the feature networks
//     see them, grey and cut to their centre 28×28 (GreyCentre).
//
// A split's files in dir are named as MNIST's are, with or without ".gz":
// train-images-idx3-ubyte and train-labels-idx1-ubyte for "train",
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte for "test".
func Load(name, dir, split string) (*Dataset, error) {
	if name == "printed" {
		p, err := Printed(split)
		if err != nil {
			return nil, err
		}
		return GreyCentre(p, 28), nil
	}
	var prefix string
	switch split {
	case "train":
		prefix = "train"
	case "test":
		prefix = "t10k"
	default:
		return nil, fmt.Errorf("data: unknown split %q (want train or test)", split)
	}
	var classes []string
	switch name {
	case "mnist", "idx":
	case "fashion-mnist":
		classes = slices.Clone(FashionMNISTClasses)
	default:
		return nil, fmt.Errorf("data: unknown dataset %q (want mnist, fashion-mnist or idx)", name)
	}
	imagesBase, labelsBase := prefix+"-images-idx3-ubyte", prefix+"-labels-idx1-ubyte"
	var imagesName, labelsName string
	var open func(string) (*IDX, error)
	if name == "mnist" && dir == "" {
		imagesName, labelsName = "mnist/"+imagesBase+".gz", "mnist/"+labelsBase+".gz"
		open = readEmbedded
	} else {
		if dir == "" {
			return nil, fmt.Errorf("data: dataset %q needs a directory", name)
		}
		if info, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("data: %s: %w", name, err)
		} else if !info.IsDir() {
			return nil, fmt.Errorf("data: %s: %s is not a directory", name, dir)
		}
		var err error
		if imagesName, err = findFile(dir, imagesBase, name+" "+split+" images"); err != nil {
			return nil, err
		}
		if labelsName, err = findFile(dir, labelsBase, name+" "+split+" labels"); err != nil {
			return nil, err
		}
		open = OpenIDX
	}
	images, err := open(imagesName)
	if err != nil {
		return nil, err
	}
	labels, err := open(labelsName)
	if err != nil {
		return nil, err
	}
	if name == "mnist" {
		classes = decimalNames(10)
	}
	ds, err := newDataset(images, imagesName, labels, labelsName, classes)
	if err != nil {
		return nil, err
	}
	ds.Name, ds.Split = name, split
	return ds, nil
}

// readEmbedded reads one of the embedded MNIST files.
func readEmbedded(name string) (*IDX, error) {
	f, err := mnistFiles.Open(name)
	if err != nil {
		return nil, fmt.Errorf("data: embedded %w", err)
	}
	defer f.Close()
	return ReadIDX(f, "embedded "+name)
}

// findFile returns the path of base+".gz" or base in dir, whichever exists,
// preferring the compressed file; what says what the file holds.
func findFile(dir, base, what string) (string, error) {
	gz := filepath.Join(dir, base+".gz")
	plain := filepath.Join(dir, base)
	for _, p := range []string{gz, plain} {
		_, err := os.Stat(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data: %w", err)
		}
	}
	return "", fmt.Errorf("data: %s: neither %s nor %s exists", what, gz, plain)
}

// newDataset checks an image file and a label file against each other and
// combines them. If classes is nil, the classes are named "0" up to the
// largest label.
func newDataset(images *IDX, imagesName string, labels *IDX, labelsName string, classes []string) (*Dataset, error) {
	if images.Magic() != imagesMagic {
		return nil, fmt.Errorf("data: %s: magic %d (%d dimensions), want %d for an idx3 image file", imagesName, images.Magic(), len(images.Dims), imagesMagic)
	}
	if labels.Magic() != labelsMagic {
		return nil, fmt.Errorf("data: %s: magic %d (%d dimensions), want %d for an idx1 label file", labelsName, labels.Magic(), len(labels.Dims), labelsMagic)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("data: %s has %d images but %s has %d labels", imagesName, images.Dims[0], labelsName, labels.Dims[0])
	}
	if classes == nil {
		largest := uint8(0)
		for _, l := range labels.Data {
			largest = max(largest, l)
		}
		classes = decimalNames(int(largest) + 1)
	}
	for i, l := range labels.Data {
		if int(l) >= len(classes) {
			return nil, fmt.Errorf("data: %s: label %d at index %d is not below the %d classes", labelsName, l, i, len(classes))
		}
	}
	return &Dataset{
		N: images.Dims[0], C: 1, H: images.Dims[1], W: images.Dims[2],
		Pixels:     images.Data,
		Labels:     labels.Data,
		ClassNames: classes,
	}, nil
}

// decimalNames returns the class names "0", "1", ... up to n-1.
func decimalNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}

// ErrNoTestSplit is LoadImages's error for the test split of a folder of
// images, which has none.
var ErrNoTestSplit = errors.New("a folder of images has no test split")

// LoadImages loads the split of the image dataset called name at side
// size: a folder (LoadFolder, training split only: ErrNoTestSplit for
// "test") or a dataset of Load, resized when size is not 0 and not its
// own. Training and evaluation load a run's images through it, so that
// both see the same pixels.
func LoadImages(name, dir, split string, size int) (*Dataset, error) {
	if name == "folder" {
		if split != "train" {
			return nil, fmt.Errorf("data: folder %s: %w", dir, ErrNoTestSplit)
		}
		return LoadFolder(dir, size)
	}
	ds, err := Load(name, dir, split)
	if err != nil || size == 0 || (ds.H == size && ds.W == size) {
		return ds, err
	}
	out := ds.Resize(size)
	out.Notes = append(out.Notes, fmt.Sprintf("every %s image resized from %d×%d to %d×%d", name, ds.W, ds.H, size, size))
	return out, nil
}
