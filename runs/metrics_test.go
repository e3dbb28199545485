package runs

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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

func TestAppendLines(t *testing.T) {
	cases := []struct {
		name string
		rec  Record
		line string
		back Record // what ReadMetrics returns
	}{
		{"leading keys first", Record{"loss_g": 2, "d_fake": 0.25, "epoch": 1, "step": 10, "time": 1732235118.123, "d_real": 0.75},
			`{"step":10,"epoch":1,"time":1732235118.123,"d_fake":0.25,"d_real":0.75,"loss_g":2}`,
			Record{"loss_g": 2, "d_fake": 0.25, "epoch": 1, "step": 10, "time": 1732235118.123, "d_real": 0.75}},
		{"float32 values", Record{"step": 1, "loss_d": float64(float32(0.6931472)), "lr": 2e-4},
			`{"step":1,"loss_d":0.6931472,"lr":0.0002}`,
			Record{"step": 1, "loss_d": 0.6931472, "lr": 2e-4}},
		{"non-finite", Record{"step": 2, "loss_d": math.NaN(), "loss_g": math.Inf(1), "x": math.Inf(-1)},
			`{"step":2,"loss_d":null,"loss_g":null,"x":null}`,
			Record{"step": 2, "loss_d": math.NaN(), "loss_g": math.NaN(), "x": math.NaN()}},
		{"large and small", Record{"step": 1e7, "big": 1e21, "tiny": 1e-7, "zero": 0, "neg": -3.5},
			`{"step":10000000,"big":1e+21,"neg":-3.5,"tiny":1e-07,"zero":0}`,
			Record{"step": 1e7, "big": 1e21, "tiny": 1e-7, "zero": 0, "neg": -3.5}},
		{"integers stay exact", Record{"step": 16777217, "time": 1732235136, "n": 3e20},
			`{"step":16777217,"time":1732235136,"n":300000000000000000000}`,
			Record{"step": 16777217, "time": 1732235136, "n": 3e20}},
		{"escaped key", Record{"step": 0, `a"b`: 1}, `{"step":0,"a\"b":1}`, Record{"step": 0, `a"b`: 1}},
	}
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	w, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, c := range cases {
		if err := w.Append(c.rec); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want.WriteString(c.line + "\n")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("metrics.jsonl is\n%s\nwant\n%s", got, want.String())
	}
	recs, skipped, err := ReadMetrics(path)
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
	w, err := OpenMetrics(filepath.Join(t.TempDir(), "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, rec := range []Record{{"loss_d": 1}, {"step": math.NaN()}, {"step": 1, "\xff": 2}} {
		if err := w.Append(rec); err == nil {
			t.Errorf("Append(%v) succeeded", rec)
		}
	}
}

func TestOpenMetricsAppendsAfterPartialLine(t *testing.T) {
	cases := []struct {
		name, before, want string
	}{
		{"new file", "", `{"step":3}` + "\n"},
		{"whole lines", `{"step":1}` + "\n", `{"step":1}` + "\n" + `{"step":3}` + "\n"},
		{"partial line", `{"step":1}` + "\n" + `{"step":2,"lo`, `{"step":1}` + "\n" + `{"step":2,"lo` + "\n" + `{"step":3}` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "metrics.jsonl")
			if c.before != "" {
				if err := os.WriteFile(path, []byte(c.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w, err := OpenMetrics(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Append(Record{"step": 3}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
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
