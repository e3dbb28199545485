package dashboard

import (
	"fmt"
	"image"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// Only requests for loopback names, and the hosts the server is told of,
// are answered: a rebound DNS name is refused.
func TestHostHeaderIsChecked(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "a", 5)
	s := newTestServer(t, dir, WithAllowedHosts("Box.lan"))
	for _, c := range []struct {
		host string
		want int
	}{
		{"localhost:6006", http.StatusOK},
		{"LOCALHOST", http.StatusOK},
		{"board.localhost:80", http.StatusOK},
		{"127.0.0.1:6006", http.StatusOK},
		{"127.1.2.3", http.StatusOK},
		{"[::1]:6006", http.StatusOK},
		{"box.lan:6006", http.StatusOK},
		{"box.lan.", http.StatusOK},
		{"evil.example", http.StatusForbidden},
		{"evil.example:6006", http.StatusForbidden},
		{"localhost.evil.example", http.StatusForbidden},
		{"10.0.0.1:6006", http.StatusForbidden},
		{"", http.StatusForbidden},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/runs", nil)
		req.Host = c.host
		s.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("Host %q: status %d, want %d (%s)", c.host, rec.Code, c.want, rec.Body)
		}
	}
	any := newTestServer(t, dir, WithAllowedHosts("*"))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/runs", nil)
	req.Host = "evil.example"
	if any.ServeHTTP(rec, req); rec.Code != http.StatusOK {
		t.Errorf("with * allowed: status %d", rec.Code)
	}
}

// Latent walks drawn at once and event streams open at once are bounded:
// a request beyond the bound is answered 503 with Retry-After, and served
// again once a token is free.
func TestRendersAndStreamsAreBounded(t *testing.T) {
	dir := t.TempDir()
	r := writeRun(t, dir, "a", 5)
	if err := atomicfile.WriteFile(r.CheckpointPath("last"), []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	interp := func(string, uint64, uint64, int, bool) (image.Image, error) {
		return image.NewGray(image.Rect(0, 0, 4, 4)), nil
	}
	s := newTestServer(t, dir, WithInterpolator(interp))
	for _, c := range []struct {
		target string
		tokens chan struct{}
		n      int
	}{
		{"/api/runs/a/interpolate", s.renders, maxRenders},
		{"/api/events?run=a", s.streams, maxStreams},
	} {
		for range c.n {
			c.tokens <- struct{}{}
		}
		rec := httpGet(s, c.target)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), fmt.Sprintf("busy: %d ", c.n)) {
			t.Errorf("%s with every token taken: status %d, %s", c.target, rec.Code, rec.Body)
		}
		<-c.tokens
		if c.tokens == s.renders {
			if rec := httpGet(s, c.target); rec.Code != http.StatusOK {
				t.Errorf("%s with a token free: status %d, %s", c.target, rec.Code, rec.Body)
			}
			if len(c.tokens) != c.n-1 {
				t.Errorf("%s did not give its token back", c.target)
			}
		}
	}
}

// A metrics file of many distinct keys is charted with its first
// maxSeries keys and step.
func TestSeriesPerRunAreBounded(t *testing.T) {
	tb := newTable()
	var line strings.Builder
	for row := range 3 {
		line.Reset()
		line.WriteString("{")
		for k := range 400 {
			fmt.Fprintf(&line, `"k%d_%d":%d,`, row, k, k)
		}
		fmt.Fprintf(&line, `"step":%d}`+"\n", row+1)
		tb.parse([]byte(line.String()))
	}
	if len(tb.keys) != maxSeries+1 || tb.rows != 3 {
		t.Fatalf("%d keys and %d rows, want %d keys and 3 rows", len(tb.keys), tb.rows, maxSeries+1)
	}
	if step := tb.column(stepKey); len(step) != 3 || step[0] != 1 || step[2] != 3 {
		t.Errorf("step column %v, want 1 2 3", step)
	}
	if c := tb.column("k0_0"); len(c) != 3 || c[0] != 0 {
		t.Errorf("first key's column %v", c)
	}
}
