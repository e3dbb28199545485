package classifier

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// weightsFormat is the "format" metadata of a weights file.
const weightsFormat = "nash-classifier/1"

// Model is a trained feature network with what reports say about it.
type Model struct {
	Net *Net
	// Dataset is the dataset the network was trained on, Accuracy its
	// accuracy on that dataset's test set.
	Dataset  string
	Accuracy float64
	// SHA256 is the hex SHA-256 of the weights file, Source where it came
	// from ("embedded mnist" or a path).
	SHA256, Source string
}

// Describe returns the one-line description every report carries: the
// architecture, the dataset, the test accuracy and the weights' hash.
func (m *Model) Describe() string {
	return fmt.Sprintf("nash-lenet/1 trained on %s (test accuracy %.2f%%), weights %s sha256:%s",
		m.Dataset, 100*m.Accuracy, m.Source, m.SHA256)
}

// Save writes t's network to path as safetensors, atomically: the state
// dict under PyTorch's names of the Sequential Net documents (BatchNorm's
// num_batches_tracked as int64) and metadata naming the architecture, the
// dataset, the test accuracy and the training settings.
func Save(path string, t *Trained) error {
	var f checkpoint.File
	for name, v := range nn.StateDict(t.Net.Seq) {
		if strings.HasSuffix(name, ".num_batches_tracked") {
			f.SetInt64(name, []int64{int64(v.Item())})
			continue
		}
		f.Set(name, v)
	}
	cfg, err := json.Marshal(t.Config)
	if err != nil {
		return fmt.Errorf("classifier: %s: %w", path, err)
	}
	f.Metadata = map[string]string{
		"format":        weightsFormat,
		"architecture":  Architecture,
		"dataset":       t.Config.Dataset,
		"test_accuracy": strconv.FormatFloat(t.Accuracy, 'f', 4, 64),
		"train_config":  string(cfg),
	}
	return checkpoint.Save(path, &f)
}

// Load reads a weights file written by Save.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	return Parse(b, path)
}

// Parse restores a network from the bytes of a weights file; source names
// it in errors and in Model.Source.
func Parse(b []byte, source string) (*Model, error) {
	f, err := checkpoint.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("classifier: %s: %w", source, err)
	}
	if got := f.Metadata["format"]; got != weightsFormat {
		return nil, fmt.Errorf("classifier: %s: metadata format is %q, want %q", source, got, weightsFormat)
	}
	if got := f.Metadata["architecture"]; got != Architecture {
		return nil, fmt.Errorf("classifier: %s: architecture %q, this nash builds %q", source, got, Architecture)
	}
	acc, err := strconv.ParseFloat(f.Metadata["test_accuracy"], 64)
	if err != nil || !(acc >= 0 && acc <= 1) {
		return nil, fmt.Errorf("classifier: %s: metadata test_accuracy is %q, want a fraction", source, f.Metadata["test_accuracy"])
	}
	sd := make(map[string]*tensor.Tensor)
	for _, name := range f.Names() {
		if strings.HasSuffix(name, ".num_batches_tracked") {
			v, err := f.Int64(name)
			if err != nil {
				return nil, fmt.Errorf("classifier: %s: %w", source, err)
			}
			if len(v) != 1 {
				return nil, fmt.Errorf("classifier: %s: %s holds %d values, want 1", source, name, len(v))
			}
			sd[name] = tensor.Scalar(float32(v[0]))
			continue
		}
		if sd[name], err = f.Tensor(name); err != nil {
			return nil, fmt.Errorf("classifier: %s: %w", source, err)
		}
	}
	net := New(tensor.NewRNG(0, "classifier/init"), tensor.NewRNG(0, "classifier/dropout"))
	if err := nn.LoadStateDict(net.Seq, sd); err != nil {
		return nil, fmt.Errorf("classifier: %s: %w", source, err)
	}
	sum := sha256.Sum256(b)
	return &Model{Net: net, Dataset: f.Metadata["dataset"], Accuracy: acc, SHA256: hex.EncodeToString(sum[:]), Source: source}, nil
}
