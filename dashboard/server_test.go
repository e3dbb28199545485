package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/rundir"
)

func TestRunsList(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "a", 50, 10, 50)
	b := writeRun(t, dir, "b", 20)
	if err := b.WriteConfig(map[string]any{"dataset": "fashion-mnist", "model": "mlp", "loss": "wgan-gp", "steps": 20}); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "a", rundir.MetricsFile), old, old); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"empty", ".hidden", "notes"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".hidden", rundir.ConfigFile), []byte("model: mlp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("not a run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, dir)

	var list []struct {
		runInfo
		Latest map[string]*float64 `json:"latest"`
	}
	getJSON(t, s, "/api/runs", &list)
	var names []string
	for _, r := range list {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"b", "a"}) {
		t.Fatalf("runs %q, want [b a] (most recently updated first)", names)
	}
	a, bb := list[1], list[0]
	last := metricsAt(50, nil)
	checks := []struct {
		what      string
		got, want any
	}{
		{"a status", a.Status, rundir.StateStopped},
		{"a dataset", a.Dataset, "mnist"},
		{"a loss", a.Loss, "ns"},
		{"a epochs", a.Epochs, 5},
		{"a step", float64(a.Step), 50.0},
		{"a loss_d", float32(*a.Latest["loss_d"]), float32(stat(last, "loss_d"))},
		{"a d_fake", float32(*a.Latest["d_fake"]), float32(stat(last, "d_fake"))},
		{"a samples", a.Samples, 2},
		{"a latest sample", a.LatestSample, "/runs/a/samples/step-0000050.png"},
		{"a probabilistic", a.Probabilistic, true},
		{"b status", bb.Status, rundir.StateFinished},
		{"b dataset", bb.Dataset, "fashion-mnist"},
		{"b steps", bb.Steps, 20},
		{"b loss", bb.Loss, "wgan-gp"},
		{"b probabilistic", bb.Probabilistic, false},
		{"b samples", bb.Samples, 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestProbabilistic(t *testing.T) {
	for loss, want := range map[string]bool{"": true, "ns": true, "minimax": true, "ls": false, "wgan": false, "wgan-gp": false, "hinge": false, "nonsense": false} {
		if got := probabilistic(loss); got != want {
			t.Errorf("probabilistic(%q) = %v, want %v", loss, got, want)
		}
	}
}

func TestRunDetail(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "a", 5)
	s := newTestServer(t, dir)
	var page runPage
	getJSON(t, s, "/api/runs/a", &page)
	if page.Name != "a" || page.Config["model"] != "mlp" || page.Interpolation {
		t.Errorf("got name %q, model %v, interpolation %v", page.Name, page.Config["model"], page.Interpolation)
	}
	if want := []string{"step", "epoch", "time", "loss_d", "loss_g", "d_real", "d_fake"}; !slices.Equal(page.Keys, want) {
		t.Errorf("keys %q, want %q", page.Keys, want)
	}
}

func TestMetricsAPI(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "a", 5000)
	s := newTestServer(t, dir)

	var all metricsReply
	getJSON(t, s, "/api/runs/a/metrics?max_points=5000", &all)
	if all.Rows != 5000 || len(all.Columns["step"]) != 5000 || len(all.Columns) != 7 {
		t.Fatalf("rows %d, %d steps, %d columns; want 5000, 5000, 7", all.Rows, len(all.Columns["step"]), len(all.Columns))
	}
	// Values written in float32's shortest form read back as that float32.
	for _, want := range []rundir.Metrics{metricsAt(1, nil), metricsAt(2345, nil)} {
		if got := *all.Columns["loss_g"][want.Step-1]; float32(got) != float32(stat(want, "loss_g")) {
			t.Errorf("step %d: loss_g %v, want %v", want.Step, got, stat(want, "loss_g"))
		}
	}

	var some metricsReply
	getJSON(t, s, "/api/runs/a/metrics?keys=loss_d,nope,d_real&max_points=300", &some)
	if len(some.Columns) != 3 || some.Columns["loss_d"] == nil || some.Columns["d_real"] == nil {
		t.Fatalf("columns %v, want step, loss_d and d_real", slices.Collect(func(yield func(string) bool) {
			for k := range some.Columns {
				yield(k)
			}
		}))
	}
	steps := some.Columns["step"]
	if n := len(steps); n > 300 || n < 150 || *steps[0] != 1 || *steps[n-1] != 5000 {
		t.Errorf("downsampled to %d points from step %v to %v; want 150 to 300, from 1 to 5000", n, *steps[0], *steps[n-1])
	}
	if some.Rows != 5000 || !slices.Equal(some.Keys, all.Keys) {
		t.Errorf("rows %d, keys %q; want 5000 and every key", some.Rows, some.Keys)
	}

	for _, q := range []string{"max_points=2", "max_points=x", "max_points=-5", "max_points=10000000"} {
		if code, body := get(s, "/api/runs/a/metrics?"+q); code != http.StatusBadRequest || !bytes.Contains(body, []byte("max_points")) {
			t.Errorf("%s: status %d, %s; want 400 naming max_points", q, code, body)
		}
	}
}

// The metrics cache reads only what was appended, waits for a partial last
// line to be completed, and starts a new generation when the file is
// replaced or rewritten.
func TestMetricsFollowsFile(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "a", 100)
	s := newTestServer(t, dir)
	path := r.MetricsPath()
	fetch := func() metricsReply {
		t.Helper()
		var m metricsReply
		getJSON(t, s, "/api/runs/a/metrics", &m)
		return m
	}
	type state struct{ gen, rows, skipped int }
	steps := []struct {
		name   string
		change func()
		want   state
	}{
		{"first read", func() {}, state{1, 100, 0}},
		{"unchanged", func() {}, state{1, 100, 0}},
		{"appended", func() { appendRecords(t, r, 101, 110) }, state{1, 110, 0}},
		{"a partial line", func() { appendText(t, path, `{"step":111,"loss_d":0.`) }, state{1, 110, 0}},
		{"the line completed", func() { appendText(t, path, "5}\n") }, state{1, 111, 0}},
		{"a malformed line", func() { appendText(t, path, "{oops\n") }, state{1, 111, 1}},
		{"a new key", func() { appendText(t, path, `{"step":112,"fid":12.5}`+"\n") }, state{1, 112, 1}},
		{"truncated for a resume", func() {
			if _, err := r.TruncateMetrics(50); err != nil {
				t.Fatal(err)
			}
		}, state{2, 50, 0}},
		{"rewritten in place", func() {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)-3] = 'x' // spoils the last line
			if _, err := f.WriteAt(data, 0); err != nil {
				t.Fatal(err)
			}
			f.Close()
			later := time.Now().Add(time.Minute)
			os.Chtimes(path, later, later)
		}, state{3, 49, 1}},
		{"removed", func() {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, state{4, 0, 0}},
		{"created again", func() { appendRecords(t, r, 1, 3) }, state{4, 3, 0}},
	}
	for _, st := range steps {
		st.change()
		m := fetch()
		if got := (state{m.Gen, m.Rows, m.Skipped}); got != st.want {
			t.Fatalf("%s: gen, rows, skipped = %v, want %v", st.name, got, st.want)
		}
		if st.name == "a new key" {
			fid := m.Columns["fid"]
			if len(fid) != 112 || fid[110] != nil || *fid[111] != 12.5 {
				t.Errorf("fid column: %d values, want NaN then 12.5", len(fid))
			}
		}
	}
	ser := s.series("a")
	if fi, err := os.Stat(path); err != nil || ser.offset != fi.Size() {
		t.Errorf("cache offset %d, file size %d (%v)", ser.offset, fi.Size(), err)
	}
}

func TestSamples(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "a", 10)
	var pngs [][]byte
	for _, step := range []int{200, 5, 30} {
		pngs = append(pngs, writeSample(t, r, step))
	}
	for _, name := range []string{"grid.png", "step-final.png", "step-0000007.png.bak", ".step-0000040.png.tmp-1"} {
		if err := os.WriteFile(filepath.Join(dir, "a", rundir.SamplesDir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "a", rundir.SamplesDir, "step-0000009.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A conditional run's class grids go with the sample grid of their
	// step; one without a sample grid is not listed.
	classGrid := writeClassGrid(t, r, 30)
	writeClassGrid(t, r, 31)
	if err := os.Mkdir(r.ClassGridPath(5), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, dir)
	var list []sample
	getJSON(t, s, "/api/runs/a/samples", &list)
	want := []sample{
		{5, "/runs/a/samples/step-0000005.png", "", false},
		{30, "/runs/a/samples/step-0000030.png", "/runs/a/samples/classes-0000030.png", false},
		{200, "/runs/a/samples/step-0000200.png", "", false},
	}
	if !slices.Equal(list, want) {
		t.Fatalf("samples %v, want %v", list, want)
	}
	for i, step := range []int{200, 5, 30} {
		u := want[slices.IndexFunc(want, func(s sample) bool { return s.Step == step })].URL
		req := httpGet(s, u)
		if req.Code != http.StatusOK || req.Header().Get("Content-Type") != "image/png" || !bytes.Equal(req.Body.Bytes(), pngs[i]) {
			t.Errorf("GET %s: status %d, %s, %d bytes; want the PNG of step %d", u, req.Code, req.Header().Get("Content-Type"), req.Body.Len(), step)
		}
	}
	if req := httpGet(s, want[1].Classes); req.Code != http.StatusOK || !bytes.Equal(req.Body.Bytes(), classGrid) {
		t.Errorf("GET %s: status %d, %d bytes; want the class grid", want[1].Classes, req.Code, req.Body.Len())
	}
	for _, u := range []string{"/runs/a/samples/grid.png", "/runs/a/samples/step-0000009.png", "/runs/a/samples/step-0000006.png",
		"/runs/a/samples/classes-0000005.png", "/runs/a/samples/classes-final.png"} {
		if code, _ := get(s, u); code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", u, code)
		}
	}
}

// A run on token sequences lists its files of generated sequences,
// step-NNNNNNN.txt, as its samples, marked as text; they are served as
// UTF-8 text, and the runs list links the latest.
func TestTextSamples(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "t", 10)
	lines := map[int]string{}
	for _, step := range []int{8, 4} {
		lines[step] = writeLines(t, r, step)
	}
	if err := os.WriteFile(filepath.Join(dir, "t", rundir.SamplesDir, "step-final.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, dir)
	var list []sample
	getJSON(t, s, "/api/runs/t/samples", &list)
	want := []sample{{4, "/runs/t/samples/step-0000004.txt", "", true}, {8, "/runs/t/samples/step-0000008.txt", "", true}}
	if !slices.Equal(list, want) {
		t.Fatalf("samples %v, want %v", list, want)
	}
	for i, w := range want {
		req := httpGet(s, w.URL)
		if req.Code != http.StatusOK || req.Header().Get("Content-Type") != "text/plain; charset=utf-8" || req.Body.String() != lines[w.Step] {
			t.Errorf("GET %s: status %d, %s, %q; want sample %d's lines", w.URL, req.Code, req.Header().Get("Content-Type"), req.Body.String(), i)
		}
	}
	for _, u := range []string{"/runs/t/samples/step-final.txt", "/runs/t/samples/step-0000005.txt"} {
		if code, _ := get(s, u); code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", u, code)
		}
	}
	var runs []runInfo
	getJSON(t, s, "/api/runs", &runs)
	if len(runs) != 1 || runs[0].LatestSample != want[1].URL || !runs[0].LatestText || runs[0].Samples != 2 {
		t.Errorf("runs list %+v, want the latest sample %s, as text, of 2", runs, want[1].URL)
	}
}

// Nothing outside the runs folder can be read: not through "..", encoded
// or not, absolute paths, or symbolic links pointing out of it.
func TestPathEscapes(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "runs")
	outside := filepath.Join(base, "outside")
	const secret = "424242.125"
	writeRun(t, dir, "a", 5, 1)
	sr := writeRun(t, outside, "secret", 0)
	appendText(t, sr.MetricsPath(), `{"step":1,"loss_d":`+secret+"}\n")
	secretPNG := writeSample(t, sr, 1)
	if err := os.WriteFile(filepath.Join(outside, "passwd"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		filepath.Join(dir, "evil"):                                     filepath.Join("..", "outside", "secret"),
		filepath.Join(dir, "abs"):                                      filepath.Join(outside, "secret"),
		filepath.Join(dir, "alias"):                                    "a",
		filepath.Join(dir, "a", rundir.SamplesDir, "step-0000099.png"): filepath.Join("..", "..", "..", "outside", "secret", rundir.SamplesDir, "step-0000001.png"),
		filepath.Join(dir, "a", rundir.MetricsFile+".link"):            filepath.Join("..", "..", "outside", "passwd"),
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestServer(t, dir)

	refused := []string{
		"/api/runs/../outside/secret/metrics",
		"/api/runs/%2e%2e/outside/metrics",
		"/api/runs/%2e%2e%2foutside%2fsecret/metrics",
		"/api/runs/..%2F..%2Foutside%2Fsecret/metrics",
		"/api/runs/%2F" + strings.TrimPrefix(filepath.ToSlash(filepath.Join(outside, "secret")), "/") + "/metrics",
		"/api/runs/" + strings.ReplaceAll(filepath.Join(outside, "secret"), "/", "%2F") + "/metrics",
		"/api/runs/evil",
		"/api/runs/evil/metrics",
		"/api/runs/abs/metrics",
		"/api/runs/evil/samples",
		"/runs/evil/samples/step-0000001.png",
		"/runs/abs/samples/step-0000001.png",
		"/runs/a/samples/step-0000099.png",
		"/runs/a/samples/..%2F..%2F..%2Foutside%2Fsecret%2Fsamples%2Fstep-0000001.png",
		"/runs/a/samples/%2e%2e",
		"/runs/a/samples/..%2f..%2f..%2foutside%2fpasswd",
		"/runs/a/metrics.jsonl.link",
		"/runs/%2e%2e/samples/step-0000001.png",
		"/static/../../outside/passwd",
		"/static/%2e%2e/%2e%2e/outside/passwd",
		"/api/events?run=../outside/secret",
		"/api/events?run=evil",
		"/api/events?run=" + filepath.Join(outside, "secret"),
		"/api/events?run=a&run=abs",
	}
	for _, target := range refused {
		code, body := get(s, target)
		if code == http.StatusOK || bytes.Contains(body, []byte(secret)) || bytes.Contains(body, secretPNG[20:60]) {
			t.Errorf("GET %s: status %d, body %.80q; want it refused", target, code, body)
		}
	}

	var list []runInfo
	getJSON(t, s, "/api/runs", &list)
	var names []string
	for _, r := range list {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "alias"}) {
		t.Errorf("runs %q, want [a alias]: links out of the folder are not runs", names)
	}
	var samples []sample
	getJSON(t, s, "/api/runs/a/samples", &samples)
	if len(samples) != 1 || samples[0].Step != 1 {
		t.Errorf("samples %v, want step 1 only", samples)
	}
	if code, _ := get(s, "/api/runs/alias/metrics"); code != http.StatusOK {
		t.Errorf("a link inside the folder: status %d, want 200", code)
	}
}

func TestInterpolate(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "a", 5)
	writeRun(t, dir, "b", 5)
	if err := atomicfile.WriteFile(r.CheckpointPath("last"), []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	type call struct {
		dir      string
		from, to uint64
		steps    int
		slerp    bool
	}
	var calls []call
	interp := func(runDir string, from, to uint64, steps int, slerp bool) (image.Image, error) {
		calls = append(calls, call{runDir, from, to, steps, slerp})
		if from == 13 {
			return nil, errors.New("the checkpoint is damaged")
		}
		img := image.NewGray(image.Rect(0, 0, 30*steps, 30))
		img.SetGray(0, 0, color.Gray{Y: uint8(from)})
		return img, nil
	}

	if code, body := get(newTestServer(t, dir), "/api/runs/a/interpolate"); code != http.StatusNotImplemented || !bytes.Contains(body, []byte("not available")) {
		t.Errorf("without an interpolator: status %d, %s; want 501", code, body)
	}
	s := newTestServer(t, dir, WithInterpolator(interp))
	var page runPage
	getJSON(t, s, "/api/runs/a", &page)
	if !page.Interpolation {
		t.Error("the run page says interpolation is unavailable")
	}

	rec := httpGet(s, "/api/runs/a/interpolate?from=7&to=9&steps=5&slerp=false")
	img, err := png.Decode(rec.Body)
	if rec.Code != http.StatusOK || err != nil || img.Bounds().Dx() != 150 || img.(*image.Gray).GrayAt(0, 0).Y != 7 {
		t.Fatalf("status %d, %v: want the interpolator's 150-pixel-wide PNG", rec.Code, err)
	}
	get(s, "/api/runs/a/interpolate")
	want := []call{{filepath.Join(dir, "a"), 7, 9, 5, false}, {filepath.Join(dir, "a"), 1, 2, 8, true}}
	if !slices.Equal(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}

	errs := []struct {
		target string
		code   int
		says   string
	}{
		{"/api/runs/a/interpolate?steps=1", http.StatusBadRequest, "steps"},
		{"/api/runs/a/interpolate?steps=33", http.StatusBadRequest, "steps"},
		{"/api/runs/a/interpolate?from=-1", http.StatusBadRequest, "from"},
		{"/api/runs/a/interpolate?slerp=maybe", http.StatusBadRequest, "slerp"},
		{"/api/runs/a/interpolate?from=13", http.StatusInternalServerError, "damaged"},
		{"/api/runs/b/interpolate", http.StatusNotFound, "checkpoint"},
		{"/api/runs/c/interpolate", http.StatusNotFound, "no such run"},
	}
	for _, e := range errs {
		if code, body := get(s, e.target); code != e.code || !bytes.Contains(body, []byte(e.says)) {
			t.Errorf("GET %s: status %d, %s; want %d mentioning %q", e.target, code, body, e.code, e.says)
		}
	}
}

// The pages come from the binary and load nothing from elsewhere.
func TestPages(t *testing.T) {
	s := newTestServer(t, t.TempDir())
	for _, target := range []string{"/", "/run/a", "/compare?run=a&run=b"} {
		rec := httpGet(s, target)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
			!strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: status %d, %q", target, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	for _, file := range []string{"/", "/static/app.js", "/static/app.css"} {
		rec := httpGet(s, file)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d", file, rec.Code)
		}
		for _, remote := range []string{"http://", "https://", "//cdn"} {
			if strings.Contains(rec.Body.String(), remote) {
				t.Errorf("%s refers to %q", file, remote)
			}
		}
	}
	for _, file := range []string{"uPlot.iife.min.js", "uPlot.min.css", "LICENSE", "VERSION"} {
		if code, body := get(s, "/static/vendor/uplot/"+file); code != http.StatusOK || len(body) == 0 {
			t.Errorf("GET /static/vendor/uplot/%s: status %d", file, code)
		}
	}
}

func TestNewMissingFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := New(missing); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("New(%s) = %v, want an error naming the folder", missing, err)
	}
}

// A file of several read pieces, one line longer than a piece, reads whole.
func TestMetricsLargeFile(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "a", 25_000)
	appendText(t, r.MetricsPath(), `{"step":25001,"note":"`+strings.Repeat("x", 3*readChunk/2)+`","loss_d":7}`+"\n")
	appendRecords(t, r, 25_002, 25_010)
	s := newTestServer(t, dir)
	var m metricsReply
	getJSON(t, s, "/api/runs/a/metrics?keys=loss_d&max_points=1000000", &m)
	steps, loss := m.Columns["step"], m.Columns["loss_d"]
	if m.Rows != 25_010 || m.Skipped != 0 || len(steps) != 25_010 {
		t.Fatalf("rows %d, skipped %d, %d steps; want 25010, 0, 25010", m.Rows, m.Skipped, len(steps))
	}
	for i, p := range steps {
		if *p != float64(i+1) {
			t.Fatalf("row %d has step %v", i, *p)
		}
	}
	if *loss[25_000] != 7 || float32(*loss[25_009]) != float32(stat(metricsAt(25_010, nil), "loss_d")) {
		t.Errorf("loss_d of steps 25001 and 25010: %v, %v", *loss[25_000], *loss[25_009])
	}
}

// The runs list finds the latest record behind malformed lines and a
// partial last line at the end of the file.
func TestLatestBehindBadLines(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "a", 100)
	appendText(t, r.MetricsPath(), strings.Repeat("{not a record}\n", 2000)+`{"step":101,"loss`)
	s := newTestServer(t, dir)
	var list []runInfo
	getJSON(t, s, "/api/runs", &list)
	if len(list) != 1 || list[0].Step != 100 || float32(list[0].Latest["loss_g"]) != float32(stat(metricsAt(100, nil), "loss_g")) {
		t.Errorf("runs %+v, want run a at step 100", list)
	}
}

// TestRunsInSubFolders: the runs of a sweep, in sub-folders, are listed by
// their path and served like any other; a run that says it is running but
// whose process is gone shows as died.
func TestRunsInSubFolders(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "a", 5)
	writeRun(t, dir, "toybench/ring8-ns-1", 5, 5)
	died := writeRun(t, dir, "toybench/grid25-ns-1", 3)
	if err := died.WriteStatus(rundir.Status{State: rundir.StateRunning, Time: time.Now().Add(-time.Hour), PID: 1 << 30, Host: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, dir)
	var list []runInfo
	getJSON(t, s, "/api/runs", &list)
	states := map[string]string{}
	for _, r := range list {
		states[r.Name] = r.Status
	}
	if len(list) != 3 || states["toybench/ring8-ns-1"] == "" || states["toybench/grid25-ns-1"] != rundir.StateDied {
		t.Fatalf("runs %v", states)
	}
	var page runPage
	getJSON(t, s, "/api/runs/toybench%2Fring8-ns-1", &page)
	if page.Name != "toybench/ring8-ns-1" || float64(page.Step) != 5 {
		t.Errorf("run page of a sub-folder run: %+v", page.runInfo)
	}
	var samples []sample
	getJSON(t, s, "/api/runs/toybench%2Fring8-ns-1/samples", &samples)
	if len(samples) != 1 {
		t.Fatalf("samples %v", samples)
	}
	if code, _ := get(s, samples[0].URL); code != http.StatusOK {
		t.Errorf("GET %s: %d", samples[0].URL, code)
	}
	for _, bad := range []string{"/api/runs/toybench", "/api/runs/toybench%2F..%2Fa", "/api/runs/toybench%2F.hidden"} {
		if code, _ := get(s, bad); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, code)
		}
	}
}

// TestEvals lists a run's evaluations by nash eval from its history,
// skipping a line that is not a report.
func TestEvals(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "a", 5)
	writeRun(t, dir, "b", 5)
	fid, floor := 12.5, 1.9
	for _, line := range []string{
		mustJSON(t, evaluate.RunReport{Checkpoint: "last", Step: 5, N: 300, Generated: evaluate.Report{FID: &fid, SWD: &metrics.SWDResult{Mean: 0.02}}, Floor: evaluate.Report{FID: &floor}}),
		"{not json",
		mustJSON(t, evaluate.RunReport{Checkpoint: "best", Step: 3, N: 300}),
	} {
		if err := rundir.AppendEvalHistory(filepath.Join(dir, "a"), []byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestServer(t, dir)
	var rows []evalRow
	getJSON(t, s, "/api/runs/a/evals", &rows)
	if len(rows) != 2 || rows[0].Checkpoint != "last" || rows[0].Generated["fid"] != 12.5 || rows[0].Floor["fid"] != 1.9 || rows[0].Generated["swd"] != 20 || rows[1].Step != 3 {
		t.Errorf("evals of a: %+v", rows)
	}
	getJSON(t, s, "/api/runs/b/evals", &rows)
	if len(rows) != 0 {
		t.Errorf("evals of b, never evaluated: %+v", rows)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
