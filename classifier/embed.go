package classifier

import (
	"embed"
	"fmt"
	"slices"
	"sync"
)

// weightsFiles holds the weights nash classifier train wrote with its
// defaults for each dataset.
//
//go:embed weights/*.safetensors
var weightsFiles embed.FS

// EmbeddedDatasets lists the datasets with embedded weights.
var EmbeddedDatasets = []string{"mnist", "fashion-mnist", "printed"}

var embedded sync.Map // dataset → *Model

// Embedded returns the embedded network trained on dataset ("mnist",
// "fashion-mnist" or "printed", the printed digits of data.Printed as
// data.GreyCentre shows them). Networks are parsed once and shared: Extract does not
// change them.
func Embedded(dataset string) (*Model, error) {
	if !slices.Contains(EmbeddedDatasets, dataset) {
		return nil, fmt.Errorf("classifier: no embedded network for dataset %q (have mnist, fashion-mnist and printed)", dataset)
	}
	if m, ok := embedded.Load(dataset); ok {
		return m.(*Model), nil
	}
	b, err := weightsFiles.ReadFile("weights/" + dataset + ".safetensors")
	if err != nil {
		return nil, fmt.Errorf("classifier: embedded weights: %w", err)
	}
	m, err := Parse(b, "embedded "+dataset)
	if err != nil {
		return nil, err
	}
	m.Source = "embedded weights/" + dataset + ".safetensors"
	actual, _ := embedded.LoadOrStore(dataset, m)
	return actual.(*Model), nil
}
