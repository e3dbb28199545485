package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"

	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/tensor"
)

// requestError is a bad request: the field at fault and what is wrong,
// answered with status (4xx) as JSON {"error": …, "field": …}.
type requestError struct {
	status int
	field  string
	msg    string
}

func (e *requestError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

// badField returns a 400 naming field.
func badField(field, format string, args ...any) *requestError {
	return &requestError{status: 400, field: field, msg: fmt.Sprintf(format, args...)}
}

// limits bound what one request may ask for.
type limits struct {
	maxN int // samples per request
}

// formats are the response formats.
var formats = map[string]bool{"png": true, "npy": true, "json": true}

// parseFormat returns the format v names, defaultFormat when empty.
func parseFormat(v, defaultFormat string) (string, error) {
	if v == "" {
		return defaultFormat, nil
	}
	if !formats[v] {
		return "", badField("format", "%q, want png, npy or json", v)
	}
	return v, nil
}

// samplesRequest is GET /v1/samples's query: n samples (64, or the limit
// if lower, by default) drawn with seed (as nash sample --seed), of class
// (−1: cycling through the classes).
type samplesRequest struct {
	n      int
	seed   uint64
	class  int
	format string
}

// parseSamples reads the query of GET /v1/samples.
func parseSamples(q url.Values, lim limits) (samplesRequest, error) {
	r := samplesRequest{n: min(64, lim.maxN), class: -1, format: "png"}
	for key := range q {
		switch key {
		case "n", "seed", "class", "format":
		default:
			return r, badField(key, "unknown parameter (want n, seed, class, format)")
		}
	}
	var err error
	if v := q.Get("n"); v != "" {
		if r.n, err = strconv.Atoi(v); err != nil || r.n < 1 || r.n > lim.maxN {
			return r, badField("n", "%q, want an integer from 1 to %d", v, lim.maxN)
		}
	}
	if v := q.Get("seed"); v != "" {
		if r.seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return r, badField("seed", "%q, want an integer from 0 to 2^64-1", v)
		}
	}
	if v := q.Get("class"); v != "" {
		if r.class, err = strconv.Atoi(v); err != nil || r.class < 0 {
			return r, badField("class", "%q, want a class label, 0 or more", v)
		}
	}
	r.format, err = parseFormat(q.Get("format"), "png")
	return r, err
}

// decodeJSON decodes body strictly into v: no unknown fields, nothing
// after the value.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return badField(te.Field, "%s where %s is wanted", te.Value, te.Type)
		}
		return badField("", "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badField("", "malformed JSON: data after the value")
	}
	return nil
}

// generateRequest is POST /v1/generate's body: latent vectors, and the
// classes of a conditional generator.
type generateRequest struct {
	Z      [][]float64 `json:"z"`
	Class  []int       `json:"class"`
	Format string      `json:"format"`
}

// decodeGenerate reads POST /v1/generate's body for g: the latent vectors
// [n, ZDim] and classes.
func decodeGenerate(body []byte, g *infer.Generator, lim limits) (z, labels *tensor.Tensor, format string, err error) {
	var r generateRequest
	if err := decodeJSON(body, &r); err != nil {
		return nil, nil, "", err
	}
	n := len(r.Z)
	if n < 1 || n > lim.maxN {
		return nil, nil, "", badField("z", "%d latent vectors, want 1 to %d", n, lim.maxN)
	}
	d := g.Spec.ZDim
	z = tensor.New(n, d)
	for i, row := range r.Z {
		if len(row) != d {
			return nil, nil, "", badField("z", "latent vector %d has %d values, the generator takes %d", i, len(row), d)
		}
		for j, v := range row {
			if math.Abs(v) > math.MaxFloat32 {
				return nil, nil, "", badField("z", "value %d of latent vector %d is %g, beyond float32", j, i, v)
			}
			z.Data()[i*d+j] = float32(v)
		}
	}
	if labels, err = classes(g, r.Class, n, "class"); err != nil {
		return nil, nil, "", err
	}
	format, err = parseFormat(r.Format, "json")
	return z, labels, format, err
}

// classes returns the classes of n samples given as ys for g: required
// (one per sample) for a conditional generator, refused for an
// unconditional one.
func classes(g *infer.Generator, ys []int, n int, field string) (*tensor.Tensor, error) {
	k := g.Spec.Classes
	switch {
	case k == 0 && ys != nil:
		return nil, badField(field, "the generator is not conditional: it takes no class")
	case k == 0:
		return nil, nil
	case len(ys) != n:
		return nil, badField(field, "%d classes for %d samples: a conditional generator needs one per sample", len(ys), n)
	}
	labels := tensor.New(n)
	for i, y := range ys {
		if y < 0 || y >= k {
			return nil, badField(field, "class %d is %d, want 0 to %d", i, y, k-1)
		}
		labels.Data()[i] = float32(y)
	}
	return labels, nil
}

// interpolateRequest is POST /v1/interpolate's body: a walk between the
// latents of two seeds (infer.Walk).
type interpolateRequest struct {
	From   *uint64 `json:"from"`
	To     *uint64 `json:"to"`
	Steps  int     `json:"steps"`
	Slerp  bool    `json:"slerp"`
	Class  int     `json:"class"`
	Format string  `json:"format"`
}

// decodeInterpolate reads POST /v1/interpolate's body.
func decodeInterpolate(body []byte, lim limits) (infer.Walk, string, error) {
	r := interpolateRequest{Steps: 10}
	if err := decodeJSON(body, &r); err != nil {
		return infer.Walk{}, "", err
	}
	switch {
	case r.From == nil:
		return infer.Walk{}, "", badField("from", "missing: the seed of the first latent")
	case r.To == nil:
		return infer.Walk{}, "", badField("to", "missing: the seed of the last latent")
	case r.Steps < 2 || r.Steps > lim.maxN:
		return infer.Walk{}, "", badField("steps", "%d, want 2 to %d", r.Steps, lim.maxN)
	case r.Class < 0:
		return infer.Walk{}, "", badField("class", "%d, want a class label, 0 or more", r.Class)
	}
	format, err := parseFormat(r.Format, "png")
	return infer.Walk{From: *r.From, To: *r.To, Steps: r.Steps, Slerp: r.Slerp, Class: r.Class}, format, err
}
