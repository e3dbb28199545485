// Package serve answers requests for a trained generator over HTTP (nash
// serve): nash's own routes under /v1 (samples from seeds, images from
// latent vectors, latent walks), the Open Inference Protocol under /v2
// (KServe, Triton and Seldon clients), Prometheus metrics at /metrics and
// structured access logs. Concurrent requests are merged into one forward
// pass (micro-batching) through a bounded queue that answers 503 with
// Retry-After when full; every request is bounded in samples, body size
// and time; a bad one gets a 4xx JSON error naming the field. The server
// reads no file but the model it was given.
package serve

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/tensor"
)

// Options configure a Server.
type Options struct {
	// Name is the model's name in /v2 routes.
	Name string
	// MaxBatch bounds the samples of one forward pass; MaxWait is how
	// long a pass waits after its first request for others to join it.
	MaxBatch int
	MaxWait  time.Duration
	// Queue bounds the requests waiting for a forward pass; one more is
	// answered 503 with Retry-After. At most Queue + MaxBatch·Workers
	// requests that generate are in hand at once, bodies included, which
	// bounds the server's memory.
	Queue int
	// Workers is the number of forward passes run at once.
	Workers int
	// MaxN bounds the samples of one request, MaxBody its body in bytes.
	MaxN    int
	MaxBody int64
	// Timeout bounds the time of one request; one that runs out is
	// answered 503 with Retry-After.
	Timeout time.Duration
	// Log receives one record per request; nil discards them.
	Log *slog.Logger
}

// DefaultOptions returns nash serve's defaults.
func DefaultOptions() Options {
	return Options{Name: "nash", MaxBatch: 64, MaxWait: 2 * time.Millisecond, Queue: 256, Workers: 1,
		MaxN: 1024, MaxBody: 8 << 20, Timeout: 30 * time.Second}
}

// check reports an option out of range, naming its flag.
func (o Options) check() error {
	switch {
	case o.Name == "":
		return errors.New("--name: empty")
	case o.MaxBatch < 1:
		return fmt.Errorf("--max-batch: %d, want at least 1", o.MaxBatch)
	case o.MaxWait < 0:
		return fmt.Errorf("--max-wait: %v, want 0 or more", o.MaxWait)
	case o.Queue < 1:
		return fmt.Errorf("--queue: %d, want at least 1", o.Queue)
	case o.Workers < 1:
		return fmt.Errorf("--workers: %d, want at least 1", o.Workers)
	case o.MaxN < 1:
		return fmt.Errorf("--max-n: %d, want at least 1", o.MaxN)
	case o.MaxBody < 1:
		return fmt.Errorf("--max-body: %d, want at least 1", o.MaxBody)
	case o.Timeout <= 0:
		return fmt.Errorf("--timeout: %v, want more than 0", o.Timeout)
	}
	return nil
}

// Server serves one generator, which Swap may replace while it serves.
type Server struct {
	opts    Options
	gen     atomic.Pointer[infer.Generator]
	batcher *batcher
	metrics *counters
	log     *slog.Logger
	mux     *http.ServeMux
	// slots bounds the requests that generate at once (reading their
	// bodies, queued, sampled or answering), so that memory stays bounded
	// however many clients connect.
	slots chan struct{}
}

// New returns a server of g. Close stops it.
func New(g *infer.Generator, opts Options) (*Server, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, metrics: newCounters(), log: opts.Log, mux: http.NewServeMux(),
		slots: make(chan struct{}, opts.Queue+opts.MaxBatch*opts.Workers)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.gen.Store(g)
	s.batcher = newBatcher(opts.Queue, opts.MaxBatch, opts.Workers, opts.MaxWait, s.metrics)
	s.routes()
	return s, nil
}

// Swap replaces the generator served; requests already queued finish with
// the one they were checked against.
func (s *Server) Swap(g *infer.Generator) { s.gen.Store(g) }

// Generator returns the generator served.
func (s *Server) Generator() *infer.Generator { return s.gen.Load() }

// Close stops the forward passes once the queued requests are answered.
func (s *Server) Close() { s.batcher.close() }

// Handler returns the server's routes. A path with a ".." segment is
// refused (400) rather than redirected to its cleaned form.
func (s *Server) Handler() http.Handler {
	dots := s.instrument("..", func(_ http.ResponseWriter, r *http.Request) error {
		return badField("path", "%q has a \"..\" segment", r.URL.Path)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for seg := range strings.SplitSeq(r.URL.Path, "/") {
			if seg == ".." {
				dots(w, r)
				return
			}
		}
		s.mux.ServeHTTP(w, r)
	})
}

// ListenAndServe serves on addr until ctx ends, then shuts down
// gracefully: it stops accepting, lets the requests in flight finish (for
// at most grace) and stops the forward passes. ready, if not nil, is
// called with the address listened on.
func (s *Server) ListenAndServe(ctx context.Context, addr string, grace time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err = srv.Shutdown(sctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// route registers h under pattern with its metrics, access log, body
// limit, timeout and error answers (instrument).
func (s *Server) route(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.mux.HandleFunc(pattern, s.instrument(pattern, h))
}

// instrument returns h with its metrics, access log, body limit, timeout
// and error answers, under the route's pattern.
func (s *Server) instrument(pattern string, h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
		defer cancel()
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		if err := h(rec, r); err != nil {
			s.fail(rec, err)
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
		s.metrics.latency.WithLabelValues(pattern).Observe(d.Seconds())
		s.log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", pattern),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes), slog.Duration("duration", d),
			slog.String("remote", r.RemoteAddr))
	}
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// fail answers err: a request error with its status, a full queue, a
// timeout or shutdown with 503 and Retry-After, anything else with 500.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var re *requestError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &re):
	case errors.As(err, &tooBig):
		re = &requestError{status: http.StatusRequestEntityTooLarge, field: "body", msg: fmt.Sprintf("larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, errQueueFull), errors.Is(err, errStopped), errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		re = &requestError{status: http.StatusServiceUnavailable, msg: err.Error()}
	case errors.Is(err, context.Canceled):
		// The client went away: 499 in the logs, as nginx writes it.
		re = &requestError{status: 499, msg: err.Error()}
	default:
		re = &requestError{status: http.StatusInternalServerError, msg: err.Error()}
	}
	writeJSON(w, re.status, map[string]string{"error": re.Error(), "field": re.field})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readJSON reads a JSON request body, refusing another content type.
func readJSON(r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, &requestError{status: http.StatusUnsupportedMediaType, field: "Content-Type", msg: fmt.Sprintf("%q, want application/json", ct)}
	}
	return io.ReadAll(r.Body)
}

// generating registers h, a route that generates samples, under pattern:
// when Queue + MaxBatch·Workers such requests are already in hand, it is
// answered 503 with Retry-After at once, before its body is read.
func (s *Server) generating(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.route(pattern, func(w http.ResponseWriter, r *http.Request) error {
		select {
		case s.slots <- struct{}{}:
		default:
			return errQueueFull
		}
		defer func() { <-s.slots }()
		return h(w, r)
	})
}

func (s *Server) routes() {
	s.generating("GET /v1/samples", s.samples)
	s.generating("POST /v1/generate", s.generate)
	s.generating("POST /v1/interpolate", s.interpolate)
	s.route("GET /v1/model", s.model)
	s.route("GET /v2/health/live", func(w http.ResponseWriter, _ *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]bool{"live": true})
		return nil
	})
	s.route("GET /v2/health/ready", s.ready)
	s.route("GET /v2", func(w http.ResponseWriter, _ *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]any{"name": "nash", "version": "2", "extensions": []string{}})
		return nil
	})
	s.route("GET /v2/models/{name}", s.v2Model)
	s.route("GET /v2/models/{name}/ready", s.v2Ready)
	s.generating("POST /v2/models/{name}/infer", s.v2Infer)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	s.route("/", func(w http.ResponseWriter, r *http.Request) error {
		return &requestError{status: http.StatusNotFound, field: "path", msg: fmt.Sprintf("%s %q is not a route", r.Method, r.URL.Path)}
	})
}

// sample generates the samples of z and labels through the batcher.
func (s *Server) sample(r *http.Request, g *infer.Generator, z, labels *tensor.Tensor) (*tensor.Tensor, error) {
	x, err := s.batcher.submit(r.Context(), g, z, labels)
	if err == nil {
		s.metrics.samples.Add(float64(z.Dim(0)))
	}
	return x, err
}

func (s *Server) samples(w http.ResponseWriter, r *http.Request) error {
	q, err := parseSamples(r.URL.Query(), limits{maxN: s.opts.MaxN})
	if err != nil {
		return err
	}
	g := s.Generator()
	labels, err := g.Classes(q.n, q.class)
	if err != nil {
		return badField("class", "%v", err)
	}
	z := g.Noise(q.n, tensor.NewRNG(q.seed, "sample"))
	x, err := s.sample(r, g, z, labels)
	if err != nil {
		return err
	}
	return writeSamples(w, x, q.format)
}

func (s *Server) generate(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	g := s.Generator()
	z, labels, format, err := decodeGenerate(body, g, limits{maxN: s.opts.MaxN})
	if err != nil {
		return err
	}
	x, err := s.sample(r, g, z, labels)
	if err != nil {
		return err
	}
	return writeSamples(w, x, format)
}

func (s *Server) interpolate(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	walk, format, err := decodeInterpolate(body, limits{maxN: s.opts.MaxN})
	if err != nil {
		return err
	}
	g := s.Generator()
	z, labels, err := g.WalkInputs(walk)
	if err != nil {
		return badField("class", "%v", err)
	}
	x, err := s.sample(r, g, z, labels)
	if err != nil {
		return err
	}
	if format == "png" {
		w.Header().Set("Content-Type", "image/png")
		return png.Encode(w, images.Grid(x, walk.Steps, 2))
	}
	return writeSamples(w, x, format)
}

// modelInfo is GET /v1/model's answer.
type modelInfo struct {
	Name       string      `json:"name"`
	Spec       models.Spec `json:"model"`
	ClassNames []string    `json:"class_names,omitempty"`
	Step       int         `json:"step"`
	EMA        bool        `json:"ema"`
	Dataset    string      `json:"dataset,omitempty"`
}

func (s *Server) model(w http.ResponseWriter, _ *http.Request) error {
	g := s.Generator()
	writeJSON(w, http.StatusOK, modelInfo{Name: s.opts.Name, Spec: g.Spec, ClassNames: g.ClassNames, Step: g.Step, EMA: g.EMA, Dataset: g.Dataset})
	return nil
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) error {
	select {
	case <-s.batcher.stop:
		return errStopped
	default:
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
	return nil
}

// v2Name checks the {name} of a /v2/models route.
func (s *Server) v2Name(r *http.Request) error {
	if name := r.PathValue("name"); name != s.opts.Name {
		return &requestError{status: http.StatusNotFound, field: "name", msg: fmt.Sprintf("no model %q (this server serves %q)", name, s.opts.Name)}
	}
	return nil
}

func (s *Server) v2Model(w http.ResponseWriter, r *http.Request) error {
	if err := s.v2Name(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v2Meta(s.opts.Name, s.Generator()))
	return nil
}

func (s *Server) v2Ready(w http.ResponseWriter, r *http.Request) error {
	if err := s.v2Name(r); err != nil {
		return err
	}
	return s.ready(w, r)
}

func (s *Server) v2Infer(w http.ResponseWriter, r *http.Request) error {
	if err := s.v2Name(r); err != nil {
		return err
	}
	body, err := readJSON(r)
	if err != nil {
		return err
	}
	g := s.Generator()
	id, z, labels, err := decodeV2(body, g, limits{maxN: s.opts.MaxN})
	if err != nil {
		return err
	}
	x, err := s.sample(r, g, z, labels)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v2Response{ModelName: s.opts.Name, ModelVersion: strconv.Itoa(g.Step), ID: id,
		Outputs: []v2Output{{Name: infer.ONNXImages, Shape: x.Shape(), Datatype: "FP32", Data: x.Data()}}})
	return nil
}

// samplesJSON is the json format of samples: the shape and the values,
// row-major.
type samplesJSON struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

// writeSamples answers the samples x [n, C, H, W] in format: a PNG grid
// of 8 per row, a float32 .npy array or JSON.
func writeSamples(w http.ResponseWriter, x *tensor.Tensor, format string) error {
	switch format {
	case "png":
		w.Header().Set("Content-Type", "image/png")
		return png.Encode(w, images.Grid(x, images.DefaultNRow, images.DefaultPadding))
	case "npy":
		header, err := metrics.NPYHeader("<f4", x.Shape()...)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if _, err := w.Write(header); err != nil {
			return err
		}
		return binary.Write(w, binary.LittleEndian, x.Data())
	}
	writeJSON(w, http.StatusOK, samplesJSON{Shape: x.Shape(), Data: x.Data()})
	return nil
}
