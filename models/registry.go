package models

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// Shape is the shape of one sample: channels, height, width (2-D points
// are 1×1×2).
type Shape struct{ C, H, W int }

// Len returns the number of values in one sample.
func (s Shape) Len() int { return s.C * s.H * s.W }

// Spec is what a family needs to build its networks: the data and the
// generator's input. It is saved in checkpoints (JSON), so that a
// generator can be rebuilt from a checkpoint alone.
type Spec struct {
	// Family is the registered name of the model family.
	Family string `json:"family"`
	// Data is the kind of the samples, and Sample the shape of one.
	Data   data.Kind `json:"data"`
	Sample Shape     `json:"sample_shape"`
	// ZDim is the length of the generator's noise vector.
	ZDim int `json:"z_dim"`
	// Classes is the number of classes of a conditional model (whose
	// networks implement gan.Conditional), 0 for an unconditional one.
	Classes int `json:"classes,omitempty"`
	// Clusters, for a self-conditioned model, are the number of training
	// samples in each of its Classes, which are clusters found in the data
	// (data.Cluster) rather than classes given with it; the generator
	// draws them in these proportions (gan.PriorLabels). Empty otherwise.
	Clusters []int `json:"clusters,omitempty"`
	// Pack is the number of samples the discriminator judges at once
	// (PacGAN), concatenated along the channels of images or the values
	// of flat samples: its input is Pack samples wide. 0 and 1 are one.
	Pack int `json:"pack,omitempty"`
	// Vocab is the number of distinct tokens of a sequence model (data of
	// kind tokens, whose samples are sequences of Sample.W tokens), 0 for
	// other data.
	Vocab int `json:"vocab,omitempty"`
	// Words are the tokens of a text corpus by id, one a line (no token
	// holds a line break), and Sep what joins them (data.Text); empty for
	// sequences shown as ids (the oracle's).
	Words string `json:"words,omitempty"`
	Sep   string `json:"sep,omitempty"`
	// CycleGAN holds the widths and depths of a cyclegan family's
	// networks; zero for other families.
	CycleGAN CycleGANSpec `json:"cyclegan,omitzero"`
}

// Equal says whether s and t describe the same networks and data.
func (s Spec) Equal(t Spec) bool {
	if !slices.Equal(s.Clusters, t.Clusters) {
		return false
	}
	s.Clusters, t.Clusters = nil, nil
	return reflect.DeepEqual(s, t)
}

// DInput returns the shape of the discriminator's input: the shape of a
// sample with Pack times its channels.
func (s Spec) DInput() Shape {
	x := s.Sample
	x.C *= max(s.Pack, 1)
	return x
}

// WordList returns the tokens of Words by id, nil when there are none.
func (s Spec) WordList() []string {
	if s.Words == "" {
		return nil
	}
	return strings.Split(s.Words, "\n")
}

// MaxZDim bounds the length of the generator's noise vector (Spec.ZDim)
// wherever one enters nash: a configuration, a flag, a checkpoint's
// metadata. Published GANs use 100 to 512.
const MaxZDim = 4096

// MaxClasses bounds the classes of a conditional model (Spec.Classes): a
// conditional generator embeds each class in as many values as there are
// classes.
const MaxClasses = 1024

// MaxClusterTotal bounds the training samples a self-conditioned model's
// clusters hold together (Spec.Clusters), so that the proportions of
// gan.PriorLabels stay exact in integers.
const MaxClusterTotal = 1 << 31

// MaxSampleValues bounds the values of one sample (Shape.Len) wherever a
// shape enters nash, a dataset or a checkpoint's metadata: a 256×256 RGB
// image. A flat family's networks hold hundreds of weights per value.
const MaxSampleValues = 3 * 256 * 256

// Networks are a family's networks, by name: "generator" and
// "discriminator" for the classic game.
type Networks map[string]nn.Module

// Family is a model family: how it is named and chosen, what data it
// trains on and how it builds its networks.
type Family struct {
	// Name is the --model value that chooses the family.
	Name string
	// Help describes the family in one line for --model's help.
	Help string
	// Data lists the kinds of data the family trains on.
	Data []data.Kind
	// Flat says that the networks take samples as flat vectors
	// [N, C·H·W] rather than [N, C, H, W].
	Flat bool
	// Game names the game that trains the networks; "" is the classic
	// game of one generator from noise against one discriminator.
	Game string
	// Build returns the networks for s, initialised from rng, or an error
	// naming what of s the family cannot build.
	Build func(s Spec, rng *tensor.RNG) (Networks, error)
}

// families holds the registered families by name.
var families = map[string]Family{}

// Register adds a model family; it panics when the name is taken or the
// family is incomplete. Families register themselves in an init function
// of their file.
func Register(f Family) {
	if f.Name == "" || f.Build == nil || len(f.Data) == 0 {
		panic(fmt.Sprintf("models: Register: family %q needs a name, its data and a Build function", f.Name))
	}
	if _, ok := families[f.Name]; ok {
		panic(fmt.Sprintf("models: Register: family %q registered twice", f.Name))
	}
	families[f.Name] = f
}

// Names returns the registered families' names, sorted.
func Names() []string {
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the family named name, or an error listing the families.
func Lookup(name string) (Family, error) {
	f, ok := families[name]
	if !ok {
		return Family{}, fmt.Errorf("unknown model %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	return f, nil
}

// Help returns one line describing every family, for --model's help.
func Help() string {
	var parts []string
	for _, n := range Names() {
		parts = append(parts, n+" ("+families[n].Help+")")
	}
	return "network family: " + strings.Join(parts, ", ")
}

// Build builds the networks of s's family, after checking that the family
// trains on s's kind of data.
func Build(s Spec, rng *tensor.RNG) (Networks, error) {
	f, err := Lookup(s.Family)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(f.Data, s.Data) {
		return nil, fmt.Errorf("model: %s trains on %v, not %s", s.Family, f.Data, s.Data)
	}
	if s.Pack > 1 && s.Classes > 0 {
		return nil, fmt.Errorf("model: packing %d samples of different classes is not for a conditional model", s.Pack)
	}
	nets, err := f.Build(s, rng)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", s.Family, err)
	}
	return nets, nil
}
