package train

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Preset is a named configuration: the settings it gives over the
// defaults, in config.yaml's form. A preset sits under a --config file and
// the command line, which override it.
type Preset struct {
	Name string
	// Help says what the preset trains and where its numbers come from.
	Help string
	// Settings is YAML with Config's keys.
	Settings string
}

// Presets are nash's named configurations: the reference recipe, the
// recommended configurations of the 2-D mixtures, and the image
// configurations README shows.
var Presets = []Preset{
	{Name: "recipe", Help: "the reference MLP GAN on MNIST of the classic tutorials: the defaults, 50 epochs"},
	{Name: "ring8", Help: "nash's recommended 2-D configuration (toybench's ns+r1+ema+decay): 8 of 8 modes on 5 of 5 seeds",
		Settings: "dataset: ring8\nloss: ns\nr1: 0.012\nlr: 2e-3\nlr_decay: 0.5\nema_kimg: 30\nbatch: 256\nsteps: 30000\n"},
	{Name: "grid25", Help: "nash's recommended 2-D configuration (toybench's ns+r1+ema+decay): 25 of 25 modes on 5 of 5 seeds",
		Settings: "dataset: grid25\nloss: ns\nr1: 0.3\nlr: 2e-3\nlr_decay: 0.5\nema_kimg: 30\nbatch: 256\nsteps: 30000\n"},
	{Name: "mnist-dcgan", Help: "the DCGAN on MNIST, 50 epochs (README's DCGAN pictures)",
		Settings: "model: dcgan\n"},
	{Name: "mnist-scdcgan", Help: "the self-conditioned DCGAN on MNIST: the same networks conditioned on 50 clusters of the training images (no labels), sampled from a moving average of G, with MSGAN's mode-seeking term, 30 epochs, about half an hour on two cores",
		Settings: "model: dcgan\nclusters: 50\nema_kimg: 10\nmode_seeking: 0.07\nepochs: 30\n"},
	{Name: "fashion-mnist-cdcgan", Help: "the class-conditional DCGAN on Fashion-MNIST from ./fashion-mnist (nash download fashion-mnist first)",
		Settings: "model: dcgan\ndataset: fashion-mnist\ndata: fashion-mnist\nconditional: true\n"},
	{Name: "digits-cyclegan", Help: "CycleGAN on the digits benchmark (MNIST ↔ printed), sized for about half an hour on two cores: small networks, the 16×16 PatchGAN, batch 4 (README's numbers)",
		Settings: "model: cyclegan\ndataset: mnist-printed\nngf: 16\nndf: 16\nn_blocks: 3\nn_layers_d: 1\nbatch: 4\nsteps: 6000\nsample_every: 1000\neval_every: 1000\n"},
}

// PresetNames returns the presets' names, in order.
func PresetNames() []string {
	names := make([]string, len(Presets))
	for i, p := range Presets {
		names[i] = p.Name
	}
	return names
}

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, error) {
	for _, p := range Presets {
		if p.Name == name {
			return p, nil
		}
	}
	return Preset{}, fmt.Errorf("unknown preset %q (nash presets lists them: %s)", name, strings.Join(PresetNames(), ", "))
}

// Apply returns base with the preset's settings applied, and the keys it
// sets.
func (p Preset) Apply(base Config) (Config, []string, error) {
	return ReadConfig(strings.NewReader(p.Settings), "preset "+p.Name, base)
}

// Flags returns the preset's settings as command-line flags, in the order
// it gives them.
func (p Preset) Flags() string {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(p.Settings), &doc); err != nil || len(doc.Content) == 0 {
		return ""
	}
	m := doc.Content[0].Content
	var b strings.Builder
	for i := 0; i+1 < len(m); i += 2 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		flag := "--" + strings.ReplaceAll(m[i].Value, "_", "-")
		if m[i+1].Value == "true" {
			b.WriteString(flag)
		} else {
			fmt.Fprintf(&b, "%s %s", flag, m[i+1].Value)
		}
	}
	return b.String()
}
