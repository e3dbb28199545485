package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/rundir"
)

var screenshot = flag.String("screenshot", "", "where TestBrowser saves its screenshot of a run's page (default: a temporary folder)")

// chromium returns the path of a Chromium or Chrome binary, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser loads the dashboard in headless Chromium and checks what it
// draws: the charts hold the run's records, the sample slider switches
// the grid shown (and a conditional run's class grid of the same step), lines appended to metrics.jsonl reach the charts through
// the event stream, the interpolation panel shows the injected
// interpolator's picture, comparing runs overlays them, and a run on token
// sequences shows its generated lines, a chosen step's and each new one's.
func TestBrowser(t *testing.T) {
	exe := chromium()
	if exe == "" {
		t.Skip("no Chromium binary on PATH (chromium, chromium-browser, google-chrome, headless-shell); on Debian: apt-get install chromium")
	}
	dir := t.TempDir()
	a := writeRun(t, dir, "a", 60, 20, 40, 60)
	writeRun(t, dir, "b", 45, 45)
	writeClassGrid(t, a, 60)
	// A run on token sequences, whose samples are lines of text.
	tr := writeRun(t, dir, "t", 8)
	text := map[int]string{4: writeLines(t, tr, 4), 8: writeLines(t, tr, 8)}
	if err := atomicfile.WriteFile(a.CheckpointPath("last"), []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The interpolation is a strip of steps grey squares, from black to
	// white, 20 pixels a side.
	interp := func(_ string, _, _ uint64, steps int, _ bool) (image.Image, error) {
		img := image.NewGray(image.Rect(0, 0, 20*steps, 20))
		for x := range 20 * steps {
			for y := range 20 {
				img.SetGray(x, y, color.Gray{Y: uint8(255 * (x / 20) / (steps - 1))})
			}
		}
		return img, nil
	}
	s := newTestServer(t, dir, WithPollInterval(50*time.Millisecond), WithInterpolator(interp))
	srv := httptest.NewServer(s)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx, cancel = chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1200),
	)
	defer cancel()
	var mu sync.Mutex
	var jsErrors []string
	ctx, cancel = chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			jsErrors = append(jsErrors, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				jsErrors = append(jsErrors, fmt.Sprint("console.error ", ev.Args))
			}
		}
	}))
	defer cancel()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range jsErrors {
			t.Errorf("JavaScript: %s", e)
		}
	}()

	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	wait := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(8*time.Second))); err != nil {
			t.Fatalf("waiting for %s (%s): %v", what, expr, err)
		}
	}

	evalFID := 12.5
	for _, step := range []int{40, 60} {
		line, _ := json.Marshal(evaluate.RunReport{Checkpoint: "last", Step: step, N: 300, Generated: evaluate.Report{FID: &evalFID}, Floor: evaluate.Report{FID: &evalFID}})
		if err := rundir.AppendEvalHistory(a.Dir(), line); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/a")); err != nil {
		t.Fatal(err)
	}
	wait("the run page", "window.board && board.ready && document.querySelector('.live.on') !== null")

	// The charts hold every record: steps 1…60 and the run's values.
	data, err := chromedp.Run(ctx, chromedp.Evaluate[[][]float64](`(() => {
		const l = board.charts.losses.data, d = board.charts.disc.data;
		return [l[0], l[1], l[2], d[1], d[2]];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 5 || len(data[0]) != 60 {
		t.Fatalf("charts hold %d columns of %d points, want 5 of 60", len(data), len(data[0]))
	}
	for i := range 60 {
		m := metricsAt(i+1, nil)
		want := []float64{float64(i + 1), stat(m, "loss_d"), stat(m, "loss_g"), stat(m, "d_real"), stat(m, "d_fake")}
		for c := range want {
			if float32(data[c][i]) != float32(want[c]) {
				t.Errorf("point %d of column %d: %v, want %v", i, c, data[c][i], want[c])
			}
		}
	}
	// Each series is drawn smoothed over its raw values, as TensorBoard
	// smooths (weight 0.6 by default, debiased at the start); the slider
	// sets the weight, 0 drawing the raw values.
	smoothed := func() []float64 {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`board.charts.losses.data[3]`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	last, n := 0.0, 0
	for i, v := range smoothed() {
		last = 0.6*last + 0.4*float64(float32(stat(metricsAt(i+1, nil), "loss_d")))
		n++
		if want := last / (1 - math.Pow(0.6, float64(n))); math.Abs(v-want) > 1e-5*math.Abs(want) {
			t.Fatalf("smoothed loss_d at step %d: %v, want %v", i+1, v, want)
		}
	}
	eval(`(() => { const s = document.querySelector('input.smoothing'); s.value = 0; s.dispatchEvent(new Event('input')); return ""; })()`)
	for i, v := range smoothed() {
		if float32(v) != float32(stat(metricsAt(i+1, nil), "loss_d")) {
			t.Fatalf("smoothing 0: loss_d at step %d drawn as %v, want the raw value", i+1, v)
		}
	}
	if got := eval(`board.charts.disc.series.map((s) => s.label).join(",")`); got != "step,D(x) (raw),D(G(z)) (raw),D(x),D(G(z))" {
		t.Errorf("discriminator chart's series: %s", got)
	}

	if got := eval(`Object.keys(board.charts).join(",")`); got != "losses,disc" {
		t.Errorf("charts %s, want losses,disc", got)
	}
	if got := eval(`document.querySelector('[data-chart=disc] .note')?.textContent ?? "none"`); !strings.Contains(got, "D = 0.5") {
		t.Errorf("the discriminator chart's note: %q, want the equilibrium line's", got)
	}

	// The slider shows the latest grid, and moving it shows another.
	src := `document.querySelector('.tl-img').getAttribute('src')`
	if got := eval(src); got != "/runs/a/samples/step-0000060.png" {
		t.Errorf("sample shown first: %s, want step 60's", got)
	}
	// With it, the class grid of the same step (run a is conditional at step 60 only).
	classes := `document.querySelector('.tl-classes').getAttribute('src')`
	wait("the class grid to load", `document.querySelector('.tl-classes').complete && document.querySelector('.tl-classes').naturalHeight === 30`)
	if got := eval(classes); got != "/runs/a/samples/classes-0000060.png" {
		t.Errorf("class grid shown first: %q, want step 60's", got)
	}
	eval(`(() => { const s = document.querySelector('.tl-slider'); s.value = 0; s.dispatchEvent(new Event('input')); return ""; })()`)
	if got := eval(src); got != "/runs/a/samples/step-0000020.png" {
		t.Errorf("sample shown at the slider's start: %s, want step 20's", got)
	}
	if got := eval(classes + ` + " " + getComputedStyle(document.querySelector('.tl-classes')).display`); got != " none" {
		t.Errorf("class grid at step 20, which has none: src and display %q, want an empty, hidden image", got)
	}
	wait("the grid to load", `document.querySelector('.tl-img').complete && document.querySelector('.tl-img').naturalWidth === 62`)

	// A record appended now reaches the charts, and its new key gets a chart.
	w, err := a.OpenMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(metricsAt(61, rundir.Record{"fid": 33.5})); err != nil {
		t.Fatal(err)
	}
	w.Close()
	wait("the appended record", `board.charts.losses.data[0].length === 61 && board.charts["metric:fid"] !== undefined`)
	fid := `(() => { const d = board.charts["metric:fid"].data; return [d[0].length, d[1].filter((v) => v !== null).join(), d[1].at(-1)].join(" "); })()`
	if got := eval(fid); got != "61 33.5 33.5" {
		t.Errorf("fid chart: points, values, last value: %s; want 61, only 33.5, 33.5", got)
	}

	// The evaluations by nash eval are listed, newest first.
	if got := eval(`[...document.querySelectorAll('.evals tbody tr')].map((r) => r.cells[2].textContent + ":" + r.cells[4].textContent).join(",")`); got != "60:12.50 (12.50),40:12.50 (12.50)" {
		t.Errorf("evaluations listed: %q", got)
	}

	// The interpolation panel shows the interpolator's picture.
	eval(`(() => { const f = document.querySelector('.interp form'); f.steps.value = 6; f.requestSubmit(); return ""; })()`)
	wait("the interpolation", `document.querySelector('.interp img').complete && document.querySelector('.interp img').naturalWidth === 120`)

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(shot)); err != nil || img.Bounds().Dx() < 1000 {
		t.Fatalf("screenshot: %v", err)
	}
	path := *screenshot
	if path == "" {
		path = filepath.Join(t.TempDir(), "board.png")
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the run page: %s", path)

	// Comparing runs overlays them: two keys per chart and run, each raw and
	// smoothed, over the union of their steps.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/compare?run=a&run=b")); err != nil {
		t.Fatal(err)
	}
	wait("the comparison page", "window.board && board.ready && board.charts.losses !== undefined")
	got := eval(`[board.charts.losses.series.length, board.charts.losses.data[0].length, board.charts.losses.data[5].filter((v) => v != null).length, document.querySelectorAll('.timeline').length].join(" ")`)
	if got != "9 61 45 2" {
		t.Errorf("series, steps, run b's points, timelines: %s; want 9 61 45 2", got)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	wait("the runs list", "window.board && board.ready")
	if got := eval(`[...document.querySelectorAll('table.runs tbody tr td:nth-child(2) a')].map((a) => a.textContent).sort().join(",")`); got != "a,b,t" {
		t.Errorf("runs listed: %s, want a, b and t", got)
	}
	if got := eval(`[...document.querySelectorAll('a.latest-text')].map((a) => a.getAttribute('href')).join(",")`); got != "/runs/t/samples/step-0000008.txt" {
		t.Errorf("links to the latest lines: %q, want run t's of step 8", got)
	}

	// A run on token sequences shows the lines of its latest step, another
	// step's when the slider moves, and a new step's as it is written.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/run/t")); err != nil {
		t.Fatal(err)
	}
	wait("the text run's page", "window.board && board.ready && document.querySelector('.live.on') !== null")
	shown := func(step int) string {
		return fmt.Sprintf(`(() => { const p = document.querySelector('.tl-text'); return !p.hidden && p.dataset.url === "/runs/t/samples/step-%07d.txt"; })()`, step)
	}
	lines := `document.querySelector('.tl-text').textContent`
	wait("step 8's lines", shown(8))
	if got := eval(lines); got != text[8] {
		t.Errorf("lines shown first: %q, want step 8's %q", got, text[8])
	}
	if got := eval(`document.querySelector('.tl-img').getAttribute('src')`); got != "" {
		t.Errorf("a text run shows a picture %q", got)
	}
	slide := `(() => { const s = document.querySelector('.tl-slider'); s.value = %s; s.dispatchEvent(new Event('input')); return ""; })()`
	eval(fmt.Sprintf(slide, "0"))
	wait("step 4's lines", shown(4))
	if got := eval(lines); got != text[4] {
		t.Errorf("lines at the slider's start: %q, want step 4's %q", got, text[4])
	}
	eval(fmt.Sprintf(slide, "s.max"))
	text[12] = writeLines(t, tr, 12)
	wait("step 12's lines, written after the page loaded", shown(12))
	if got := eval(lines); got != text[12] {
		t.Errorf("lines after step 12 was written: %q, want %q", got, text[12])
	}
}
