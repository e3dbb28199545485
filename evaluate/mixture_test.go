package evaluate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/tensor"
)

// points is a Generator of 2-D points: sample i is at the mean of mode
// modes[i mod len(modes)] of the mixture.
type points struct {
	m     *data.Mixture
	modes []int
}

func (p points) Generate(n int, _ uint64) *tensor.Tensor {
	x := tensor.New(n, 1, 1, 2)
	for i := range n {
		mu := p.m.Means[p.modes[i%len(p.modes)]]
		x.Data()[2*i], x.Data()[2*i+1] = float32(mu[0]), float32(mu[1])
	}
	return x
}

func (points) GenerateLabels(int) []int { return nil }

func TestMixture(t *testing.T) {
	m, err := data.Toy("ring8")
	if err != nil {
		t.Fatal(err)
	}
	info := RunInfo{Dir: "runs/ring", Dataset: "ring8", Step: 9}
	for _, c := range []struct {
		name    string
		modes   []int
		covered int
		json    string
		text    string
	}{
		{"every mode", []int{0, 1, 2, 3, 4, 5, 6, 7}, 8,
			`{"run":"runs/ring","dataset":"ring8","step":9,"n":80,"modes":8,"of":8,"high_quality":1,"kl":0,"counts":[10,10,10,10,10,10,10,10]}`,
			"runs/ring (ring8, step 9, 80 samples): 8 of 8 modes covered, 100.0% high quality, KL to uniform 0.0000\n"},
		{"one mode", []int{3}, 1,
			`{"run":"runs/ring","dataset":"ring8","step":9,"n":80,"modes":1,"of":8,"high_quality":1,"kl":2.0794415416798357,"counts":[0,0,0,80,0,0,0,0]}`,
			"runs/ring (ring8, step 9, 80 samples): 1 of 8 modes covered, 100.0% high quality, KL to uniform 2.0794\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Mixture(points{m, c.modes}, info, m, 80, 1)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.json {
				t.Errorf("JSON %s, want %s", b, c.json)
			}
			var text strings.Builder
			if err := rep.Print(&text); err != nil {
				t.Fatal(err)
			}
			if text.String() != c.text {
				t.Errorf("text %q, want %q", text.String(), c.text)
			}
		})
	}
	// Far from every mode: no high-quality sample, and an infinite KL,
	// left out of the JSON.
	far := &data.Mixture{Name: "far", Means: [][2]float64{{5, 5}, {-5, 5}}, Sigma: 0.01}
	rep, err := Mixture(points{m, []int{0}}, info, far, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := rep.Print(&text); err != nil {
		t.Fatal(err)
	}
	if rep.KL != nil || rep.Modes != 0 || !strings.HasSuffix(text.String(), "0 of 2 modes covered, 0.0% high quality, KL to uniform +Inf\n") {
		t.Errorf("report %+v, text %q", rep, text.String())
	}
}
