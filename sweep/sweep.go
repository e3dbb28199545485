// Package sweep trains a grid of configurations (nash sweep): a YAML file
// of train's settings, each a value or a list of values, expands into the
// product of its lists; the runs are shared among processes (the ranks of
// an MPI launch, or local jobs), and their results gathered into one table
// and one folder of runs that nash runs and nash board read.
package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nash-gan/nash/bench"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/train"
)

// MaxRuns bounds the runs of one grid.
const MaxRuns = 100000

// Run is one configuration of a grid.
type Run struct {
	// Index is the run's place in the grid, Name its folder: the swept
	// keys and values, "loss=ns_seed=1".
	Index int
	Name  string
	// Values are the swept keys' values of this run, in the file's order
	// of the keys.
	Values []Setting
	Config train.Config
}

// Setting is a key and its value as the file writes it.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Grid is a sweep file's runs.
type Grid struct {
	Runs []Run
}

// Load reads the sweep file at path: a YAML mapping of train's
// configuration keys to a value or a list of values; the grid is the
// product of the lists, the last key varying fastest. Every run's
// configuration is validated, so a bad value is refused before anything
// trains; an unknown key, a list without values or a nested list is
// refused naming its line.
func Load(path string) (*Grid, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, rundir.YAMLError(err))
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode || len(doc.Content[0].Content) == 0 {
		return nil, fmt.Errorf("%s: a sweep is a mapping of train's settings to values or lists of values (loss: [ns, hinge]); this file has none", path)
	}
	known := train.ConfigKeys()
	m := doc.Content[0].Content
	var keys []string
	var values [][]*yaml.Node
	var listed []bool
	for i := 0; i+1 < len(m); i += 2 {
		k, v := m[i], m[i+1]
		if !slices.Contains(known, k.Value) {
			return nil, fmt.Errorf("%s: line %d: unknown key %q%s", path, k.Line, k.Value, train.Suggest(k.Value, known))
		}
		if slices.Contains(keys, k.Value) {
			return nil, fmt.Errorf("%s: line %d: %s is given twice", path, k.Line, k.Value)
		}
		vals := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			if len(v.Content) == 0 {
				return nil, fmt.Errorf("%s: line %d: %s: an empty list makes an empty grid", path, v.Line, k.Value)
			}
			vals = v.Content
		}
		for _, x := range vals {
			if x.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s: line %d: %s: a value or a list of values, not a %s", path, x.Line, k.Value, kindName(x))
			}
		}
		keys, values, listed = append(keys, k.Value), append(values, vals), append(listed, v.Kind == yaml.SequenceNode)
	}
	total := 1
	for _, v := range values {
		if total *= len(v); total > MaxRuns {
			return nil, fmt.Errorf("%s: the grid has more than %d runs", path, MaxRuns)
		}
	}
	g := &Grid{}
	pick := make([]int, len(keys))
	for i := range total {
		rem := i
		for k := len(keys) - 1; k >= 0; k-- {
			pick[k], rem = rem%len(values[k]), rem/len(values[k])
		}
		r, err := newRun(path, i, keys, values, listed, pick)
		if err != nil {
			return nil, err
		}
		g.Runs = append(g.Runs, r)
	}
	return g, nil
}

// newRun returns run i of the grid, whose key k takes values[k][pick[k]];
// the keys given as lists (listed) name it.
func newRun(path string, i int, keys []string, values [][]*yaml.Node, listed []bool, pick []int) (Run, error) {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	r := Run{Index: i}
	var name []string
	for k, key := range keys {
		v := values[k][pick[k]]
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
		if listed[k] {
			r.Values = append(r.Values, Setting{key, v.Value})
			name = append(name, key+"="+strings.NewReplacer("/", "_", " ", "_").Replace(v.Value))
		}
	}
	r.Name = strings.Join(name, "_")
	if r.Name == "" {
		r.Name = "run"
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return Run{}, fmt.Errorf("%s: %w", path, err)
	}
	where := fmt.Sprintf("%s, run %s", path, r.Name)
	cfg, given, err := train.ReadConfig(bytes.NewReader(b), where, train.DefaultConfig())
	if err != nil {
		return Run{}, err
	}
	r.Config = cfg.Resolve(func(key string) bool { return slices.Contains(given, key) })
	if err := r.Config.Validate(); err != nil {
		return Run{}, fmt.Errorf("%s: %w", where, err)
	}
	return r, nil
}

func kindName(n *yaml.Node) string {
	if n.Kind == yaml.MappingNode {
		return "mapping"
	}
	return "list"
}

// Result is what a sweep keeps of one trained run.
type Result struct {
	Index int       `json:"index"`
	Run   string    `json:"run"`
	Swept []Setting `json:"swept"`
	// Final is the run's last metrics record: the game's statistics and
	// what was measured with the last samples, those that are finite.
	Final map[string]float64 `json:"final"`
	// Modes, HighQuality and KL score a 2-D mixture's generator as
	// nash toybench does (bench.ToyScore); absent for other data, and KL
	// when it is infinite (a mode without samples).
	Modes       *int     `json:"modes,omitempty"`
	HighQuality *float64 `json:"high_quality,omitempty"`
	KL          *float64 `json:"kl,omitempty"`
	Seconds     float64  `json:"seconds"`
}

// Train trains the runs of the grid that fall to part of parts (run i to
// part i mod parts) into folders of out, replacing runs there only when
// force is set, and returns their results. Progress lines go to log. When
// ctx carries a group of ranks (dist.NewContext), they train each run
// together, data-parallel, and only the group's rank 0, which writes the
// runs, returns results.
func Train(ctx context.Context, g *Grid, out string, part, parts int, force bool, log io.Writer) ([]Result, error) {
	lead := dist.FromContext(ctx).Rank() == 0
	var res []Result
	for _, r := range g.Runs {
		if r.Index%parts != part {
			continue
		}
		dir := filepath.Join(out, r.Name)
		t0 := time.Now()
		if err := train.Run(ctx, r.Config, dir, force, io.Discard); err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Name, err)
		}
		if !lead {
			continue
		}
		x := Result{Index: r.Index, Run: r.Name, Swept: r.Values, Seconds: time.Since(t0).Seconds()}
		recs, _, err := rundir.ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Name, err)
		}
		if len(recs) > 0 {
			x.Final = map[string]float64{}
			for k, v := range recs[len(recs)-1] {
				if k != "step" && k != "epoch" && k != "time" && !math.IsNaN(v) && !math.IsInf(v, 0) {
					x.Final[k] = v
				}
			}
		}
		if data.IsToy(r.Config.Dataset) {
			m, err := data.Toy(r.Config.Dataset)
			if err != nil {
				return nil, err
			}
			s, err := bench.ToyScore(dir, m, r.Config.Seed)
			if err != nil {
				return nil, fmt.Errorf("run %s: %w", r.Name, err)
			}
			x.Modes, x.HighQuality = &s.Modes, &s.HighQuality
			if !math.IsInf(s.KL, 0) {
				x.KL = &s.KL
			}
		}
		fmt.Fprintf(log, "nash: sweep: run %d of %d, %s: done in %.0fs\n", r.Index+1, len(g.Runs), r.Name, x.Seconds)
		res = append(res, x)
	}
	return res, nil
}

// Table returns the grid's results as a markdown table: the toybench table
// (bench.ToyTable, a row per configuration with mean ± standard deviation
// over the seeds) when every run is on a 2-D mixture, and otherwise a row
// per run with its swept values and final record.
func Table(g *Grid, res []Result) string {
	if toyGrid(g) {
		var names []string
		var toy []bench.ToyResult
		for _, x := range res {
			r := g.Runs[x.Index]
			var parts []string
			for _, s := range r.Values {
				if s.Key != "dataset" && s.Key != "seed" {
					parts = append(parts, s.Value)
				}
			}
			name := strings.Join(parts, " ")
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
			toy = append(toy, bench.ToyResult{Variant: name, Dataset: r.Config.Dataset, Seed: r.Config.Seed,
				Modes: *x.Modes, HighQuality: *x.HighQuality, Seconds: x.Seconds})
		}
		variants := make([]bench.ToyVariant, len(names))
		for i, n := range names {
			variants[i].Name = n
		}
		return bench.ToyTable(toy, variants)
	}
	keys := map[string]bool{}
	for _, x := range res {
		for k := range x.Final {
			keys[k] = true
		}
	}
	cols := slices.Sorted(maps.Keys(keys))
	var b strings.Builder
	b.WriteString("| run | " + strings.Join(cols, " | ") + " | s |\n|---|")
	b.WriteString(strings.Repeat("---|", len(cols)+1) + "\n")
	for _, x := range res {
		fmt.Fprintf(&b, "| %s |", x.Run)
		for _, c := range cols {
			if v, ok := x.Final[c]; ok {
				fmt.Fprintf(&b, " %.4g |", v)
			} else {
				b.WriteString(" – |")
			}
		}
		fmt.Fprintf(&b, " %.0f |\n", x.Seconds)
	}
	return b.String()
}

// toyGrid reports whether every run of g trains on a 2-D mixture.
func toyGrid(g *Grid) bool {
	for _, r := range g.Runs {
		if !data.IsToy(r.Config.Dataset) {
			return false
		}
	}
	return true
}

// The files a sweep writes in its folder beside the runs.
const (
	ResultsFile = "sweep.jsonl"
	TableFile   = "sweep.md"
)

// Write sorts res by run, checks that it holds every run of g once, and
// writes it to out: sweep.jsonl, a result per line, and sweep.md, Table.
// It returns the table.
func Write(g *Grid, res []Result, out string) (string, error) {
	slices.SortFunc(res, func(a, b Result) int { return a.Index - b.Index })
	if len(res) != len(g.Runs) {
		return "", fmt.Errorf("sweep: %d results for %d runs", len(res), len(g.Runs))
	}
	for i, x := range res {
		if x.Index != i {
			return "", fmt.Errorf("sweep: no result for run %s", g.Runs[i].Name)
		}
	}
	var b bytes.Buffer
	if err := WriteResults(&b, res); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(filepath.Join(out, ResultsFile), b.Bytes(), 0o644); err != nil {
		return "", err
	}
	table := Table(g, res)
	return table, atomicfile.WriteFile(filepath.Join(out, TableFile), []byte(table), 0o644)
}

// Gather returns every rank's results, res on this one, on every rank of
// c.
func Gather(c dist.Comm, res []Result) ([]Result, error) {
	var b bytes.Buffer
	if err := WriteResults(&b, res); err != nil {
		return nil, err
	}
	all, err := dist.AllgatherBytes(c, b.Bytes())
	if err != nil {
		return nil, err
	}
	var out []Result
	for r, part := range all {
		got, err := ReadResults(bytes.NewReader(part))
		if err != nil {
			return nil, fmt.Errorf("sweep: the results of rank %d: %w", r, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// WriteResults writes res to w, one JSON object a line.
func WriteResults(w io.Writer, res []Result) error {
	enc := json.NewEncoder(w)
	for _, x := range res {
		if err := enc.Encode(x); err != nil {
			return err
		}
	}
	return nil
}

// ReadResults reads results written one JSON object a line, as Train's
// processes send them: what a --jobs process writes to its standard
// output.
func ReadResults(r io.Reader) ([]Result, error) {
	var out []Result
	dec := json.NewDecoder(r)
	for {
		var x Result
		if err := dec.Decode(&x); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
}
