package serve

import (
	"errors"
	"net/url"
	"testing"
)

// isRequestError fails unless err is nil or a 4xx requestError.
func isRequestError(t *testing.T, err error) {
	t.Helper()
	var re *requestError
	if err != nil && (!errors.As(err, &re) || re.status < 400 || re.status > 499) {
		t.Fatalf("error %v is not a 4xx request error", err)
	}
}

// The body decoders never panic, refuse with a 4xx error naming a field,
// and accept only what fits the generator and the limits.
func FuzzDecodeGenerate(f *testing.F) {
	g, cg := generator(f, false), generator(f, true)
	lim := limits{maxN: 16}
	f.Add([]byte(`{"z": [[0.5, 1]], "class": [1], "format": "npy"}`))
	f.Add([]byte(`{"z": ` + latents(2, 100) + `, "class": [1, 9]}`))
	f.Add([]byte(`{"z": [[1e400]]}`))
	f.Add([]byte(`{"z": null, "class": [-1]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, gen := range [...]*struct{ classes int }{{0}, {10}} {
			gg := g
			if gen.classes > 0 {
				gg = cg
			}
			z, labels, _, err := decodeGenerate(body, gg, lim)
			isRequestError(t, err)
			if err == nil && (z.Dim(0) < 1 || z.Dim(0) > lim.maxN || z.Dim(1) != 100 || (labels == nil) != (gen.classes == 0)) {
				t.Fatalf("accepted z %v labels %v", z.Shape(), labels)
			}
		}
	})
}

func FuzzDecodeV2(f *testing.F) {
	g, cg := generator(f, false), generator(f, true)
	lim := limits{maxN: 16}
	f.Add([]byte(`{"id": "1", "inputs": [{"name": "z", "shape": [1, 100], "datatype": "FP32", "data": ` + latents(1, 100) + `}]}`))
	f.Add([]byte(`{"inputs": [{"name": "class", "shape": [1], "datatype": "INT64", "data": [[[3]]]}]}`))
	f.Add([]byte(`{"inputs": [{"name": "z", "shape": [-1, 100], "datatype": "FP32", "data": [1, "a", null]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, gg := range []*struct{ c bool }{{false}, {true}} {
			gen := g
			if gg.c {
				gen = cg
			}
			_, z, labels, err := decodeV2(body, gen, lim)
			isRequestError(t, err)
			if err == nil && (z.Dim(0) < 1 || z.Dim(0) > lim.maxN || z.Dim(1) != 100 || (labels == nil) == gg.c) {
				t.Fatalf("accepted z %v labels %v", z.Shape(), labels)
			}
		}
	})
}

func FuzzDecodeInterpolate(f *testing.F) {
	lim := limits{maxN: 16}
	f.Add([]byte(`{"from": 1, "to": 2, "steps": 4, "slerp": true, "class": 3, "format": "json"}`))
	f.Add([]byte(`{"from": -1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, _, err := decodeInterpolate(body, lim)
		isRequestError(t, err)
		if err == nil && (w.Steps < 2 || w.Steps > lim.maxN || w.Class < 0) {
			t.Fatalf("accepted %+v", w)
		}
	})
}

func FuzzParseSamples(f *testing.F) {
	lim := limits{maxN: 16}
	f.Add("n=3&seed=4&class=1&format=npy")
	f.Add("n=1000000000000000000000&seed=-1")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		r, err := parseSamples(q, lim)
		isRequestError(t, err)
		if err == nil && (r.n < 1 || r.n > lim.maxN || r.class < -1 || !formats[r.format]) {
			t.Fatalf("accepted %+v", r)
		}
	})
}
