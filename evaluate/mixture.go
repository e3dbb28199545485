package evaluate

import (
	"fmt"
	"io"
	"math"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/metrics"
)

// MixtureReport is the mode coverage of a generator of a 2-D mixture.
type MixtureReport struct {
	Run     string `json:"run"`
	Dataset string `json:"dataset"`
	Step    int    `json:"step"`
	// N is the number of samples, Modes the modes covered of Of.
	N     int `json:"n"`
	Modes int `json:"modes"`
	Of    int `json:"of"`
	// HQ is the fraction of high-quality samples.
	HQ float64 `json:"high_quality"`
	// KL is the high-quality samples' KL divergence to uniform, nil when
	// it is infinite (no high-quality sample).
	KL     *float64 `json:"kl,omitempty"`
	Counts []int    `json:"counts"`
}

// Mixture measures the mode coverage of n samples of g, drawn from seed's
// "eval" stream, against the 2-D mixture m (Coverage).
func Mixture(g Generator, info RunInfo, m *data.Mixture, n int, seed uint64) (*MixtureReport, error) {
	x := g.Generate(n, seed)
	c, err := metrics.MixtureModes(x.Reshape(n, x.Len()/n), m)
	if err != nil {
		return nil, err
	}
	rep := &MixtureReport{Run: info.Dir, Dataset: info.Dataset, Step: info.Step, N: n, Modes: c.Covered, Of: len(c.Counts), HQ: c.HighQuality, Counts: c.Counts}
	if !math.IsInf(c.KL, 0) {
		rep.KL = &c.KL
	}
	return rep, nil
}

// Print writes the report as one line.
func (r *MixtureReport) Print(w io.Writer) error {
	kl := math.Inf(1)
	if r.KL != nil {
		kl = *r.KL
	}
	_, err := fmt.Fprintf(w, "%s (%s, step %d, %d samples): %d of %d modes covered, %.1f%% high quality, KL to uniform %.4f\n",
		r.Run, r.Dataset, r.Step, r.N, r.Modes, r.Of, 100*r.HQ, kl)
	return err
}
