// Command plotmetrics draws a run's D(x) and D(G(z)) from metrics.jsonl as
// a PNG line chart, averaged over windows of steps, with the 0.5 line of
// the equilibrium:
//
//	go run ./scripts/plotmetrics -run DIR -out dprob.png
package main

import (
	"flag"
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/nash-gan/nash/rundir"
)

func main() {
	run := flag.String("run", "", "run directory")
	out := flag.String("out", "dprob.png", "PNG to write")
	window := flag.Int("window", 50, "records averaged per point")
	flag.Parse()
	if err := draw(*run, *out, *window); err != nil {
		fmt.Fprintln(os.Stderr, "plotmetrics:", err)
		os.Exit(1)
	}
}

func draw(run, out string, window int) error {
	recs, _, err := rundir.ReadMetrics(filepath.Join(run, rundir.MetricsFile))
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return fmt.Errorf("%s: no metrics", run)
	}
	p := plot.New()
	p.Title.Text = "discriminator's mean probability on real and generated images"
	p.X.Label.Text = "step"
	p.Y.Min, p.Y.Max = 0, 1
	series := []struct {
		key, label string
		c          color.Color
	}{{"d_real", "D(x)", color.RGBA{31, 119, 180, 255}}, {"d_fake", "D(G(z))", color.RGBA{214, 39, 40, 255}}}
	for _, s := range series {
		var pts plotter.XYs
		for i := 0; i+window <= len(recs); i += window {
			var sum float64
			for _, r := range recs[i : i+window] {
				sum += r[s.key]
			}
			pts = append(pts, plotter.XY{X: recs[i+window-1]["step"], Y: sum / float64(window)})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color, l.Width = s.c, vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.label, l)
	}
	eq, err := plotter.NewLine(plotter.XYs{{X: recs[0]["step"], Y: 0.5}, {X: recs[len(recs)-1]["step"], Y: 0.5}})
	if err != nil {
		return err
	}
	eq.Color, eq.Dashes = color.Gray{Y: 120}, []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(eq)
	p.Legend.Add("equilibrium 0.5", eq)
	p.Legend.Top = true
	return p.Save(8*vg.Inch, 3.5*vg.Inch, out)
}
