package main

import (
	"strings"
	"testing"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/seq"
	"github.com/nash-gan/nash/tensor"
)

// nash sample writes text for token sequences and nothing else, and samples
// at a temperature without changing the run's generator.
func TestTokenSampler(t *testing.T) {
	g := seq.NewGenerator(5, 4, 3, 3, tensor.NewRNG(1, "g"))
	tokens := &infer.Generator{Net: g, Spec: models.Spec{Data: data.Tokens}}
	images := &infer.Generator{Spec: models.Spec{Data: data.Images}}
	for _, c := range []struct {
		g      *infer.Generator
		format string
		given  bool
		t      float64
		want   string
	}{
		{tokens, "png", false, 1, "writes text"},
		{images, "txt", false, 1, "are not token sequences"},
		{images, "png", true, 0.5, "--temperature: samples token sequences"},
		{tokens, "txt", true, 0, "must be in (0, 100]"},
	} {
		if _, err := tokenSampler(c.g, c.format, c.given, c.t); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s %v: error %v, want %q", c.g.Spec.Data, c.format, c.t, err, c.want)
		}
	}
	cold, err := tokenSampler(tokens, "txt", true, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if tp, ok := cold.Net.(*seq.Tempered); !ok || tp.Temperature != 0.5 || tokens.Net != g {
		t.Fatalf("tempered sampler %T over %T", cold.Net, tokens.Net)
	}
}
