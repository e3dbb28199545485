package rundir

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sameRecord reports whether a and b hold the same keys and values, NaN
// equal to NaN.
func sameRecord(a, b Record) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !(v == w || math.IsNaN(v) && math.IsNaN(w)) {
			return false
		}
	}
	return true
}

// newRun creates a run in a temporary directory.
func newRun(t *testing.T) *Run {
	t.Helper()
	r, err := Create(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAppendLines(t *testing.T) {
	at := time.Unix(1795307118, 123_456_789) // written truncated to the millisecond
	f32 := func(v float64) float64 { return float64(float32(v)) }
	cases := []struct {
		name string
		m    Metrics
		line string
		back Record // what ReadMetrics returns
	}{
		{"standard keys", Metrics{Step: 10, Epoch: 1, Time: at, Stats: classic(1.25, 2, 0.75, 0.25)},
			`{"step":10,"epoch":1,"time":1795307118.123,"loss_d":1.25,"loss_g":2,"d_real":0.75,"d_fake":0.25}`,
			Record{"step": 10, "epoch": 1, "time": 1795307118.123, "loss_d": 1.25, "loss_g": 2, "d_real": 0.75, "d_fake": 0.25}},
		{"float32 values", Metrics{Step: 1, Time: at, Stats: classic(f32(0.6931472), f32(0.1), 0.1, 2e-4)},
			`{"step":1,"epoch":0,"time":1795307118.123,"loss_d":0.6931472,"loss_g":0.1,"d_real":0.1,"d_fake":0.0002}`,
			Record{"step": 1, "epoch": 0, "time": 1795307118.123, "loss_d": 0.6931472, "loss_g": 0.1, "d_real": 0.1, "d_fake": 2e-4}},
		{"non-finite", Metrics{Step: 2, Time: at, Stats: classic(math.NaN(), math.Inf(1), math.Inf(-1), 0)},
			`{"step":2,"epoch":0,"time":1795307118.123,"loss_d":null,"loss_g":null,"d_real":null,"d_fake":0}`,
			Record{"step": 2, "epoch": 0, "time": 1795307118.123, "loss_d": math.NaN(), "loss_g": math.NaN(), "d_real": math.NaN(), "d_fake": 0}},
		{"extra keys sorted", Metrics{Step: 3, Time: at, Stats: classic(0, 0, 0, 0), Extra: Record{"lr": 2e-4, "gp": f32(1e-7), "a\"b": -3.5, "big": 1e21}},
			`{"step":3,"epoch":0,"time":1795307118.123,"loss_d":0,"loss_g":0,"d_real":0,"d_fake":0,"a\"b":-3.5,"big":1e+21,"gp":1e-07,"lr":0.0002}`,
			Record{"step": 3, "epoch": 0, "time": 1795307118.123, "loss_d": 0, "loss_g": 0, "d_real": 0, "d_fake": 0,
				"a\"b": -3.5, "big": 1e21, "gp": 1e-7, "lr": 2e-4}},
		{"a game's own statistics in its order", Metrics{Step: 4, Time: at, Stats: []Stat{{"loss_g_a", 1}, {"cycle", 0.5}}, Extra: Record{"b": 2}},
			`{"step":4,"epoch":0,"time":1795307118.123,"loss_g_a":1,"cycle":0.5,"b":2}`,
			Record{"step": 4, "epoch": 0, "time": 1795307118.123, "loss_g_a": 1, "cycle": 0.5, "b": 2}},
		{"integers stay exact", Metrics{Step: 16777217, Time: time.Unix(1732235136, 0), Stats: classic(0, 0, 0, 0), Extra: Record{"n": 3e20}},
			`{"step":16777217,"epoch":0,"time":1732235136,"loss_d":0,"loss_g":0,"d_real":0,"d_fake":0,"n":300000000000000000000}`,
			Record{"step": 16777217, "epoch": 0, "time": 1732235136, "loss_d": 0, "loss_g": 0, "d_real": 0, "d_fake": 0, "n": 3e20}},
	}
	r := newRun(t)
	w, err := r.OpenMetrics()
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, c := range cases {
		if err := w.Append(c.m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want.WriteString(c.line + "\n")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(r.MetricsPath())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("metrics.jsonl is\n%s\nwant\n%s", got, want.String())
	}
	recs, skipped, err := ReadMetrics(r.MetricsPath())
	if err != nil || skipped != 0 || len(recs) != len(cases) {
		t.Fatalf("ReadMetrics: %d records, %d skipped, %v", len(recs), skipped, err)
	}
	for i, c := range cases {
		if !sameRecord(recs[i], c.back) {
			t.Errorf("%s: read back %v, want %v", c.name, recs[i], c.back)
		}
	}
}

func TestAppendRejects(t *testing.T) {
	r := newRun(t)
	w, err := r.OpenMetrics()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	now := time.Now()
	cases := []struct {
		m    Metrics
		want string
	}{
		{Metrics{Step: 4}, "step 4: record has no time"},
		{Metrics{Step: 5, Time: now, Stats: classic(0, 0, 0, 0), Extra: Record{"loss_d": 1}}, `step 5: key "loss_d" appears twice`},
		{Metrics{Step: 6, Time: now, Extra: Record{"\xff": 1}}, `step 6: key "\xff" is not valid UTF-8`},
		{Metrics{Step: 7, Time: now, Stats: []Stat{{"step", 1}}}, `step 7: key "step" appears twice`},
		{Metrics{Step: 8, Time: now, Stats: classic(1, 2, 3, 4), Extra: Record{"d_fake": 1}}, `step 8: key "d_fake" appears twice`},
	}
	for _, c := range cases {
		err := w.Append(c.m)
		if want := "rundir: " + r.MetricsPath() + ": " + c.want; err == nil || err.Error() != want {
			t.Errorf("Append(%+v): %v, want %s", c.m, err, want)
		}
	}
	if b, _ := os.ReadFile(r.MetricsPath()); len(b) != 0 {
		t.Errorf("rejected records wrote %q", b)
	}
}

func TestOpenMetricsAppendsAfterPartialLine(t *testing.T) {
	line := func(step int) string {
		return `{"step":` + strconv.Itoa(step) + `,"epoch":0,"time":1,"loss_d":0,"loss_g":0,"d_real":0,"d_fake":0}` + "\n"
	}
	cases := []struct {
		name, before, want string
	}{
		{"new file", "", line(3)},
		{"whole lines", line(1), line(1) + line(3)},
		{"partial line", line(1) + `{"step":2,"lo`, line(1) + `{"step":2,"lo` + "\n" + line(3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRun(t)
			if c.before != "" {
				if err := os.WriteFile(r.MetricsPath(), []byte(c.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w, err := r.OpenMetrics()
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Append(Metrics{Step: 3, Time: time.Unix(1, 0), Stats: classic(0, 0, 0, 0)}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(r.MetricsPath())
			if string(got) != c.want {
				t.Errorf("file is %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseMetrics(t *testing.T) {
	cases := []struct {
		name    string
		data    string
		steps   []float64
		rest    string // the unconsumed tail
		skipped int
	}{
		{"empty", "", nil, "", 0},
		{"whole lines", "{\"step\":1}\n{\"step\":2}\n", []float64{1, 2}, "", 0},
		{"partial last line", "{\"step\":1}\n{\"step\":2,\"loss", []float64{1}, "{\"step\":2,\"loss", 0},
		{"complete JSON without newline", "{\"step\":1}\n{\"step\":2}", []float64{1}, "{\"step\":2}", 0},
		{"blank lines", "\n  \n{\"step\":1}\r\n\n", []float64{1}, "", 0},
		{"malformed lines", "{\"step\":1}\n{\"step\":\n[1,2]\nnull\n\"s\"\n{\"loss\":1}\n{\"step\":null}\n" +
			"{\"step\":\"3\"}\n{\"step\":1e999}\n{\"step\":4} x\n{\"step\":5}\n",
			[]float64{1, 5}, "", 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, n, skipped := ParseMetrics([]byte(c.data))
			var steps []float64
			for _, r := range recs {
				steps = append(steps, r["step"])
			}
			if !slices.Equal(steps, c.steps) || c.data[n:] != c.rest || skipped != c.skipped {
				t.Errorf("ParseMetrics = steps %v, rest %q, skipped %d; want %v, %q, %d",
					steps, c.data[n:], skipped, c.steps, c.rest, c.skipped)
			}
		})
	}
}

func TestParseMetricsValues(t *testing.T) {
	recs, _, skipped := ParseMetrics([]byte(`{"step":7,"loss_d":null,"note":"warmup","ok":true,"nested":{"a":1},"d_real":0.5}` + "\n"))
	want := Record{"step": 7, "loss_d": math.NaN(), "d_real": 0.5}
	if skipped != 0 || len(recs) != 1 || !sameRecord(recs[0], want) {
		t.Errorf("ParseMetrics = %v (%d skipped), want [%v]", recs, skipped, want)
	}
}

func TestReadMetricsCountsPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	data := "{\"step\":1}\nnot json\n{\"step\":2}\n{\"step\":3,\"lo"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err := ReadMetrics(path)
	if err != nil || len(recs) != 2 || recs[1]["step"] != 2 || skipped != 2 {
		t.Errorf("ReadMetrics = %v, %d skipped, %v; want steps 1 and 2, 2 skipped", recs, skipped, err)
	}
	if _, _, err := ReadMetrics(filepath.Join(t.TempDir(), "none.jsonl")); err == nil {
		t.Error("ReadMetrics of a missing file succeeded")
	}
}

func TestTruncateMetrics(t *testing.T) {
	cases := []struct {
		name, before, after, aside string
		moved                      int
	}{
		{"later steps dropped", "{\"step\":10}\n{\"step\":20}\n{\"step\":30}\n", "{\"step\":10}\n{\"step\":20}\n", "", 0},
		{"nothing to drop", "{\"step\":10}\n{\"step\":20}\n", "{\"step\":10}\n{\"step\":20}\n", "", 0},
		{"malformed lines moved aside, partial line dropped", "{\"step\":10}\nxx\n\n{\"step\":20}\n{\"step\":2", "{\"step\":10}\n{\"step\":20}\n", "xx\n", 1},
		{"NaN tokens kept aside", "{\"step\":10,\"loss_d\":NaN}\n{\"step\":20}\n{\"step\":30,\"loss_d\":NaN}\n", "{\"step\":20}\n", "{\"step\":10,\"loss_d\":NaN}\n{\"step\":30,\"loss_d\":NaN}\n", 2},
		{"everything dropped", "{\"step\":30}\n", "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRun(t)
			if err := os.WriteFile(r.MetricsPath(), []byte(c.before), 0o644); err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				moved, err := r.TruncateMetrics(20)
				if err != nil {
					t.Fatal(err)
				}
				if want := c.moved * (1 - round); moved != want {
					t.Errorf("round %d: TruncateMetrics(20) moved %d lines aside, want %d", round, moved, want)
				}
			}
			got, _ := os.ReadFile(r.MetricsPath())
			if string(got) != c.after {
				t.Errorf("after TruncateMetrics(20): %q, want %q", got, c.after)
			}
			aside, err := os.ReadFile(r.MalformedMetricsPath())
			if c.aside == "" && !os.IsNotExist(err) {
				t.Errorf("%s written (%q, %v), want none", r.MalformedMetricsPath(), aside, err)
			}
			if string(aside) != c.aside {
				t.Errorf("%s: %q, want %q", r.MalformedMetricsPath(), aside, c.aside)
			}
		})
	}
	r := newRun(t)
	if _, err := r.TruncateMetrics(5); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(r.MetricsPath()); !os.IsNotExist(err) {
		t.Errorf("TruncateMetrics created the missing file: %v", err)
	}
}

// classic returns the classic game's statistics with the given values.
func classic(lossD, lossG, dReal, dFake float64) []Stat {
	return []Stat{{"loss_d", lossD}, {"loss_g", lossG}, {"d_real", dReal}, {"d_fake", dFake}}
}
