package seq

import (
	"fmt"
	"strconv"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// SeqGAN's discriminator: filter widths and their numbers of filters, the
// embedding size and the dropout probability (keep 0.75).
var (
	FilterWidths = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20}
	FilterCounts = []int{100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160}
)

// DiscriminatorEmbed and DiscriminatorDropout are SeqGAN's embedding size
// and dropout probability of its discriminator.
const (
	DiscriminatorEmbed   = 64
	DiscriminatorDropout = 0.25
)

// Discriminator is SeqGAN's convolutional discriminator over a sequence of
// Len tokens: token embeddings [N, 1, Len, Embed], one convolution over
// time per filter width (a width×Embed window) with ReLU and max-over-time
// pooling, the pooled features concatenated, a highway layer, dropout and a
// linear layer to one logit: SeqGAN's two-class softmax over logits
// (a₀, a₁) is σ(a₁ − a₀), the same function as one logit with the binary
// cross-entropy (OutputPenalty carries its L2 regularisation over). Filters
// wider than the sequence are left out. Its state dict
// is embedding.weight, convs.<i>.weight/bias, highway.*, output.*.
type Discriminator struct {
	Vocab, Len int
	Embedding  *nn.Embedding
	Convs      []*nn.Conv2d
	Highway    *nn.Highway
	Dropout    *nn.Dropout
	Output     *nn.Linear
}

// NewDiscriminator returns SeqGAN's discriminator for sequences of length
// tokens of a vocabulary of vocab, initialised like PyTorch's layers;
// dropout draws from rng until a game gives it a stream of its own.
func NewDiscriminator(vocab, length int, rng *tensor.RNG) *Discriminator {
	d := &Discriminator{Vocab: vocab, Len: length, Embedding: nn.NewEmbedding(vocab, DiscriminatorEmbed, rng)}
	features := 0
	for i, w := range FilterWidths {
		if w > length {
			continue
		}
		d.Convs = append(d.Convs, nn.NewConv2dRect(1, FilterCounts[i], w, DiscriminatorEmbed, true, rng))
		features += FilterCounts[i]
	}
	d.Highway = nn.NewHighway(features, rng)
	d.Dropout = nn.NewDropout(DiscriminatorDropout, rng)
	d.Output = nn.NewLinear(features, 1, true, rng)
	return d
}

// Children implements nn.Container.
func (d *Discriminator) Children() []nn.Child {
	cs := []nn.Child{{Name: "embedding", Module: d.Embedding}}
	for i, c := range d.Convs {
		cs = append(cs, nn.Child{Name: "convs." + strconv.Itoa(i), Module: c})
	}
	return append(cs, nn.Child{Name: "highway", Module: d.Highway}, nn.Child{Name: "dropout", Module: d.Dropout},
		nn.Child{Name: "output", Module: d.Output})
}

// SetChild implements nn.Container; the discriminator's children cannot be
// replaced.
func (d *Discriminator) SetChild(i int, m nn.Module) {
	panic(fmt.Sprintf("seq: Discriminator child %d cannot be replaced (by %T)", i, m))
}

// Parameters implements nn.Module.
func (d *Discriminator) Parameters() []nn.Parameter { return childParameters(d.Children()) }

// Forward implements nn.Module: the logits [N, 1] of tokens x [N, Len]
// (integral values).
func (d *Discriminator) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 2 || s[1] != d.Len {
		panic(fmt.Sprintf("seq: Discriminator of %d tokens got input of shape %v", d.Len, s))
	}
	return d.head(tp, d.Embedding.Forward(tp, x), s[0])
}

// ForwardSoft returns the logits [N, 1] of soft one-hot tokens y
// [Len·N, Vocab] (rows of probabilities, time-major: the N rows of step 0
// first): each token's embedding is the probability-weighted sum of the
// embeddings, so that the logits are differentiable in y.
func (d *Discriminator) ForwardSoft(tp *autograd.Tape, y *autograd.Var) *autograd.Var {
	s := y.Shape()
	if len(s) != 2 || s[1] != d.Vocab || s[0]%d.Len != 0 {
		panic(fmt.Sprintf("seq: Discriminator of %d tokens over %d got soft tokens of shape %v", d.Len, d.Vocab, s))
	}
	n := s[0] / d.Len
	e := tp.Reshape(tp.MatMul(y, d.Embedding.Weight, false, false), d.Len, n, DiscriminatorEmbed)
	return d.head(tp, tp.Permute(e, 1, 0, 2), n)
}

// head runs the network from the embeddings e [n·Len, Embed] on.
func (d *Discriminator) head(tp *autograd.Tape, e *autograd.Var, n int) *autograd.Var {
	img := tp.Reshape(e, n, 1, d.Len, DiscriminatorEmbed)
	pooled := make([]*autograd.Var, len(d.Convs))
	for i, c := range d.Convs {
		pooled[i] = nn.MaxOverTime(tp, tp.ReLU(c.Forward(tp, img)))
	}
	h := d.Highway.Forward(tp, tp.Concat(1, pooled...))
	return d.Output.Forward(tp, d.Dropout.Forward(tp, h))
}
