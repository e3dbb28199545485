package dashboard

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/rundir"
)

// rowsOf returns the table's rows as maps of their non-NaN values.
func rowsOf(t *table) []map[string]float64 {
	rows := make([]map[string]float64, t.rows)
	for i := range rows {
		rows[i] = map[string]float64{}
		for k, key := range t.keys {
			if v := t.cols[k][i]; !math.IsNaN(v) {
				rows[i][key] = v
			}
		}
	}
	return rows
}

// withoutNaN returns runs' records as maps of their non-NaN values.
func withoutNaN(recs []rundir.Record) []map[string]float64 {
	rows := make([]map[string]float64, len(recs))
	for i, r := range recs {
		rows[i] = map[string]float64{}
		for k, v := range r {
			if !math.IsNaN(v) {
				rows[i][k] = v
			}
		}
	}
	return rows
}

var parseTests = []struct {
	name    string
	data    string
	want    []map[string]float64
	keys    []string
	n       int // bytes consumed; -1 for all
	skipped int
}{
	{
		name: "training's lines",
		data: `{"step":10,"epoch":0,"time":1795307118.123,"loss_d":1.3275,"loss_g":0.7226138,"d_real":0.5137,"d_fake":0.4899}
{"step":20,"epoch":0,"time":1795307118.27,"loss_d":1.1986449,"loss_g":0.7912,"d_real":0.5604,"d_fake":0.4711}
`,
		want: []map[string]float64{
			{"step": 10, "epoch": 0, "time": 1795307118.123, "loss_d": 1.3275, "loss_g": 0.7226138, "d_real": 0.5137, "d_fake": 0.4899},
			{"step": 20, "epoch": 0, "time": 1795307118.27, "loss_d": 1.1986449, "loss_g": 0.7912, "d_real": 0.5604, "d_fake": 0.4711},
		},
		keys: []string{"step", "epoch", "time", "loss_d", "loss_g", "d_real", "d_fake"},
		n:    -1,
	},
	{
		name: "numbers at the edges of the fast conversion",
		data: `{"step":123456789012345,"a":1234567890123456,"b":9007199254740993,"c":1e22,"d":1e23,"e":-1.5e-22,` +
			`"f":0.1e-22,"g":0.000001,"h":1.0000000000000002,"i":100000000000000000000000,"j":0.30000000000000004,` +
			`"k":-0,"l":4.9e-324,"m":1.7976931348623157e308,"n":0E+0,"o":123.456e-5}` + "\n",
		want: []map[string]float64{{"step": 123456789012345, "a": 1234567890123456, "b": 9007199254740993, "c": 1e22,
			"d": 1e23, "e": -1.5e-22, "f": 0.1e-22, "g": 0.000001, "h": 1.0000000000000002, "i": 1e23, "j": 0.30000000000000004,
			"k": 0, "l": 4.9e-324, "m": 1.7976931348623157e308, "n": 0, "o": 123.456e-5}},
		n: -1,
	},
	{
		name: "a key appearing later",
		data: "{\"step\":1,\"loss_d\":2}\n{\"step\":2,\"fid\":31.5,\"loss_d\":1}\n{\"step\":3,\"loss_d\":0.5}\n",
		want: []map[string]float64{{"step": 1, "loss_d": 2}, {"step": 2, "loss_d": 1, "fid": 31.5}, {"step": 3, "loss_d": 0.5}},
		keys: []string{"step", "loss_d", "fid"},
		n:    -1,
	},
	{
		name: "null, strings, booleans, arrays and objects",
		data: `{"step":1,"loss_d":null,"note":"x","ok":true,"v":[1,2],"o":{"a":1},"loss_g":-1.5e-7}` + "\n",
		want: []map[string]float64{{"step": 1, "loss_g": -1.5e-7}},
		keys: []string{"step", "loss_d", "loss_g"},
		n:    -1,
	},
	{
		name:    "lines that are not records",
		data:    "[1,2]\n3\nnull\n\"step\"\n{}\n{\"loss_d\":1}\n{\"step\":null}\n{\"step\":\"1\"}\n{\"step\":1,}\n{\"step\":01}\n{\"step\":1e999}\n{\"step\":-}\n{\"step\":1.}\n{step:1}\n",
		n:       -1,
		skipped: 14,
	},
	{
		name:    "a torn line between good ones",
		data:    "{\"step\":1,\"loss_d\":2}\n{\"step\":2,\"lo\n{\"step\":3,\"loss_d\":4}\n",
		want:    []map[string]float64{{"step": 1, "loss_d": 2}, {"step": 3, "loss_d": 4}},
		keys:    []string{"step", "loss_d"},
		n:       -1,
		skipped: 1,
	},
	{
		name: "a last line without its newline is left unread",
		data: "{\"step\":1}\n{\"step\":2,\"loss",
		want: []map[string]float64{{"step": 1}},
		keys: []string{"step"},
		n:    len("{\"step\":1}\n"),
	},
	{
		name: "blank lines, spaces and carriage returns",
		data: "\n  \r\n { \"step\" : 5 , \"loss_d\" : 1 } \r\n\t\n",
		want: []map[string]float64{{"step": 5, "loss_d": 1}},
		keys: []string{"step", "loss_d"},
		n:    -1,
	},
	{
		name: "escaped and non-ASCII keys",
		data: `{"step":1,"lo\u0073s_d":3,"Δ":4}` + "\n",
		want: []map[string]float64{{"step": 1, "loss_d": 3, "Δ": 4}},
		n:    -1,
	},
	{
		name: "keys in another order than the last line's",
		data: `{"step":1,"a":1,"b":2}` + "\n" + `{"step":2,"b":3,"a":4}` + "\n" + `{"step":3,"ab":5,"a":6}` + "\n" +
			`{"step":4,"a\"b":7}` + "\n" + `{"step":5,"a"b":8}` + "\n" + `{"step":6,"a\u0022b":9,"a":10}` + "\n",
		want: []map[string]float64{{"step": 1, "a": 1, "b": 2}, {"step": 2, "a": 4, "b": 3}, {"step": 3, "ab": 5, "a": 6},
			{"step": 4, `a"b`: 7}, {"step": 6, `a"b`: 9, "a": 10}},
		keys:    []string{"step", "a", "b", "ab", `a"b`},
		n:       -1,
		skipped: 1,
	},
	{
		name: "a repeated key keeps its last value",
		data: `{"step":1,"loss_d":1,"loss_d":2,"step":7}` + "\n",
		want: []map[string]float64{{"step": 7, "loss_d": 2}},
		keys: []string{"step", "loss_d"},
		n:    -1,
	},
	{
		name:    "a repeated step that ends null",
		data:    `{"step":1,"step":null}` + "\n",
		n:       -1,
		skipped: 1,
	},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTable()
			n, skipped := tab.parse([]byte(tt.data))
			wantN := tt.n
			if wantN < 0 {
				wantN = len(tt.data)
			}
			if n != wantN || skipped != tt.skipped {
				t.Errorf("parse = %d bytes, %d skipped; want %d, %d", n, skipped, wantN, tt.skipped)
			}
			if got := rowsOf(tab); !reflect.DeepEqual(got, tt.want) && (len(got) > 0 || len(tt.want) > 0) {
				t.Errorf("rows = %v\nwant   %v", got, tt.want)
			}
			if tt.keys != nil && !slices.Equal(tab.keys, tt.keys) {
				t.Errorf("keys = %q, want %q", tab.keys, tt.keys)
			}
		})
	}
}

// Parsing a file in pieces, as a live file is followed, gives the table
// that parsing it whole gives.
func TestParseInPieces(t *testing.T) {
	var data strings.Builder
	for _, tt := range parseTests {
		data.WriteString(tt.data)
		if !strings.HasSuffix(tt.data, "\n") {
			data.WriteString("\n")
		}
	}
	whole := newTable()
	wholeN, wholeSkipped := whole.parse([]byte(data.String()))
	for _, cut := range []int{1, 7, 64, 500} {
		pieces := newTable()
		src := data.String()
		offset, skipped := 0, 0
		for end := cut; offset < len(src); end += cut {
			n, s := pieces.parse([]byte(src[offset:min(end, len(src))]))
			offset += n
			skipped += s
			if end >= len(src) {
				break
			}
		}
		if offset != wholeN || skipped != wholeSkipped {
			t.Errorf("cut %d: consumed %d, skipped %d; whole: %d, %d", cut, offset, skipped, wholeN, wholeSkipped)
		}
		if !reflect.DeepEqual(rowsOf(pieces), rowsOf(whole)) || !slices.Equal(pieces.keys, whole.keys) {
			t.Errorf("cut %d: the tables differ", cut)
		}
	}
}

// checkAgrees fails unless the table reads data as rundir.ParseMetrics does.
func checkAgrees(t *testing.T, data []byte) {
	recs, wantN, wantSkipped := rundir.ParseMetrics(data)
	tab := newTable()
	n, skipped := tab.parse(data)
	if n != wantN || skipped != wantSkipped {
		t.Fatalf("parse = %d bytes, %d skipped; rundir.ParseMetrics: %d, %d", n, skipped, wantN, wantSkipped)
	}
	got, want := rowsOf(tab), withoutNaN(recs)
	if len(got) != len(want) {
		t.Fatalf("%d rows, rundir.ParseMetrics %d", len(got), len(want))
	}
	for i := range got {
		if !maps.EqualFunc(got[i], want[i], func(a, b float64) bool { return a == b }) {
			t.Fatalf("row %d = %v, rundir.ParseMetrics %v", i, got[i], want[i])
		}
	}
}

// The dashboard's fast reader and the contract's reader agree.
func TestParseAgreesWithRuns(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) { checkAgrees(t, []byte(tt.data)) })
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgrees(t, data)
	})
}
