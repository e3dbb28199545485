// Package seq trains GANs on discrete sequences of tokens: an LSTM
// language model as the generator (Generator), SeqGAN's convolutional
// discriminator (Discriminator), and the games that train them through
// nash's training core: maximum likelihood (MLE), SeqGAN's policy gradient
// with Monte-Carlo roll-outs (SeqGAN) and a Gumbel-softmax relaxation in
// the spirit of RelGAN (RelGAN).
package seq

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
)

// Start is the token a generator reads before its first one (SeqGAN's
// start token): the input of step 1 is its embedding.
const Start = 0

// OracleHidden is the embedding and hidden size of SeqGAN's oracle and
// generator.
const OracleHidden = 32

// Generator is an LSTM language model over sequences of Len tokens of a
// vocabulary of Vocab: the embedding of the previous token (Start at the
// first step) goes through the LSTM, whose hidden state gives the next
// token's logits through Output. Its state dict is
// embedding.weight, lstm.weight_ih_l0 … (torch.nn.LSTM's), output.weight,
// output.bias, as the PyTorch twin in bench/ names them.
//
// As an nn.Module it is a sampler: Forward maps noise z [N, Len], one
// standard normal value per token, to tokens [N, Len] (integral values),
// drawing token t from the model's distribution at temperature 1 by the
// inverse of its cumulative distribution at Φ(z_t). So the same noise gives
// the same sequences, and sampling goes through nash's generic
// noise-to-samples machinery unchanged. AtTemperature samples at another
// temperature without changing the model.
type Generator struct {
	Vocab, Len int
	Embedding  *nn.Embedding
	LSTM       *nn.LSTM
	Output     *nn.Linear
}

// NewGenerator returns a generator of embedding size embed and hidden
// size hidden, initialised like PyTorch's layers except the embedding,
// drawn from N(0, 0.1²) as SeqGAN's.
func NewGenerator(vocab, length, embed, hidden int, rng *tensor.RNG) *Generator {
	g := &Generator{Vocab: vocab, Len: length, Embedding: nn.NewEmbedding(vocab, embed, rng),
		LSTM: nn.NewLSTM(embed, hidden, rng), Output: nn.NewLinear(hidden, vocab, true, rng)}
	rng.Normal(g.Embedding.Weight.Value, 0, 0.1)
	return g
}

// Parameters implements nn.Module.
func (g *Generator) Parameters() []nn.Parameter {
	return childParameters(g.Children())
}

// Children implements nn.Container.
func (g *Generator) Children() []nn.Child {
	return []nn.Child{{Name: "embedding", Module: g.Embedding}, {Name: "lstm", Module: g.LSTM}, {Name: "output", Module: g.Output}}
}

// SetChild implements nn.Container; the generator's children cannot be
// replaced by other kinds of module.
func (g *Generator) SetChild(i int, m nn.Module) {
	ok := false
	switch i {
	case 0:
		g.Embedding, ok = m.(*nn.Embedding)
	case 1:
		g.LSTM, ok = m.(*nn.LSTM)
	case 2:
		g.Output, ok = m.(*nn.Linear)
	}
	if !ok {
		panic(fmt.Sprintf("seq: Generator child %d cannot be a %T", i, m))
	}
}

// childParameters returns the parameters of children, each named
// "<child>.<parameter>".
func childParameters(children []nn.Child) []nn.Parameter {
	var ps []nn.Parameter
	for _, c := range children {
		for _, p := range c.Module.Parameters() {
			ps = append(ps, nn.Parameter{Name: c.Name + "." + p.Name, Var: p.Var})
		}
	}
	return ps
}

// Forward implements nn.Module: the tokens [N, Len] that the noise z
// [N, Len] draws at temperature 1. Nothing is differentiable.
func (g *Generator) Forward(tp *autograd.Tape, z *autograd.Var) *autograd.Var {
	return g.sampleNoise(tp, z, 1)
}

func (g *Generator) sampleNoise(tp *autograd.Tape, z *autograd.Var, temperature float64) *autograd.Var {
	s := z.Shape()
	if len(s) != 2 || s[1] != g.Len {
		panic(fmt.Sprintf("seq: Generator of %d tokens got noise of shape %v, want [N %d]", g.Len, s, g.Len))
	}
	u := make([]float64, z.Value.Len())
	for i, v := range z.Value.Data() {
		u[i] = Uniform(v)
	}
	out := tensor.New(s[0], g.Len)
	g.Sample(u, temperature, nil, 0, out.Data())
	return tp.Const(out)
}

// Uniform maps a standard normal value to (0, 1) by its cumulative
// distribution Φ.
func Uniform(z float32) float64 {
	return 0.5 * math.Erfc(-float64(z)/math.Sqrt2)
}

// Tempered is a generator sampling at another temperature: the logits are
// divided by Temperature. It shares the generator's weights and changes
// nothing in it, so several may sample one generator at once.
type Tempered struct {
	*Generator
	Temperature float64
}

// AtTemperature returns g sampling at temperature t.
func (g *Generator) AtTemperature(t float64) *Tempered { return &Tempered{g, t} }

// Forward implements nn.Module: the tokens that the noise z draws at the
// temperature.
func (t *Tempered) Forward(tp *autograd.Tape, z *autograd.Var) *autograd.Var {
	return t.sampleNoise(tp, z, t.Temperature)
}

// Sample writes to out [N, Len] the tokens drawn with the uniform values u
// [N, Len] at the given temperature. When prefix is not nil, the first
// from tokens of each sequence are prefix's [N, Len] (teacher forcing) and
// only the rest are drawn: a roll-out from a prefix. It records nothing,
// allocates its own tape and draws sampleChunk sequences at a time, so
// that its memory does not grow with N.
func (g *Generator) Sample(u []float64, temperature float64, prefix []float32, from int, out []float32) {
	n := len(out) / g.Len
	tp := autograd.NewTape()
	tp.SetGrad(false)
	tp.SetTraining(false)
	for lo := 0; lo < n; lo += sampleChunk {
		hi := min(lo+sampleChunk, n)
		var p []float32
		if prefix != nil {
			p = prefix[lo*g.Len : hi*g.Len]
		}
		g.sample(tp, u[lo*g.Len:hi*g.Len], temperature, p, from, out[lo*g.Len:hi*g.Len])
		tp.Reset()
	}
}

// sampleChunk is the number of sequences Sample draws at once.
const sampleChunk = 1024

func (g *Generator) sample(tp *autograd.Tape, u []float64, temperature float64, prefix []float32, from int, out []float32) {
	n := len(out) / g.Len
	ids := tensor.New(n)
	for i := range ids.Data() {
		ids.Data()[i] = Start
	}
	col, tok := make([]float64, n), make([]int, n)
	logits := tensor.New(n, g.Vocab)
	var h, c *autograd.Var
	for t := range g.Len {
		x := g.Embedding.Forward(tp, tp.Const(ids))
		h, c = g.LSTM.Cell(tp, g.LSTM.Project(tp, x), h, c)
		if t < from {
			for i := range n {
				ids.Data()[i] = prefix[i*g.Len+t]
				out[i*g.Len+t] = ids.Data()[i]
			}
			continue
		}
		g.logits(logits, h.Value)
		for i := range n {
			col[i] = u[i*g.Len+t]
		}
		sampleRows(logits, temperature, col, tok)
		for i, k := range tok {
			ids.Data()[i] = float32(k)
			out[i*g.Len+t] = float32(k)
		}
	}
}

// sampleRows is nn.SampleCategorical over the rows of logits, shared among
// the GEMM pool's goroutines by blocks of rows (each row is drawn alone,
// so the result does not depend on the split).
func sampleRows(logits *tensor.Tensor, temperature float64, u []float64, out []int) {
	const block = 16
	n, v := logits.Dim(0), logits.Dim(1)
	kernels.Parallel((n+block-1)/block, func(p int) {
		lo, hi := p*block, min((p+1)*block, n)
		rows := tensor.FromSlice(logits.Data()[lo*v:hi*v], hi-lo, v)
		nn.SampleCategorical(rows, temperature, u[lo:hi], out[lo:hi])
	})
}

// LogProbs returns the log-probability [N·Len] (row-major over [N, Len]) of
// each token of x [N, Len] given the tokens before it, recorded on tp:
// teacher forcing with one GEMM for the input projection of every step and
// one for the output projection of every step.
func (g *Generator) LogProbs(tp *autograd.Tape, x *tensor.Tensor) *autograd.Var {
	n, t := x.Dim(0), g.Len
	hs, targets := g.hidden(tp, x)
	logp := nn.TargetLogProbs(tp, g.Output.Forward(tp, hs), targets)
	// Back to [N, Len] order.
	return tp.Reshape(tp.Transpose(tp.Reshape(logp, t, n)), n*t)
}

// hidden returns the hidden states [Len·N, Hidden] (time-major) of
// teacher forcing on x [N, Len], and the token each state predicts.
func (g *Generator) hidden(tp *autograd.Tape, x *tensor.Tensor) (*autograd.Var, []float32) {
	n, t := x.Dim(0), g.Len
	if x.Dims() != 2 || x.Dim(1) != t {
		panic(fmt.Sprintf("seq: Generator of %d tokens got sequences of shape %v", t, x.Shape()))
	}
	// Time-major inputs: step s reads token s−1 (Start at s = 0).
	in := tensor.New(t, n)
	targets := make([]float32, t*n)
	for i := range n {
		for s := range t {
			if s > 0 {
				in.Data()[s*n+i] = x.Data()[i*t+s-1]
			} else {
				in.Data()[s*n+i] = Start
			}
			targets[s*n+i] = x.Data()[i*t+s]
		}
	}
	e := g.Embedding.Forward(tp, tp.Const(in.Reshape(t*n)))
	hs := g.LSTM.Forward(tp, tp.Reshape(e, t, n, g.LSTM.Input))
	return tp.Reshape(hs, t*n, g.LSTM.Hidden), targets
}

// logits writes the logits of the hidden states h [M, Hidden] to dst
// [M, Vocab]: the bias, then one GEMM accumulating onto it (no separate
// pass over the large output to add it).
func (g *Generator) logits(dst, h *tensor.Tensor) {
	b, v := g.Output.Bias.Value.Data(), g.Vocab
	d := dst.Data()
	for r := 0; r < len(d); r += v {
		copy(d[r:r+v], b)
	}
	tensor.MatMul(dst, h, g.Output.Weight.Value, false, true, 1)
}

// nllBatch is the number of sequences NLL scores at once.
const nllBatch = 64

// NLL returns the mean negative log-likelihood per token of the sequences
// x [N, Len] under g, in nats, computed batch by batch without recording.
func (g *Generator) NLL(x *tensor.Tensor) float64 { return g.NLLAt(x, 1) }

// NLLAt is NLL under g sampling at the given temperature: each step's
// distribution is the softmax of the logits divided by it.
func (g *Generator) NLLAt(x *tensor.Tensor, temperature float64) float64 {
	n := x.Dim(0)
	var sum float64
	tp := autograd.NewTape()
	tp.SetGrad(false)
	tp.SetTraining(false)
	buf := tensor.New(nllBatch*g.Len, g.Vocab)
	rowNLL := make([]float64, nllBatch*g.Len)
	for lo := 0; lo < n; lo += nllBatch {
		hi := min(lo+nllBatch, n)
		m := (hi - lo) * g.Len
		hs, targets := g.hidden(tp, tensor.FromSlice(x.Data()[lo*g.Len:hi*g.Len], hi-lo, g.Len))
		logits := tensor.FromSlice(buf.Data()[:m*g.Vocab], m, g.Vocab)
		g.logits(logits, hs.Value)
		negLogProbs(rowNLL[:m], logits, targets, temperature)
		for _, v := range rowNLL[:m] {
			sum += v
		}
		tp.Reset()
	}
	return sum / float64(n*g.Len)
}

// negLogProbs writes −log softmax(logits/temperature)[target] of each row
// to out, blocks of rows shared among the GEMM pool's goroutines.
func negLogProbs(out []float64, logits *tensor.Tensor, targets []float32, temperature float64) {
	const block = 16
	v := logits.Dim(1)
	d := logits.Data()
	kernels.Parallel((len(out)+block-1)/block, func(p int) {
		for r := p * block; r < min((p+1)*block, len(out)); r++ {
			row := d[r*v : (r+1)*v]
			m := kernels.Max(row)
			s := kernels.SumExp(row, m, float32(1/temperature))
			out[r] = math.Log(s) - float64(row[int(targets[r])]-m)/temperature
		}
	})
}
