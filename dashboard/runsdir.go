package dashboard

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/rundir"
)

// The runs list reads a run's latest record from the last tailBytes of its
// metrics.jsonl, or from up to maxTailBytes if that holds no record.
const (
	tailBytes    = 4 << 10
	maxTailBytes = 4 << 20
)

// runInfo is what the runs list shows of a run.
type runInfo struct {
	Name    string     `json:"name"`
	Status  string     `json:"status"`
	Updated *time.Time `json:"updated,omitempty"`
	Dataset string     `json:"dataset,omitempty"`
	Model   string     `json:"model,omitempty"`
	Loss    string     `json:"loss,omitempty"`
	// Probabilistic says that d_real and d_fake are probabilities, as for
	// the cross-entropy objectives, so that 0.5 is D's equilibrium; for
	// the others they are raw scores.
	Probabilistic bool `json:"probabilistic"`
	// Epochs and Steps are the configured length of training.
	Epochs int `json:"epochs,omitempty"`
	Steps  int `json:"steps,omitempty"`
	// Step is the step of the latest record, Latest its values.
	Step         number            `json:"step"`
	Latest       map[string]number `json:"latest"`
	Samples      int               `json:"samples"`
	LatestSample string            `json:"latest_sample,omitempty"`
	// LatestText says that LatestSample is a file of generated sequences
	// (a run on token sequences), not a picture.
	LatestText bool `json:"latest_text,omitempty"`
	// Problem says what could not be read, if anything.
	Problem string `json:"problem,omitempty"`
}

// sample is one sample grid of a run and, for a conditional run, the
// class grid (one labelled row per class) of the same step; or, for a run
// on token sequences, the generated sequences of a step, one a line (Text).
type sample struct {
	Step    int    `json:"step"`
	URL     string `json:"url"`
	Classes string `json:"classes,omitempty"`
	Text    bool   `json:"text,omitempty"`
}

// runs returns every run in the runs folder and its sub-folders (the runs
// of a sweep or of toybench), most recently updated first.
func (s *Server) runs() ([]runInfo, error) {
	names, err := rundir.Find(s.root.FS(), ".")
	if err != nil {
		return nil, fmt.Errorf("dashboard: runs folder %s: %w", s.dir, err)
	}
	list := []runInfo{}
	for _, name := range names {
		// Find has checked that name is a run; validName refuses what
		// the dashboard's URLs cannot carry.
		if name == "." || !validName(name) {
			continue
		}
		info, _ := s.info(name)
		list = append(list, info)
	}
	slices.SortStableFunc(list, func(a, b runInfo) int {
		var ta, tb time.Time
		if a.Updated != nil {
			ta = *a.Updated
		}
		if b.Updated != nil {
			tb = *b.Updated
		}
		return cmp.Or(tb.Compare(ta), strings.Compare(b.Name, a.Name))
	})
	return list, nil
}

// info gathers what the runs list shows of the run called name and returns
// it with the run's configuration. What cannot be read is left out and
// named in Problem.
func (s *Server) info(name string) (runInfo, map[string]any) {
	info := runInfo{Name: name, Status: rundir.StateStopped, Step: number(math.NaN())}
	var problems []string
	cfg, err := s.config(name)
	if err != nil {
		problems = append(problems, err.Error())
	}
	info.Dataset = configString(cfg, "dataset")
	info.Model = configString(cfg, "model")
	info.Loss = configString(cfg, "loss")
	info.Probabilistic = probabilistic(info.Loss)
	info.Epochs = configInt(cfg, "epochs")
	info.Steps = configInt(cfg, "steps")

	latest, updated, err := s.latest(name)
	if err != nil {
		problems = append(problems, err.Error())
	}
	info.Latest = make(map[string]number, len(latest))
	for k, v := range latest {
		if !math.IsNaN(v) {
			info.Latest[k] = number(v)
		}
	}
	if step, ok := latest[stepKey]; ok {
		info.Step = number(step)
	}
	st, err := s.status(name)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if !updated.IsZero() {
		info.Updated = &updated
	}
	step := 0
	if !math.IsNaN(float64(info.Step)) {
		step = int(info.Step)
	}
	info.Status = rundir.State(st, updated, step, info.Steps, time.Now())

	list, err := s.samples(name)
	if err != nil {
		problems = append(problems, err.Error())
	}
	info.Samples = len(list)
	if len(list) > 0 {
		info.LatestSample, info.LatestText = list[len(list)-1].URL, list[len(list)-1].Text
	}
	info.Problem = strings.Join(problems, "; ")
	return info, cfg
}

// probabilistic reports whether the objective called loss scores samples
// with probabilities; a run that does not name its objective used the
// default, the non-saturating loss.
func probabilistic(loss string) bool {
	if loss == "" {
		return gan.NonSaturating.Probabilistic()
	}
	l, err := gan.ParseLoss(loss)
	return err == nil && l.Probabilistic()
}

// config reads the run's config.yaml as a map, nil if it does not exist.
func (s *Server) config(name string) (map[string]any, error) {
	file := path.Join(name, rundir.ConfigFile)
	data, err := s.root.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cfg, nil
}

// status reads the run's status.json, nil if it has none.
func (s *Server) status(name string) (*rundir.Status, error) {
	file := path.Join(name, rundir.StatusFile)
	data, err := s.root.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var st rundir.Status
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &st, nil
}

// configString returns the setting key of cfg as text, "" if it is unset.
func configString(cfg map[string]any, key string) string {
	v, ok := cfg[key]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// configInt returns the setting key of cfg if it is an integer, else 0.
func configInt(cfg map[string]any, key string) int {
	v, _ := cfg[key].(int)
	return v
}

// latest returns the last record of the run's metrics.jsonl and the file's
// modification time, reading only the end of the file. A run without
// metrics has no record and a zero time.
func (s *Server) latest(name string) (map[string]float64, time.Time, error) {
	file := path.Join(name, rundir.MetricsFile)
	f, err := s.root.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", file, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, time.Time{}, fmt.Errorf("%s is not a regular file", file)
	}
	// Read ever larger windows at the end until one holds a record.
	for window := int64(tailBytes); ; window *= 8 {
		start := max(fi.Size()-window, 0)
		buf := make([]byte, fi.Size()-start)
		n, err := f.ReadAt(buf, start)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, time.Time{}, fmt.Errorf("%s: %w", file, err)
		}
		buf = buf[:n]
		if start > 0 {
			// The window starts inside a line: drop the part.
			if i := slices.Index(buf, '\n'); i >= 0 {
				buf = buf[i+1:]
			}
		}
		t := newTable()
		t.parse(buf)
		if t.rows > 0 {
			rec := make(map[string]float64, len(t.keys))
			for i, k := range t.keys {
				rec[k] = t.cols[i][t.rows-1]
			}
			return rec, fi.ModTime(), nil
		}
		if start == 0 || window >= maxTailBytes {
			return nil, fi.ModTime(), nil
		}
	}
}

// samples lists the run's sample grids, or files of generated sequences,
// in step order.
func (s *Server) samples(name string) ([]sample, error) {
	dir := path.Join(name, rundir.SamplesDir)
	entries, err := fs.ReadDir(s.root.FS(), dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []sample{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	list := []sample{}
	classes := map[int]string{}
	prefix := "/runs/" + url.PathEscape(name) + "/" + rundir.SamplesDir + "/"
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if step, ok := rundir.SampleStep(e.Name()); ok {
			list = append(list, sample{Step: step, URL: prefix + e.Name()})
		} else if step, ok := rundir.TextSampleStep(e.Name()); ok {
			list = append(list, sample{Step: step, URL: prefix + e.Name(), Text: true})
		} else if step, ok := rundir.ClassGridStep(e.Name()); ok {
			classes[step] = prefix + e.Name()
		}
	}
	for i := range list {
		list[i].Classes = classes[list[i].Step]
	}
	slices.SortFunc(list, func(a, b sample) int { return cmp.Compare(a.Step, b.Step) })
	return list, nil
}
