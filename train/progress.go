package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// progress is the live line a run shows on a terminal while it trains,
// redrawn at most every refreshEvery and fitted to the terminal's width
// at each redraw: fields are dropped, least useful first, until the line
// fits, so that it never wraps. On anything but a terminal it shows
// nothing; the per-epoch lines are printed either way.
type progress struct {
	w     io.Writer
	width func() int
	// total is the step training stops at; first the step it started
	// from, at start.
	total, first int
	start        time.Time
	drawn        time.Time
	shown        bool
}

// refreshEvery bounds how often the progress line is redrawn.
const refreshEvery = 100 * time.Millisecond

// newProgress returns the progress line of a run from step first to total
// written to log, visible when log is a terminal.
func newProgress(log io.Writer, first, total int) *progress {
	p := &progress{w: log, total: total, first: first, start: time.Now()}
	if f, ok := log.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.width = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil || w < 1 {
				return 80
			}
			return w
		}
	}
	return p
}

// field is one part of the progress line; when the line does not fit, the
// field of the highest drop rank goes first.
type field struct {
	text string
	drop int
}

// update redraws the line for the given step, with the epoch and the
// latest statistics (in the order they are dropped, last first), unless it
// was drawn less than refreshEvery ago (the last step is always drawn).
func (p *progress) update(step int, epoch string, stats []string) {
	if p.width == nil || (step < p.total && time.Since(p.drawn) < refreshEvery) {
		return
	}
	p.drawn = time.Now()
	fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(p.width()-1, step, epoch, stats))
	p.shown = true
}

// line composes the progress line of at most width characters: the steps,
// then as many as fit of the time left, the epoch, the statistics, the
// rate, the percentage and a bar, in that order of importance.
func (p *progress) line(width, step int, epoch string, stats []string) string {
	elapsed := time.Since(p.start).Seconds()
	rate := float64(step-p.first) / max(elapsed, 1e-9)
	eta := "ETA -"
	if rate > 0 && step > p.first {
		eta = "ETA " + shortDuration(time.Duration(float64(p.total-step)/rate*float64(time.Second)))
	}
	k := len(stats)
	fields := []field{{epoch, 2}, {fmt.Sprintf("%d/%d", step, p.total), 0}, {fmt.Sprintf("%d%%", 100*step/max(p.total, 1)), k + 4}}
	for i, st := range stats {
		fields = append(fields, field{st, 3 + i})
	}
	fields = append(fields, field{fmt.Sprintf("%.0f step/s", rate), k + 3}, field{eta, 1})
	for drop := k + 5; ; drop-- {
		var kept []string
		for _, f := range fields {
			if f.drop < drop && f.text != "" {
				kept = append(kept, f.text)
			}
		}
		text := strings.Join(kept, "  ")
		n := utf8.RuneCountInString(text)
		if n <= width || drop == 1 {
			if room := width - n - 2; room >= 12 && drop == k+5 {
				return drawBar(room, step, p.total) + "  " + text
			}
			if n > width {
				return string([]rune(text)[:max(width, 0)])
			}
			return text
		}
	}
}

// drawBar draws a bar of width characters, filled in proportion to done of
// total.
func drawBar(width, done, total int) string {
	inner := width - 2
	filled := inner * done / max(total, 1)
	return "[" + strings.Repeat("=", filled) + strings.Repeat(" ", inner-filled) + "]"
}

// println clears the progress line and prints the parts joined by sep as
// one line; on a terminal too narrow for it, the line is broken between
// parts, continuation lines indented.
func (p *progress) println(sep string, parts ...string) {
	p.clear()
	if p.width == nil {
		fmt.Fprintln(p.w, strings.Join(parts, sep))
		return
	}
	fmt.Fprintln(p.w, wrapParts(parts, sep, p.width()-1))
}

// wrapParts joins parts by sep into lines of at most width characters
// where it can (a part longer than a line gets one of its own), lines
// after the first indented by two spaces.
func wrapParts(parts []string, sep string, width int) string {
	var b strings.Builder
	n := 0
	for i, part := range parts {
		w := utf8.RuneCountInString(part)
		switch {
		case i == 0:
		case n+len(sep)+w <= width:
			b.WriteString(sep)
			n += len(sep)
		default:
			b.WriteString("\n  ")
			n = 2
		}
		b.WriteString(part)
		n += w
	}
	return b.String()
}

// clear removes the line so that other output starts on a clean line.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// shortDuration writes d as 1h02m, 3m05s or 42s.
func shortDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%ds", s)
	}
}
