package models

import (
	"fmt"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/seq"
	"github.com/nash-gan/nash/tensor"
)

// The sequence generator's sizes: SeqGAN's (and its oracle's) embedding
// and hidden sizes.
const (
	SeqEmbed  = 32
	SeqHidden = 32
)

// MaxVocab bounds the vocabulary of a sequence model (Spec.Vocab).
const MaxVocab = data.MaxVocab

func init() {
	for _, f := range []struct{ name, help string }{
		{"mle", "an LSTM language model trained by maximum likelihood, for token sequences"},
		{"seqgan", "SeqGAN: the LSTM generator against a CNN discriminator by policy gradient with roll-outs"},
		{"relgan", "the LSTM generator against a CNN discriminator through Gumbel-softmax (RelGAN's relaxation)"},
	} {
		Register(Family{Name: f.name, Help: f.help, Data: []data.Kind{data.Tokens}, Flat: true, Game: f.name, Build: buildSeq(f.name != "mle")})
	}
}

// buildSeq builds the LSTM generator of s and, when withD, SeqGAN's
// discriminator.
func buildSeq(withD bool) func(s Spec, rng *tensor.RNG) (Networks, error) {
	return func(s Spec, rng *tensor.RNG) (Networks, error) {
		if s.Vocab < 2 || s.Vocab > MaxVocab {
			return nil, fmt.Errorf("a vocabulary of %d tokens, want 2 to %d", s.Vocab, MaxVocab)
		}
		if s.Classes > 0 {
			return nil, fmt.Errorf("token sequences have no classes to condition on")
		}
		if s.Sample.C != 1 || s.Sample.H != 1 || s.ZDim != s.Sample.W {
			return nil, fmt.Errorf("sequences of %d×%d×%d tokens from noise of %d, want 1×1×T from noise of T", s.Sample.C, s.Sample.H, s.Sample.W, s.ZDim)
		}
		nets := Networks{gan.GeneratorName: seq.NewGenerator(s.Vocab, s.Sample.W, SeqEmbed, SeqHidden, rng)}
		if withD {
			nets[gan.DiscriminatorName] = seq.NewDiscriminator(s.Vocab, s.Sample.W, rng)
		}
		return nets, nil
	}
}
