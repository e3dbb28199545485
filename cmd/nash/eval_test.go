package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/train"
)

// runEval runs nash eval with args and returns its standard output.
func runEval(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newEval()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestEvalJSON(t *testing.T) {
	real := filepath.Join("..", "..", "metrics", "testdata", "real.npy")
	fake := filepath.Join("..", "..", "metrics", "testdata", "fake.npy")
	b, err := os.ReadFile(filepath.Join("..", "..", "metrics", "testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		FID  float64 `json:"fid_symmetric"`
		PRDC struct {
			Precision float64 `json:"precision"`
		} `json:"prdc_k3"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	out, err := runEval(t, "--real", real, "--fake", fake, "--k", "3", "--permutations", "100", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if rep.FID == nil || rep.KID == nil || rep.PRDC == nil || rep.MMD == nil || rep.C2ST == nil {
		t.Fatalf("missing metrics in %s", out)
	}
	if math.Abs(*rep.FID-ref.FID) > 1e-6*ref.FID || rep.PRDC.Precision != ref.PRDC.Precision || rep.K != 3 {
		t.Errorf("FID %g, precision %g (k = %d); reference %g, %g (k = 3)", *rep.FID, rep.PRDC.Precision, rep.K, ref.FID, ref.PRDC.Precision)
	}
	if rep.NReal != 300 || rep.NFake != 300 || rep.Dim != 40 || rep.MMD.Permutations != 100 {
		t.Errorf("report %s", out)
	}
	// The same seed gives the same numbers; fewer metrics do not change them.
	again, err := runEval(t, "--real", real, "--fake", fake, "--metrics", "kid", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var kidOnly evalReport
	if err := json.Unmarshal([]byte(again), &kidOnly); err != nil {
		t.Fatal(err)
	}
	if kidOnly.FID != nil || kidOnly.KID == nil || *kidOnly.KID != *rep.KID {
		t.Errorf("--metrics kid: %s, after all metrics: %s", again, out)
	}
	text, err := runEval(t, "--real", real, "--fake", fake, "--metrics", "fid,prdc")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "fid   7.24393") || !strings.Contains(text, "coverage 0.9500  (k = 5)") || strings.Contains(text, "kid") {
		t.Errorf("text report:\n%s", text)
	}
}

func TestEvalRejects(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join("..", "..", "metrics", "testdata", "real.npy")
	probs := filepath.Join("..", "..", "metrics", "testdata", "probs.npy")
	notNPY := filepath.Join(dir, "features.csv")
	if err := os.WriteFile(notNPY, []byte("1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	few := filepath.Join(dir, "few.npy")
	f, err := metrics.NewFeatures("few", make([]float64, 50), 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := metrics.WriteNPY(few, f); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no fake", []string{"--real", real}, "--real and --fake are required"},
		{"unknown metric", []string{"--real", real, "--fake", real, "--metrics", "fid,is"}, `unknown metric "is"`},
		{"k", []string{"--real", real, "--fake", real, "--k", "0"}, "--k: must be positive"},
		{"missing file", []string{"--real", real, "--fake", filepath.Join(dir, "none.npy")}, "none.npy"},
		{"not npy", []string{"--real", notNPY, "--fake", real}, "--real: metrics: " + notNPY + ": not a .npy file"},
		{"dimensions", []string{"--real", real, "--fake", probs}, "real.npy has 40 values per sample, " + probs + " has 10"},
		{"too few for fid", []string{"--real", probs, "--fake", few, "--metrics", "fid"}, "metrics: FID: covariance of " + few + ": 5 samples of dimension 10; need at least 11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runEval(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestEvalRunModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "toy")
	cfg := train.DefaultConfig()
	cfg.Dataset, cfg.Steps, cfg.Batch, cfg.SampleEvery = "ring8", 5, 32, 5
	if err := train.Run(context.Background(), cfg, dir, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := newEval()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--run", dir, "--metrics", "modes", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Modes, Of, N int
		Counts       []int
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Of != 8 || rep.N != 2500 || len(rep.Counts) != 8 || rep.Modes < 0 || rep.Modes > 8 {
		t.Fatalf("report %+v", rep)
	}
	cmd = newEval()
	cmd.SetOut(io.Discard)
	cmd.SetArgs([]string{"--run", dir, "--metrics", "fid"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--metrics") {
		t.Fatalf("--run with --metrics fid: error %v", err)
	}
}
