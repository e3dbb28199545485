package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/train"
)

// runOptions are the settings of nash eval --run.
type runOptions struct {
	evaluate.RunOptions
	classifier     string
	checkpoint     string
	metricsChanged bool
	asJSON         bool
	truncation     infer.Truncation
	temperatures   []float64
}

// evalRun evaluates the generator of the run in dir.
func evalRun(cmd *cobra.Command, dir string, o runOptions) error {
	t, err := loadAny(dir, o.checkpoint)
	if err != nil {
		return err
	}
	if t, err = t.Truncated(o.truncation); err != nil {
		return err
	}
	info := evaluate.RunInfo{Dir: dir, Dataset: t.Dataset, Checkpoint: o.checkpoint, Step: t.Step, EMA: t.EMA, Truncation: o.truncation.String()}
	if t.Spec.Data == data.Tokens {
		return evalTokens(cmd, t, info, o)
	}
	if t.Spec.Data == data.Unpaired {
		return evalTranslation(cmd, t, info, o)
	}
	if t.Spec.Data == data.Points {
		if o.metricsChanged && !slices.Equal(o.Metrics, []string{"modes"}) {
			return fmt.Errorf("--metrics: a run on a 2-D mixture is measured by modes; got %v", o.Metrics)
		}
		if o.N, err = sampleCount("n", o.N, 2500, 1); err != nil {
			return err
		}
		return evalMixture(cmd, t, info, o.N, o.Seed, o.asJSON)
	}
	if t.Dataset == data.StackedMNISTName {
		if o.metricsChanged && !slices.Equal(o.Metrics, []string{"modes"}) {
			return fmt.Errorf("--metrics: a Stacked MNIST run is measured by modes; got %v", o.Metrics)
		}
		if o.N, err = sampleCount("n", o.N, evaluate.StackedSamples, 1); err != nil {
			return err
		}
		return evalStacked(cmd, t, info, o)
	}
	if o.N, err = sampleCount("n", o.N, 10000, 2); err != nil {
		return err
	}
	if o.MemorisationN, err = sampleCount("memorisation-n", o.MemorisationN, 0, 1); err != nil {
		return err
	}
	if o.Split != "test" && o.Split != "train" {
		return fmt.Errorf("--split: %q, want test or train", o.Split)
	}
	// A run that no feature network can score (a folder of images, another
	// size) is measured on its pixels.
	net := o.classifier
	if net == "" && train.EvalSupported(t.Dataset, t.Spec.Sample) {
		net = t.Dataset
	}
	ref := evaluate.Reference{}
	if net != "" {
		if ref.Model, err = loadClassifier(net); err != nil {
			return err
		}
	} else if !o.metricsChanged {
		o.Metrics = evaluate.NoNetworkMetrics
	}
	size := t.Spec.Sample.H
	if ref.Train, err = data.LoadImages(t.Dataset, t.Data, "train", size); err != nil {
		return fmt.Errorf("--run %s: %w", dir, err)
	}
	if limit, ok, _ := testlimit.Get(testlimit.Samples, 2); ok && ref.Train.N > 10*limit {
		// Memorisation searches the training set: a tenth of it at most
		// as many times as the bound.
		ref.Train = ref.Train.Head(10 * limit)
	}
	if ref.Test, err = data.LoadImages(t.Dataset, t.Data, "test", size); errors.Is(err, data.ErrNoTestSplit) {
		ref.Test = nil
	} else if err != nil {
		return fmt.Errorf("--run %s: %w", dir, err)
	}
	rep, err := evaluate.Run(t, info, ref, o.RunOptions, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", rundir.EvalFile(o.checkpoint), err)
	}
	line, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("%s: %w", rundir.EvalHistoryFile, err)
	}
	if err := rundir.AppendEvalHistory(dir, line); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, rundir.EvalFile(o.checkpoint)), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if o.asJSON {
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
		return err
	}
	return rep.Print(cmd.OutOrStdout(), o.Options)
}

// evalMixture reports the mode coverage of a run on a 2-D mixture.
func evalMixture(cmd *cobra.Command, t *infer.Generator, info evaluate.RunInfo, n int, seed uint64, asJSON bool) error {
	m, err := data.Toy(info.Dataset)
	if err != nil {
		return fmt.Errorf("--run %s: %w", info.Dir, err)
	}
	rep, err := evaluate.Mixture(t, info, m, n, seed)
	if err != nil {
		return fmt.Errorf("--run %s: %w", info.Dir, err)
	}
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
	}
	return rep.Print(cmd.OutOrStdout())
}

// evalStacked reports the modes of a Stacked MNIST run, each channel read
// by --classifier (MNIST's by default).
func evalStacked(cmd *cobra.Command, t *infer.Generator, info evaluate.RunInfo, o runOptions) error {
	net := o.classifier
	if net == "" {
		net = "mnist"
	}
	m, err := loadClassifier(net)
	if err != nil {
		return err
	}
	rep, err := evaluate.Stacked(t, info, m, o.N, o.Seed)
	if err != nil {
		return fmt.Errorf("--run %s: %w", info.Dir, err)
	}
	if o.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
	}
	return rep.Print(cmd.OutOrStdout())
}

// sampleCount returns the sample count the flag gave, n, or def when n is
// 0, bounded by NASH_MAX_SAMPLES, and refuses fewer than least.
func sampleCount(flag string, n, def, least int) (int, error) {
	if n == 0 {
		n = def
	}
	if limit, ok, err := testlimit.Get(testlimit.Samples, least); err != nil {
		return 0, err
	} else if ok {
		n = min(n, limit)
	}
	if n < least {
		return 0, fmt.Errorf("--%s: want at least %d, got %d", flag, least, n)
	}
	return n, nil
}
