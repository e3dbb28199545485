package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/seq"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/train"
)

// maxTemperature bounds a sampling temperature.
const maxTemperature = 100

// tokenSampler checks that format suits g's data — text for token
// sequences, which only they write — and returns g sampling at the
// temperature when one is given (token sequences only), sharing g's
// weights.
func tokenSampler(g *infer.Generator, format string, given bool, temperature float64) (*infer.Generator, error) {
	tokens := g.Spec.Data == data.Tokens
	switch {
	case tokens && format != "txt":
		return nil, fmt.Errorf("--format: a run on token sequences writes text: --format txt or --out FILE.txt, not %s", format)
	case !tokens && format == "txt":
		return nil, fmt.Errorf("--format txt: the run's %s are not token sequences", g.Spec.Data)
	case given && !tokens:
		return nil, fmt.Errorf("--temperature: samples token sequences; the run's %s have none", g.Spec.Data)
	case !given:
		return g, nil
	case !(temperature > 0 && temperature <= maxTemperature) || math.IsNaN(temperature):
		return nil, fmt.Errorf("--temperature: must be in (0, %d], got %g", maxTemperature, temperature)
	}
	gen, ok := g.Net.(*seq.Generator)
	if !ok {
		return nil, fmt.Errorf("--temperature: the run's generator (%T) does not sample tokens", g.Net)
	}
	tempered := *g
	tempered.Net = gen.AtTemperature(temperature)
	return &tempered, nil
}

// maxTemperatures bounds the temperatures of one nash eval sweep.
const maxTemperatures = 64

// evalTokens prints the quality–diversity curve of a run on token
// sequences over o's temperatures, against the run's held-out sequences
// (the oracle's drawn again from the run's seed, or the text file's
// held-out lines).
func evalTokens(cmd *cobra.Command, t *infer.Generator, info evaluate.RunInfo, o runOptions) error {
	g, ok := t.Net.(*seq.Generator)
	if !ok {
		return fmt.Errorf("--run %s: the generator (%T) does not sample tokens", info.Dir, t.Net)
	}
	if o.metricsChanged {
		return fmt.Errorf("--metrics: a run on token sequences is measured by NLL_oracle and NLL_test, or BLEU and Self-BLEU")
	}
	if len(o.temperatures) == 0 || len(o.temperatures) > maxTemperatures {
		return fmt.Errorf("--temperatures: want 1 to %d temperatures, got %d", maxTemperatures, len(o.temperatures))
	}
	for _, v := range o.temperatures {
		if !(v > 0 && v <= maxTemperature) {
			return fmt.Errorf("--temperatures: each must be in (0, %d], got %g", maxTemperature, v)
		}
	}
	n := o.N
	if n == 0 {
		n = evaluate.OracleSamples
	}
	held := evaluate.OracleSamples
	if limit, ok, err := testlimit.Get(testlimit.Samples, 2); err != nil {
		return err
	} else if ok {
		n, held = min(n, limit), min(held, limit)
	}
	if n < 2 || n > maxStreamedSamples {
		return fmt.Errorf("--n: must be between 2 and %d, got %d", maxStreamedSamples, n)
	}
	cfg, _, err := train.ReadConfig(strings.NewReader(t.Config), info.Dir+"'s checkpoint", train.DefaultConfig())
	if err != nil {
		return err
	}
	var oracle *seq.Generator
	var test *tensor.Tensor
	if cfg.Dataset == "oracle" {
		if oracle, err = evaluate.Oracle(); err != nil {
			return err
		}
		_, test = evaluate.OracleData(oracle, cfg.Seed, held)
	} else {
		text, err := data.LoadText(cfg.Data, cfg.Tokens, cfg.MaxLen)
		if err != nil {
			return fmt.Errorf("--run %s: the run's text: %w", info.Dir, err)
		}
		if strings.Join(text.Words, "\n") != t.Spec.Words {
			return fmt.Errorf("--run %s: %s now gives another vocabulary than the run's: the file changed", info.Dir, cfg.Data)
		}
		test = text.Test
	}
	reps := evaluate.TokenSweep(g, oracle, test, n, o.Seed, o.temperatures)
	if o.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
			Run     evaluate.RunInfo       `json:"run"`
			Reports []evaluate.TokenReport `json:"reports"`
		}{info, reps})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s (step %d), %d sequences a temperature:\n", info.Dir, info.Step, n)
	return evaluate.PrintTokenReports(cmd.OutOrStdout(), reps)
}
