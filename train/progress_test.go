package train

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestProgressLineFits composes the progress line for narrow, ordinary and
// wide terminals: it never exceeds the width, keeps the step count, and
// shows more as the width grows.
func TestProgressLineFits(t *testing.T) {
	p := &progress{total: 46900, first: 0, start: time.Now().Add(-10 * time.Second)}
	stats := []string{"loss_d 0.728", "loss_g 2.029", "D(x) 0.799", "D(G(z)) 0.330"}
	prev := 0
	for _, width := range []int{10, 30, 59, 79, 199} {
		line := p.line(width, 5600, "epoch 6/50", stats)
		n := utf8.RuneCountInString(line)
		if n > width || !strings.Contains(line, "5600/46900") && width >= 10 {
			t.Errorf("width %d: %q (%d characters)", width, line, n)
		}
		if n < prev {
			t.Errorf("width %d: %q shorter than at a narrower width", width, line)
		}
		prev = n
	}
	if line := p.line(79, 5600, "epoch 6/50", stats); !strings.Contains(line, "ETA") || !strings.Contains(line, "epoch 6/50") || !strings.Contains(line, "loss_g 2.029") {
		t.Errorf("80 columns: %q, want the epoch, the time left and the losses", line)
	}
	if line := p.line(199, 5600, "epoch 6/50", stats); !strings.Contains(line, "D(G(z)) 0.330") || !strings.Contains(line, "step/s") || !strings.Contains(line, "[===") {
		t.Errorf("200 columns: %q, want every field and a bar", line)
	}
}

func TestWrapParts(t *testing.T) {
	parts := []string{"epoch   1  step     938", "loss_d 0.7280", "loss_g 2.0291", "D(x) 0.7988", "D(G(z)) 0.3300", "FID 23.41", "classes 10", "3.2s"}
	for _, width := range []int{40, 59, 79} {
		for _, line := range strings.Split(wrapParts(parts, "  ", width), "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line %q has %d characters", width, line, n)
			}
		}
	}
	if got := wrapParts(parts, "  ", 500); strings.Contains(got, "\n") || got != strings.Join(parts, "  ") {
		t.Errorf("wide: %q", got)
	}
}
