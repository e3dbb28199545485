package gan

import (
	"encoding/json"
	"fmt"

	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// Game is a set of named networks and optimisers that a step updates from a
// batch of real data: the one shape in which every kind of GAN trains. The
// training loop, checkpoints, resume, logging and the dashboard see a GAN
// only through it: a checkpoint stores each network under its name and each
// optimiser's state under its name, metrics.jsonl logs each statistic under
// its key, and every random stream and the game's own state are saved so
// that a resumed game continues bit-identically.
type Game interface {
	// Networks returns the networks in a fixed order; network n is saved
	// under the prefix n.Name + ".".
	Networks() []Network
	// Optimizers returns the optimisers in a fixed order, each saved
	// under its name + ".".
	Optimizers() []Optimizer
	// Streams returns the random streams the game draws from.
	Streams() []Stream
	// Statistics describes the values Step reports, in their order.
	Statistics() []Statistic
	// Step updates the networks from the real batch b and returns the
	// step's statistics in Statistics' order. The slice is the game's own
	// and is overwritten by the next Step.
	Step(b Batch) []float64
	// State returns the game's state that is neither weights, optimiser
	// state nor random streams, as JSON; SetState restores it.
	State() ([]byte, error)
	SetState([]byte) error
	// Generator returns the network that sampling uses.
	Generator() nn.Module
}

// A Settler is a game whose sampling network must be brought up to date
// before it is sampled or saved: the classic game's moving average of G,
// whose BatchNorm statistics Settle computes (GAN.Settle).
type Settler interface {
	Settle(batch int, rng *tensor.RNG)
}

// Network is a game's network with its name.
type Network struct {
	Name   string
	Module nn.Module
}

// Optimizer is a game's optimiser with its name.
type Optimizer struct {
	Name string
	optim.Optimizer
}

// Stream is a game's random stream with its name.
type Stream struct {
	Name string
	*tensor.RNG
}

// Statistic describes a value a step reports: Key is its metrics.jsonl key,
// Label its short name in progress lines.
type Statistic struct {
	Key, Label string
}

// Batch is one step's real data. X holds the samples (images [N, C, H, W],
// or flat [N, D] for networks that take vectors; 2-D points [N, 2]);
// Labels, when the data has classes and the game uses them, their classes
// [N] as float32 integers; Y, for a game of two domains, the other domain's
// unpaired samples.
type Batch struct {
	X, Labels, Y *tensor.Tensor
}

// NoiseStream is the name of the classic game's noise stream.
const NoiseStream = "noise"

// The classic game's networks and optimisers, whose names are the
// checkpoint prefixes that PyTorch's loading and earlier runs rely on.
const (
	GeneratorName     = "generator"
	DiscriminatorName = "discriminator"
	GeneratorEMAName  = "generator_ema"
)

// classicStats are the classic game's statistics: with a probabilistic
// objective D(x) and D(G(z)) are the discriminator's mean probabilities,
// with the others its mean raw scores (scoreStats).
var (
	classicStats = []Statistic{
		{"loss_d", "loss_d"}, {"loss_g", "loss_g"}, {"d_real", "D(x)"}, {"d_fake", "D(G(z))"},
	}
	scoreStats = []Statistic{
		{"loss_d", "loss_d"}, {"loss_g", "loss_g"}, {"d_real", "score(x)"}, {"d_fake", "score(G(z))"},
	}
)

// Networks implements Game: generator, discriminator and, when it is kept,
// generator_ema.
func (g *GAN) Networks() []Network {
	ns := []Network{{GeneratorName, g.G}, {DiscriminatorName, g.D}}
	if g.GEMA != nil {
		ns = append(ns, Network{GeneratorEMAName, g.GEMA})
	}
	return ns
}

// Optimizers implements Game: optim_g and optim_d.
func (g *GAN) Optimizers() []Optimizer {
	return []Optimizer{{"optim_g", g.OptG}, {"optim_d", g.OptD}}
}

// Streams implements Game: the noise stream, RNG.
func (g *GAN) Streams() []Stream { return []Stream{{NoiseStream, g.RNG}} }

// Statistics implements Game: loss_d, loss_g, d_real and d_fake (Stats).
func (g *GAN) Statistics() []Statistic { return ClassicStatistics(g.Loss) }

// ClassicStatistics returns the statistics of the classic game with the
// objective l: D's outputs labelled as probabilities, D(x) and D(G(z)),
// for the cross-entropy objectives and as scores for the others.
func ClassicStatistics(l Loss) []Statistic {
	if l.Probabilistic() {
		return classicStats
	}
	return scoreStats
}

// Step implements Game: Update with the batch's samples and labels (which
// a conditional GAN needs and an unconditional one ignores) and the noise
// of RNG.
func (g *GAN) Step(b Batch) []float64 {
	labels := b.Labels
	if g.Classes == 0 {
		labels = nil
	}
	st := g.Update(b.X, labels, g.RNG)
	g.stats = append(g.stats[:0], st.LossD, st.LossG, st.DReal, st.DFake)
	return g.stats
}

// State implements Game: the GAN's Progress.
func (g *GAN) State() ([]byte, error) { return json.Marshal(g.Progress()) }

// SetState implements Game.
func (g *GAN) SetState(b []byte) error {
	var p Progress
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.Steps < 0 {
		return fmt.Errorf("negative step count %d", p.Steps)
	}
	g.SetProgress(p)
	return nil
}
