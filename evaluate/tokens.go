package evaluate

import (
	"fmt"
	"io"
	"strings"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/seq"
	"github.com/nash-gan/nash/tensor"
)

// OracleSamples is the number of sequences of the oracle benchmark's
// training set, of its held-out set, and of the samples whose NLL_oracle
// is measured (the protocol of SeqGAN's README).
const OracleSamples = 10_000

// Oracle returns the SeqGAN oracle as a generator: its tensors (x·W + h·U
// + b, gates i, f, o, c) rearranged into torch.nn.LSTM's layout (gates i,
// f, g, o, weights transposed; the biases in bias_ih, bias_hh zero).
func Oracle() (*seq.Generator, error) {
	raw, err := data.Oracle()
	if err != nil {
		return nil, err
	}
	f, err := checkpoint.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("data/seqgan/oracle.safetensors: %w", err)
	}
	get := func(name string, shape ...int) (*tensor.Tensor, error) {
		t, err := f.Tensor(name)
		if err == nil && !tensor.EqualShapes(t.Shape(), shape) {
			err = fmt.Errorf("data/seqgan/oracle.safetensors: %s has shape %v, want %v", name, t.Shape(), shape)
		}
		return t, err
	}
	const v, h = data.OracleVocab, seq.OracleHidden
	g := seq.NewGenerator(v, data.OracleLen, h, h, tensor.NewRNG(0, "oracle"))
	emb, err := get("embedding", v, h)
	if err != nil {
		return nil, err
	}
	g.Embedding.Weight.Value.CopyFrom(emb)
	wih, whh, bih := g.LSTM.WeightIH.Value.Data(), g.LSTM.WeightHH.Value.Data(), g.LSTM.BiasIH.Value.Data()
	g.LSTM.BiasHH.Value.Zero()
	for k, gate := range []string{"i", "f", "c", "o"} {
		w, err := get("W_"+gate, h, h)
		if err != nil {
			return nil, err
		}
		u, err := get("U_"+gate, h, h)
		if err != nil {
			return nil, err
		}
		b, err := get("b_"+gate, h)
		if err != nil {
			return nil, err
		}
		// Row k·h + o of weight_ih is column o of W (x·W = W'·x).
		for o := range h {
			for in := range h {
				wih[(k*h+o)*h+in] = w.Data()[in*h+o]
				whh[(k*h+o)*h+in] = u.Data()[in*h+o]
			}
			bih[k*h+o] = b.Data()[o]
		}
	}
	wout, err := get("W_out", h, v)
	if err != nil {
		return nil, err
	}
	bout, err := get("b_out", v)
	if err != nil {
		return nil, err
	}
	tensor.Transpose(g.Output.Weight.Value, wout)
	g.Output.Bias.Value.CopyFrom(bout)
	return g, nil
}

// OracleData returns the benchmark's data for a run of the given seed: n
// training and n held-out sequences [n, 20] (the protocol's n is
// OracleSamples), drawn from the oracle with the seed's "oracle" stream,
// training set first.
func OracleData(oracle *seq.Generator, seed uint64, n int) (train, test *tensor.Tensor) {
	rng := tensor.NewRNG(seed, "oracle")
	all := tensor.New(2*n, oracle.Len)
	u := make([]float64, all.Len())
	for i := range u {
		u[i] = rng.Float64()
	}
	oracle.Sample(u, 1, nil, 0, all.Data())
	half := n * oracle.Len
	return tensor.FromSlice(all.Data()[:half], n, oracle.Len), tensor.FromSlice(all.Data()[half:], n, oracle.Len)
}

// TokenReport is the measure of a sequence generator: NLL_oracle (the
// oracle's mean negative log-likelihood per token of the generated
// sequences, nats: quality) and NLL_test (the generator's on the held-out
// sequences, at the sampling temperature: diversity) for the oracle
// benchmark; BLEU-2…5 of the
// generated lines against the held-out ones and their Self-BLEU-2…5
// (Texygen's definitions, BLEUSmoothing) for text, with NLL_test.
type TokenReport struct {
	Temperature float64   `json:"temperature"`
	Samples     int       `json:"samples"`
	NLLOracle   float64   `json:"nll_oracle,omitempty"`
	NLLTest     float64   `json:"nll_test"`
	BLEU        []float64 `json:"bleu,omitempty"`
	SelfBLEU    []float64 `json:"self_bleu,omitempty"`
}

// BLEUSmoothing states the smoothing of the BLEU scores of reports.
const BLEUSmoothing = "NLTK method 1 (ε = 0.1), as Texygen"

// MeasureTokens measures the generated sequences fake of g at the given
// temperature against the held-out sequences test: with an oracle, the
// oracle's NLL of fake; otherwise BLEU and Self-BLEU (the first
// selfBLEUSamples of fake, Texygen's usage) with every held-out line as
// references. NLL_test is g's own NLL of test at the temperature.
func MeasureTokens(g, oracle *seq.Generator, fake, test *tensor.Tensor, temperature float64) TokenReport {
	return measureSamples(oracle, fake, test, temperature, g.NLLAt(test, temperature))
}

// measureSamples is MeasureTokens with the generator's NLL_test given.
func measureSamples(oracle *seq.Generator, fake, test *tensor.Tensor, temperature, nllTest float64) TokenReport {
	r := TokenReport{Temperature: temperature, Samples: fake.Dim(0), NLLTest: nllTest}
	if oracle != nil {
		r.NLLOracle = oracle.NLL(fake)
		return r
	}
	hyps, refs := sequences(fake), sequences(test)
	r.BLEU = metrics.BLEU(hyps, refs, 5)[1:]
	r.SelfBLEU = metrics.SelfBLEU(hyps[:min(len(hyps), selfBLEUSamples)], 5)[1:]
	return r
}

// selfBLEUSamples bounds the generated lines of Self-BLEU, whose cost
// grows with their number.
const selfBLEUSamples = 1000

// sequences returns each row of x [n, T] as token ids up to its first end
// token.
func sequences(x *tensor.Tensor) [][]int {
	n, t := x.Dim(0), x.Dim(1)
	out := make([][]int, n)
	for i := range n {
		for _, v := range x.Data()[i*t : (i+1)*t] {
			if v == data.EOS {
				break
			}
			out[i] = append(out[i], int(v))
		}
	}
	return out
}

// Record returns the report as metrics.jsonl values: nll_oracle, nll_test,
// bleu2…bleu5, self_bleu2…self_bleu5.
func (r TokenReport) Record() rundir.Record {
	rec := rundir.Record{"nll_test": r.NLLTest}
	if r.NLLOracle != 0 {
		rec["nll_oracle"] = r.NLLOracle
	}
	for i, v := range r.BLEU {
		rec[fmt.Sprintf("bleu%d", i+2)] = v
	}
	for i, v := range r.SelfBLEU {
		rec[fmt.Sprintf("self_bleu%d", i+2)] = v
	}
	return rec
}

// TokenSweep measures g's samples at each temperature: n sequences drawn
// from the noise of seed's "eval" stream (the same noise at every
// temperature), against the held-out sequences test and, for the oracle
// benchmark, the oracle (nil for text). It traces the quality–diversity
// curve of Caccia et al.: NLL_oracle against NLL_test, or BLEU against
// Self-BLEU.
func TokenSweep(g, oracle *seq.Generator, test *tensor.Tensor, n int, seed uint64, temperatures []float64) []TokenReport {
	rng := tensor.NewRNG(seed, "eval")
	u := make([]float64, n*g.Len)
	for i := range u {
		u[i] = rng.Float64()
	}
	fake := tensor.New(n, g.Len)
	out := make([]TokenReport, len(temperatures))
	for i, t := range temperatures {
		g.Sample(u, t, nil, 0, fake.Data())
		out[i] = measureSamples(oracle, fake, test, t, g.NLLAt(test, t))
	}
	return out
}

// PrintTokenReports writes the reports as a table, one temperature a row.
func PrintTokenReports(w io.Writer, reports []TokenReport) error {
	var b strings.Builder
	if len(reports) > 0 && reports[0].BLEU == nil {
		fmt.Fprintf(&b, "%-11s  %10s  %8s\n", "temperature", "nll_oracle", "nll_test")
		for _, r := range reports {
			fmt.Fprintf(&b, "%-11g  %10.3f  %8.3f\n", r.Temperature, r.NLLOracle, r.NLLTest)
		}
	} else {
		fmt.Fprintf(&b, "%-11s  %6s %6s %6s %6s  %6s %6s %6s %6s  %8s\n", "temperature", "bleu2", "bleu3", "bleu4", "bleu5",
			"sbleu2", "sbleu3", "sbleu4", "sbleu5", "nll_test")
		for _, r := range reports {
			fmt.Fprintf(&b, "%-11g  %6.3f %6.3f %6.3f %6.3f  %6.3f %6.3f %6.3f %6.3f  %8.3f\n", r.Temperature,
				r.BLEU[0], r.BLEU[1], r.BLEU[2], r.BLEU[3], r.SelfBLEU[0], r.SelfBLEU[1], r.SelfBLEU[2], r.SelfBLEU[3], r.NLLTest)
		}
		fmt.Fprintf(&b, "BLEU against the held-out lines, Self-BLEU among the first %d generated; smoothing: %s\n", selfBLEUSamples, BLEUSmoothing)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
