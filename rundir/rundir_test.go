package rundir

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree returns the files (with a trailing / for folders) under dir,
// relative to it and sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// touch creates each file, and its folder, under dir.
func touch(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		path := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCreateNewDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "run")
	r, err := Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tree(t, dir), []string{"checkpoints/", "samples/"}; !slices.Equal(got, want) {
		t.Errorf("Create made %q, want %q", got, want)
	}
	if r.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", r.Dir(), dir)
	}
}

func TestCreateEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(dir, false); err != nil {
		t.Fatal(err)
	}
	if got, want := tree(t, dir), []string{"checkpoints/", "samples/"}; !slices.Equal(got, want) {
		t.Errorf("Create made %q, want %q", got, want)
	}
}

func TestCreateRefusesNonEmpty(t *testing.T) {
	for _, files := range [][]string{{"notes.txt"}, {"config.yaml"}, {"samples/step-0000001.png"}} {
		dir := t.TempDir()
		touch(t, dir, files...)
		before := tree(t, dir)
		_, err := Create(dir, false)
		want := "rundir: " + dir + " is not empty; pass --force to replace the run in it " +
			"(this removes config.yaml, metrics.jsonl, metrics.malformed.jsonl, status.json, eval-*.json, eval-memorisation-*.png, eval-translation-*.png, evals.jsonl, samples/step-*.png, samples/classes-*.png and checkpoints/*.safetensors and nothing else)"
		if err == nil || err.Error() != want {
			t.Errorf("Create over %q: %v\nwant %s", files, err, want)
		}
		if after := tree(t, dir); !slices.Equal(after, before) {
			t.Errorf("refused Create changed %q to %q", before, after)
		}
	}
}

func TestCreateForceRemovesOnlyRunFiles(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "weights.safetensors")
	touch(t, filepath.Dir(outside), filepath.Base(outside))
	runFiles := []string{
		"config.yaml", "metrics.jsonl", "metrics.malformed.jsonl", "status.json", "eval.json", "eval-memorisation.png",
		"eval-last.json", "eval-best.json", "eval-memorisation-last.png", "evals.jsonl", ".eval-last.json.tmp-5",
		"samples/step-0000000.png", "samples/step-0001000.png", "samples/step-12345678.png",
		"samples/classes-0001000.png",
		"checkpoints/last.safetensors", "checkpoints/step-0001000.safetensors",
		".config.yaml.tmp-1", ".status.json.tmp-22", "checkpoints/.last.safetensors.tmp-3", "samples/.step-0000004.png.tmp-4",
	}
	others := []string{
		"data.csv", "config.yml", "metrics.jsonl.bak", "eval.json.bak", "samples/eval.json", "eval-notes.txt", "evals.jsonl.bak", "sub/config.yaml",
		".notes.txt.tmp-1", ".tmp-2", "checkpoints/.readme.txt.tmp-3", "sub/.config.yaml.tmp-4",
		"samples/step-final.png", "samples/step-.png", "samples/step-0000001.png.bak", "samples/grid.png",
		"samples/classes-final.png",
		"samples/step-0000002.jpg", "checkpoints/readme.txt", "checkpoints/last.safetensors.bak",
		"other/last.safetensors",
	}
	touch(t, dir, runFiles...)
	touch(t, dir, others...)
	if err := os.Symlink(outside, filepath.Join(dir, "checkpoints", "linked.safetensors")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "samples", "step-0000003.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(dir, true); err != nil {
		t.Fatal(err)
	}
	want := []string{"checkpoints/", "samples/", "other/", "sub/", "samples/step-0000003.png/"}
	want = append(want, others...)
	slices.Sort(want)
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after Create with force:\n got %q\nwant %q", got, want)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the symbolic link's target was removed: %v", err)
	}
}

func TestCreateFails(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "file")
	if err := os.MkdirAll(filepath.Join(dir, "confdir", "config.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	touch(t, dir, "samplesfile/samples")
	cases := []struct {
		name, dir string
		force     bool
		want      string
	}{
		{"empty name", "", false, "rundir: the run directory's name is empty"},
		{"a file", filepath.Join(dir, "file"), true, "rundir: " + filepath.Join(dir, "file") + " exists and is not a directory"},
		{"config.yaml is a folder", filepath.Join(dir, "confdir"), true,
			"rundir: " + filepath.Join(dir, "confdir", "config.yaml") + " is a directory, not a run's file; remove it yourself"},
		{"samples is a file", filepath.Join(dir, "samplesfile"), true,
			"rundir: " + filepath.Join(dir, "samplesfile", "samples") + " is not a folder; remove it yourself"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Create(c.dir, c.force)
			if err == nil || err.Error() != c.want {
				t.Errorf("Create: %v\nwant %s", err, c.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	r, err := Create(filepath.Join(dir, "ok"), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteConfig(map[string]int{"z_dim": 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(r.Dir()); err != nil {
		t.Errorf("Open of a created run: %v", err)
	}
	touch(t, dir, "file", "partial/config.yaml", "partial/samples", "empty/.keep")
	cases := []struct {
		name, dir, want string
	}{
		{"missing", filepath.Join(dir, "nope"), "rundir: stat " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"a file", filepath.Join(dir, "file"), "rundir: " + filepath.Join(dir, "file") + " is not a directory"},
		{"empty", filepath.Join(dir, "empty"), "rundir: " + filepath.Join(dir, "empty") +
			" is not a run directory: missing config.yaml; missing samples; missing checkpoints"},
		{"partial", filepath.Join(dir, "partial"), "rundir: " + filepath.Join(dir, "partial") +
			" is not a run directory: samples is not a folder; missing checkpoints"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(c.dir)
			if err == nil || err.Error() != c.want {
				t.Errorf("Open: %v\nwant %s", err, c.want)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	r := &Run{dir: filepath.Join("out", "mnist")}
	cases := []struct{ got, want string }{
		{r.ConfigPath(), "out/mnist/config.yaml"},
		{r.MetricsPath(), "out/mnist/metrics.jsonl"},
		{r.SamplePath(0), "out/mnist/samples/step-0000000.png"},
		{r.SamplePath(4690), "out/mnist/samples/step-0004690.png"},
		{r.SamplePath(12345678), "out/mnist/samples/step-12345678.png"},
		{r.CheckpointPath("last"), "out/mnist/checkpoints/last.safetensors"},
		{r.CheckpointPath("step-0004690"), "out/mnist/checkpoints/step-0004690.safetensors"},
	}
	for _, c := range cases {
		if c.got != filepath.FromSlash(c.want) {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// config is a stand-in for the training configuration.
type config struct {
	Dataset string  `yaml:"dataset"`
	ZDim    int     `yaml:"z_dim"`
	LR      float64 `yaml:"lr"`
	Hidden  []int   `yaml:"hidden"`
}

func TestConfigRoundTrip(t *testing.T) {
	r, err := Create(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := config{Dataset: "mnist", ZDim: 100, LR: 2e-4, Hidden: []int{256, 512}}
	if err := r.WriteConfig(want); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(r.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if wantText := "dataset: mnist\nz_dim: 100\nlr: 0.0002\nhidden:\n  - 256\n  - 512\n"; string(text) != wantText {
		t.Errorf("config.yaml is\n%s\nwant\n%s", text, wantText)
	}
	var got config
	if err := r.ReadConfig(&got); err != nil {
		t.Fatal(err)
	}
	if got.Dataset != want.Dataset || got.ZDim != want.ZDim || got.LR != want.LR || !slices.Equal(got.Hidden, want.Hidden) {
		t.Errorf("ReadConfig = %+v, want %+v", got, want)
	}
}

func TestReadConfigRejects(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"unknown key", "dataset: mnist\nz_dims: 100\n", "yaml: line 2: field z_dims not found in type rundir.config"},
		{"wrong type", "z_dim: many\n", "yaml: line 1: cannot unmarshal !!str `many` into int"},
		{"bad syntax", "dataset: [mnist\n", "yaml: line 1: did not find expected ',' or ']'"},
		{"two documents", "dataset: mnist\n---\ndataset: cifar\n", "more than one YAML document"},
		{"empty", "", "is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Create(t.TempDir(), false)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(r.ConfigPath(), []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			var cfg config
			err = r.ReadConfig(&cfg)
			want := "rundir: " + r.ConfigPath() + ": " + c.want
			if c.want == "is empty" {
				want = "rundir: " + r.ConfigPath() + " is empty"
			}
			if err == nil || err.Error() != want {
				t.Errorf("ReadConfig: %v\nwant %s", err, want)
			}
		})
	}
	r := &Run{dir: t.TempDir()}
	var cfg config
	if err := r.ReadConfig(&cfg); err == nil || !strings.Contains(err.Error(), "config.yaml: no such file") {
		t.Errorf("ReadConfig without a file: %v", err)
	}
}

func TestWriteConfigLeavesNoTemporaryFile(t *testing.T) {
	r, err := Create(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteConfig(config{ZDim: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteConfig(config{ZDim: 2}); err != nil {
		t.Fatal(err)
	}
	if got, want := tree(t, r.Dir()), []string{"checkpoints/", "config.yaml", "samples/"}; !slices.Equal(got, want) {
		t.Errorf("run holds %q, want %q", got, want)
	}
	var cfg config
	if err := r.ReadConfig(&cfg); err != nil || cfg.ZDim != 2 {
		t.Errorf("ReadConfig = %+v, %v", cfg, err)
	}
}

// RemoveTemporaries removes the temporary files of the run's files that
// killed writes left, and nothing else.
func TestRemoveTemporaries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	stale := []string{".metrics.jsonl.tmp-1", "checkpoints/.last.safetensors.tmp-2", "samples/.classes-0000010.png.tmp-3"}
	kept := []string{"config.yaml", "checkpoints/last.safetensors", "samples/step-0000010.png", ".notes.tmp-4", "checkpoints/.notes.txt.tmp-5"}
	touch(t, dir, stale...)
	touch(t, dir, kept...)
	n, err := r.RemoveTemporaries()
	if err != nil || n != len(stale) {
		t.Fatalf("RemoveTemporaries: %d, %v, want %d", n, err, len(stale))
	}
	want := append([]string{"checkpoints/", "samples/"}, kept...)
	slices.Sort(want)
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after RemoveTemporaries:\n got %q\nwant %q", got, want)
	}
}
