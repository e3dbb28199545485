package images

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nash-gan/nash/tensor"
)

// scatterDPI is the resolution at which Scatter lays out its text and marks.
const scatterDPI = 96

// Colours of the scatter pictures: translucent blue dots, so that density
// shows, and red circles that stand out from them.
var (
	pointColor = color.NRGBA{R: 31, G: 119, B: 180, A: 80}
	meanColor  = color.NRGBA{R: 214, G: 39, B: 40, A: 255}
)

// Scatter describes a picture of 2-D samples drawn over the modes of the
// distribution they should follow, such as a generator's output on a toy
// Gaussian mixture.
type Scatter struct {
	// Title is printed above the plot, for instance the training step.
	Title string
	// Means are the true modes, each drawn as a circle of Radius around it.
	Means [][2]float64
	// Radius is the radius of the circles in data units; 3σ of the
	// mixture's components outlines the region where a sample counts as
	// high quality.
	Radius float64
	// Extent fixes both axes to [−Extent, Extent], so that pictures of one
	// dataset taken at different steps are comparable.
	Extent float64
	// Size is the width and height of the picture in pixels.
	Size int
}

// Draw returns the picture of points, shaped [n, 2], as an image of Size ×
// Size pixels: each point a small translucent dot, the means circled on top,
// grid lines at round values. Points outside the axes or not finite are not
// drawn; the caption under the x axis counts them. Draw panics if points is
// not [n, 2] or Extent, Radius or Size is not positive.
func (s *Scatter) Draw(points *tensor.Tensor) image.Image {
	if points.Dims() != 2 || points.Dim(1) != 2 {
		panic(fmt.Sprintf("images: Scatter.Draw: points of shape %v, want [n, 2]", points.Shape()))
	}
	if !(s.Extent > 0) || !(s.Radius > 0) || s.Size <= 0 {
		panic(fmt.Sprintf("images: Scatter.Draw: extent %g, radius %g and size %d must be positive", s.Extent, s.Radius, s.Size))
	}
	n := points.Dim(0)
	xys := make(plotter.XYs, 0, n)
	d := points.Data()
	for i := 0; i < len(d); i += 2 {
		x, y := float64(d[i]), float64(d[i+1])
		if math.Abs(x) <= s.Extent && math.Abs(y) <= s.Extent {
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
	}

	p := plot.New()
	p.Title.Text = s.Title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	ticks := axisTicks(s.Extent)
	p.X.Min, p.X.Max, p.X.Tick.Marker = -s.Extent, s.Extent, ticks
	p.Y.Min, p.Y.Max, p.Y.Tick.Marker = -s.Extent, s.Extent, ticks
	p.X.Label.Text = fmt.Sprintf("%d samples; circles of radius %.3g around the %d true means", n, s.Radius, len(s.Means))
	if outside := n - len(xys); outside > 0 {
		p.X.Label.Text += fmt.Sprintf("; %d off the axes", outside)
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	p.Add(grid)
	p.Add(&plotter.Scatter{XYs: xys, GlyphStyle: draw.GlyphStyle{
		Color:  pointColor,
		Radius: vg.Points(1.5),
		Shape:  draw.CircleGlyph{},
	}})
	p.Add(circles{centers: s.Means, radius: s.Radius})

	size := vg.Length(s.Size) * vg.Inch / scatterDPI
	c := vgimg.NewWith(vgimg.UseWH(size, size), vgimg.UseDPI(scatterDPI))
	p.Draw(draw.New(c))
	return c.Image()
}

// axisTicks returns labelled ticks, which also carry the grid lines, in
// [−extent, extent] at the multiples of the smallest round step (1, 2 or 5
// times a power of ten) of at least extent/4: every 0.5 for ring8's extent of
// 1.5, and every 2, through the means, for grid25's 5.
func axisTicks(extent float64) plot.ConstantTicks {
	quarter := extent / 4
	pow := math.Pow(10, math.Floor(math.Log10(quarter)))
	step := 10 * pow
	for _, f := range []float64{1, 2, 5} {
		if f*pow >= quarter {
			step = f * pow
			break
		}
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	// The small allowance keeps ±extent when extent/step is an integer
	// only up to rounding.
	last := math.Floor(extent/step + 1e-9)
	var ticks plot.ConstantTicks
	for k := -last; k <= last; k++ {
		v := k * step
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
	}
	return ticks
}

// circles draws a circle of a radius given in data units around each centre:
// the true means and the region around them where samples count as high
// quality.
type circles struct {
	centers [][2]float64
	radius  float64
}

// Plot implements plot.Plotter.
func (cs circles) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	c.SetLineStyle(draw.LineStyle{Color: meanColor, Width: vg.Points(1)})
	for _, m := range cs.centers {
		center := vg.Point{X: trX(m[0]), Y: trY(m[1])}
		if !c.Contains(center) {
			continue
		}
		r := trX(m[0]+cs.radius) - center.X
		var path vg.Path
		path.Move(vg.Point{X: center.X + r, Y: center.Y})
		path.Arc(center, r, 0, 2*math.Pi)
		path.Close()
		c.Stroke(path)
	}
}
