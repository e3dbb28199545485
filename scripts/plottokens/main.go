// Command plottokens draws the quality–diversity curves of runs on token
// sequences from `nash eval --run DIR --temperatures … --json` outputs, one
// curve per file, each point a temperature: NLL_oracle against NLL_test for
// the oracle benchmark, BLEU-N against Self-BLEU-N for text (lower left is
// better for the first, upper left for the second):
//
//	nash eval --run runs/oracle-mle --temperatures 0.7,0.8,0.9,1,1.1 --json > mle.json
//	go run ./scripts/plottokens -out curves.png mle=mle.json seqgan=seqgan.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/nash-gan/nash/evaluate"
)

func main() {
	out := flag.String("out", "curves.png", "PNG to write")
	n := flag.Int("bleu", 4, "the N of BLEU-N and Self-BLEU-N drawn for text (2 to 5)")
	flag.Parse()
	if err := draw(*out, *n, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "plottokens:", err)
		os.Exit(1)
	}
}

var colours = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{44, 160, 44, 255}, color.RGBA{148, 103, 189, 255},
}

func draw(out string, n int, args []string) error {
	if len(args) == 0 || n < 2 || n > 5 {
		return fmt.Errorf("want label=FILE.json arguments and -bleu 2 to 5")
	}
	p := plot.New()
	for i, arg := range args {
		label, path, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q: want label=FILE.json", arg)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var rep struct {
			Reports []evaluate.TokenReport `json:"reports"`
		}
		if err := json.Unmarshal(raw, &rep); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		pts := make(plotter.XYs, len(rep.Reports))
		for j, r := range rep.Reports {
			if r.BLEU == nil {
				pts[j].X, pts[j].Y = r.NLLTest, r.NLLOracle
				p.X.Label.Text, p.Y.Label.Text = "NLL_test (diversity: lower is better)", "NLL_oracle (quality: lower is better)"
			} else {
				pts[j].X, pts[j].Y = r.SelfBLEU[n-2], r.BLEU[n-2]
				p.X.Label.Text, p.Y.Label.Text = fmt.Sprintf("Self-BLEU-%d (lower is more diverse)", n), fmt.Sprintf("BLEU-%d (higher is better)", n)
			}
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = colours[i%len(colours)], colours[i%len(colours)]
		p.Add(line, points)
		p.Legend.Add(label, line, points)
	}
	p.Title.Text = "Quality against diversity over the sampling temperature"
	p.Legend.Top = true
	return p.Save(6*vg.Inch, 4.5*vg.Inch, out)
}
