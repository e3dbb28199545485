package dashboard

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
)

// stepKey names the metric every record has and every chart is drawn over.
const stepKey = "step"

// table holds the records of a metrics.jsonl file as columns: one slice of
// rows values per key, NaN where a record lacks the key or wrote null. Keys
// are kept in the order they first appeared; a key that appears late gets
// NaN for the rows before it. Columns only grow, so a slice taken under the
// lock of the table's owner stays valid to read after the lock is released.
type table struct {
	keys  []string
	index map[string]int
	cols  [][]float64
	rows  int

	// pairs and row are scratch space for the line being parsed; order
	// holds the keys of the last record, in its order, which the next
	// line most likely repeats.
	pairs []pair
	row   []float64
	order []int
	// plain[k] says that keys[k] appears in a line as it is, in quotes.
	plain []bool
}

// pair is one "key": number member of a line; key is the column index, or
// -1 for a key the table does not have yet, which is then named by name.
type pair struct {
	key  int
	name string
	v    float64
}

func newTable() *table {
	return &table{index: make(map[string]int)}
}

// column returns the values of key, or nil if no record had it.
func (t *table) column(key string) []float64 {
	if i, ok := t.index[key]; ok {
		return t.cols[i][:t.rows]
	}
	return nil
}

// parse adds the complete lines of data to the table, as runs.ParseMetrics
// reads them: blank lines are ignored, and a line is skipped unless it is a
// JSON object with a numeric "step"; members whose values are neither
// numbers nor null are ignored and null reads as NaN. It returns the number
// of bytes up to and including the last newline, where the next call
// should start, and the number of lines skipped.
func (t *table) parse(data []byte) (n, skipped int) {
	for {
		i := bytes.IndexByte(data[n:], '\n')
		if i < 0 {
			return n, skipped
		}
		line := data[n : n+i]
		n += i + 1
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !t.add(line) {
			skipped++
		}
	}
}

// add appends the record on line, reporting whether it was one.
func (t *table) add(line []byte) bool {
	t.pairs = t.pairs[:0]
	ok, simple := t.scan(line)
	if !simple {
		t.pairs = t.pairs[:0]
		ok = t.decode(line)
	}
	if !ok {
		return false
	}
	hasStep := false
	for _, p := range t.pairs {
		if p.name == stepKey || (p.key >= 0 && t.keys[p.key] == stepKey) {
			hasStep = !math.IsNaN(p.v)
		}
	}
	if !hasStep {
		return false
	}
	for i := range t.pairs {
		if p := &t.pairs[i]; p.key < 0 && (len(t.keys) < maxSeries || p.name == stepKey) {
			p.key = t.addKey(p.name)
		}
	}
	for i := range t.row {
		t.row[i] = math.NaN()
	}
	t.order = t.order[:0]
	for _, p := range t.pairs {
		if p.key >= 0 { // a key beyond maxSeries is left out
			t.row[p.key] = p.v
			t.order = append(t.order, p.key)
		}
	}
	for i, v := range t.row {
		t.cols[i] = append(t.cols[i], v)
	}
	t.rows++
	return true
}

// maxSeries bounds the keys, and so the columns, of one run's table: once
// it has maxSeries, further keys but step are left out, so that a file of
// many distinct keys cannot make the dashboard hold rows × keys values. A
// training run logs a dozen.
const maxSeries = 256

// reserve makes room in every column for rows records in all without
// allocating.
func (t *table) reserve(rows int) {
	for i, c := range t.cols {
		if cap(c) < rows {
			t.cols[i] = append(make([]float64, 0, rows), c...)
		}
	}
}

// addKey adds a column for name, NaN in every row so far, and returns its
// index. A name repeated within one line is added once.
func (t *table) addKey(name string) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	col := make([]float64, t.rows, max(2*t.rows, 64))
	for i := range col {
		col[i] = math.NaN()
	}
	t.index[name] = len(t.keys)
	t.keys = append(t.keys, name)
	t.plain = append(t.plain, plain(name))
	t.cols = append(t.cols, col)
	t.row = append(t.row, math.NaN())
	return len(t.keys) - 1
}

// plain reports whether key is written in JSON as its bytes in quotes,
// with no escapes and nothing but ASCII.
func plain(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// scan parses line in the form training writes, a flat object of plain
// keys and numbers or nulls, into t.pairs. simple is false if line uses
// anything else (string escapes, non-ASCII keys, other kinds of value),
// which decode then handles; otherwise ok reports whether line is valid.
func (t *table) scan(line []byte) (ok, simple bool) {
	i := skipSpace(line, 0)
	if i == len(line) || line[i] != '{' {
		return false, true
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return skipSpace(line, i+1) == len(line), true
	}
	for {
		if i == len(line) || line[i] != '"' {
			return false, true
		}
		// The key is most likely the one at the same place in the last
		// record; otherwise it is read and looked up.
		start, k := i+1, -1
		if j := len(t.pairs); j < len(t.order) {
			want := t.keys[t.order[j]]
			if end := start + len(want); t.plain[t.order[j]] && end < len(line) && line[end] == '"' && string(line[start:end]) == want {
				k, i = t.order[j], end
			}
		}
		if k < 0 {
			for i = start; i < len(line) && line[i] != '"'; i++ {
				if c := line[i]; c == '\\' || c < 0x20 || c >= 0x80 {
					return false, false
				}
			}
			if i == len(line) {
				return false, true
			}
		}
		key := line[start:i]
		i = skipSpace(line, i+1)
		if i == len(line) || line[i] != ':' {
			return false, true
		}
		i = skipSpace(line, i+1)
		end, v, err := parseNumber(line, i)
		switch {
		case err != nil:
			return false, true
		case end > i:
		case bytes.HasPrefix(line[i:], []byte("null")):
			v, end = math.NaN(), i+len("null")
		default:
			return false, false
		}
		p := pair{key: k, v: v}
		if k < 0 {
			if k, found := t.index[string(key)]; found {
				p.key = k
			} else {
				p.name = string(key)
			}
		}
		t.pairs = append(t.pairs, p)
		i = skipSpace(line, end)
		if i == len(line) {
			return false, true
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return skipSpace(line, i+1) == len(line), true
		default:
			return false, true
		}
	}
}

// decode parses line with encoding/json into t.pairs, in the order of the
// line, keeping numbers and nulls, and reports whether line is a JSON
// object.
func (t *table) decode(line []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key := tok.(string) // Object keys are strings.
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return false
		}
		p := pair{key: -1}
		switch c := raw[0]; {
		case c == 'n':
			p.v = math.NaN()
		case c == '-' || c >= '0' && c <= '9':
			if err := json.Unmarshal(raw, &p.v); err != nil {
				return false
			}
		default:
			continue
		}
		if i, ok := t.index[key]; ok {
			p.key = i
		} else {
			p.name = key
		}
		t.pairs = append(t.pairs, p)
	}
	if _, err := dec.Token(); err != nil {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}

// skipSpace returns the index of the first byte at or after i in b that is
// not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseNumber parses the JSON number -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// starting at b[i]. It returns the index after it, or i if none starts
// there, and its value, an error if it is out of float64's range. Numbers
// of up to 15 significant digits and a decimal exponent within ±22, as
// training writes them, are converted with one exact multiplication or
// division (so correctly rounded); others by strconv.ParseFloat.
func parseNumber(b []byte, i int) (end int, v float64, err error) {
	start := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var mant uint64
	digits, exp := 0, 0
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i, mant, digits = accumulate(b, i, mant, digits)
	default:
		return start, 0, nil
	}
	if i < len(b) && b[i] == '.' {
		var j int
		j, mant, digits = accumulate(b, i+1, mant, digits)
		if j == i+1 {
			return start, 0, nil
		}
		exp -= j - (i + 1)
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		sign := 1
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			if b[i] == '-' {
				sign = -1
			}
			i++
		}
		j, e := i, 0
		for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
			e = min(e*10+int(b[j]-'0'), 1_000_000)
		}
		if j == i {
			return start, 0, nil
		}
		exp += sign * e
		i = j
	}
	if digits > 15 || exp < -22 || exp > 22 {
		v, err = strconv.ParseFloat(string(b[start:i]), 64)
		return i, v, err
	}
	v = float64(mant)
	if exp < 0 {
		v /= pow10[-exp]
	} else {
		v *= pow10[exp]
	}
	if neg {
		v = -v
	}
	return i, v, nil
}

// accumulate reads the decimal digits from b[i] on into the significand
// mant, which holds digits significant digits so far (leading zeros do not
// count); it keeps the first 15 and counts the others. It returns the index
// after the digits and the new mant and digits.
func accumulate(b []byte, i int, mant uint64, digits int) (int, uint64, int) {
	if mant == 0 {
		for i < len(b) && b[i] == '0' {
			i++
		}
	}
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		if digits < 15 {
			mant = mant*10 + uint64(d)
		}
		digits++
	}
	return i, mant, digits
}
