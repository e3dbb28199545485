package dashboard

import (
	"encoding/json"
	"math"
	"strconv"
)

// number is a float64 that encodes to JSON as null when it is NaN or
// infinite, as metrics.jsonl writes such values.
type number float64

// MarshalJSON implements json.Marshaler.
func (n number) MarshalJSON() ([]byte, error) {
	return appendNumber(nil, float64(n)), nil
}

// appendNumber appends v as a JSON number, or null if it is not finite.
// Like encoding/json, it uses an exponent only below 1e-6 or from 1e21.
func appendNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, v, format, -1, 64)
}

// appendColumn appends "key":[values at idx] to b.
func appendColumn(b []byte, key string, values []float64, idx []int) []byte {
	b = append(b, quote(key)...)
	b = append(b, ':', '[')
	for j, i := range idx {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendNumber(b, values[i])
	}
	return append(b, ']')
}

// appendStrings appends list as a JSON array of strings.
func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, quote(s)...)
	}
	return append(b, ']')
}

// quote returns s as a JSON string.
func quote(s string) []byte {
	b, _ := json.Marshal(s) // A string always marshals.
	return b
}
