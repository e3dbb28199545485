// Package dashboard serves a live web dashboard over a folder of training
// runs, each a run directory as docs/RUNDIR.md describes it: a list of the
// runs, a page per run with its loss and discriminator charts, a chart for
// every further metric, the timeline of its sample grids (of its generated
// sequences, for a run on token sequences) and a latent interpolation
// panel, and several runs overlaid on the same charts. Pages follow
// training as metrics.jsonl grows, through server-sent events.
//
// Everything the browser loads comes from the binary (uPlot, version in
// static/vendor/uplot/VERSION, draws the charts). The server only reads the
// runs folder, through an os.Root, so that no request and no symbolic link
// reaches a file outside it.
//
// The pages read these JSON endpoints, also usable on their own:
//
//	GET /api/runs                       the runs, newest first, with their latest metrics
//	GET /api/runs/{name}                one run: its configuration and metric keys
//	GET /api/runs/{name}/metrics        columns of metrics; ?keys=a,b&max_points=N
//	GET /api/runs/{name}/samples        the sample grids (or generated sequences), by step, with each step's class grid
//	GET /api/runs/{name}/interpolate    a PNG; ?from=SEED&to=SEED&steps=N&slerp=true
//	GET /runs/{name}/samples/{file}     a sample grid, step-NNNNNNN.png, class grid, classes-NNNNNNN.png,
//	                                    or generated sequences, step-NNNNNNN.txt
//	GET /api/events?run=NAME&gen=G&rows=N…   server-sent events following runs
package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/rundir"
)

// Interpolator renders a walk through a run's latent space as one picture:
// steps samples from the generator of the checkpoint in runDir, for noise
// vectors going from the one drawn with seed from to the one drawn with
// seed to, along a straight line or, if slerp, a great circle.
type Interpolator func(runDir string, from, to uint64, steps int, slerp bool) (image.Image, error)

// Option configures a Server.
type Option func(*Server)

// WithInterpolator renders the latent interpolation panel with f. Without
// it the panel says that interpolation is unavailable.
func WithInterpolator(f Interpolator) Option {
	return func(s *Server) { s.interp = f }
}

// WithPollInterval sets how often server-sent event streams look for new
// metrics, samples and status; the default, and what d ≤ 0 gives, is one
// second.
func WithPollInterval(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.poll = d
		}
	}
}

// WithAllowedHosts lets the server answer requests whose Host header names
// one of hosts (a name or an IP address, without the port; "*" allows every
// host) besides the loopback names it always answers: localhost, names
// under .localhost and loopback addresses. Any other Host is refused, so
// that a web page cannot read the dashboard through a DNS name rebound to
// the machine.
func WithAllowedHosts(hosts ...string) Option {
	return func(s *Server) {
		for _, h := range hosts {
			s.hosts = append(s.hosts, canonicalHost(h))
		}
	}
}

// Limits on what a request may ask for, and on the work requests may
// make the server do at once: latent walks drawn together (each loads a
// generator: tens of MB) and event streams open together (each polls its
// runs every second). A request beyond them is answered 503.
const (
	defaultMaxPoints = 2000
	maxMaxPoints     = 1_000_000
	maxWatched       = 32
	maxInterpSteps   = 32
	maxRenders       = 2
	maxStreams       = 32
)

//go:embed static
var staticFiles embed.FS

// Server is the dashboard's http.Handler.
type Server struct {
	dir    string
	root   *os.Root
	interp Interpolator
	poll   time.Duration
	mux    *http.ServeMux
	static fs.FS

	// hosts are the Host names answered beside the loopback ones.
	hosts []string
	// renders and streams hold a token per latent walk being drawn and
	// per event stream open.
	renders chan struct{}
	streams chan struct{}

	mu    sync.Mutex
	cache map[string]*series
}

// New returns a dashboard of the runs in the folder runsDir, which must
// exist. Close releases it.
func New(runsDir string, opts ...Option) (*Server, error) {
	root, err := os.OpenRoot(runsDir)
	if err != nil {
		return nil, fmt.Errorf("dashboard: runs folder: %w", err)
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	s := &Server{
		dir:    runsDir,
		root:   root,
		poll:   time.Second,
		mux:    http.NewServeMux(),
		static: static,
		cache:  make(map[string]*series),

		renders: make(chan struct{}, maxRenders),
		streams: make(chan struct{}, maxStreams),
	}
	for _, o := range opts {
		o(s)
	}
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /run/{name}", s.page)
	s.mux.HandleFunc("GET /compare", s.page)
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /api/runs", s.listRuns)
	s.mux.HandleFunc("GET /api/runs/{name}", s.runDetail)
	s.mux.HandleFunc("GET /api/runs/{name}/metrics", s.runMetrics)
	s.mux.HandleFunc("GET /api/runs/{name}/samples", s.runSamples)
	s.mux.HandleFunc("GET /api/runs/{name}/evals", s.runEvals)
	s.mux.HandleFunc("GET /api/runs/{name}/interpolate", s.interpolate)
	s.mux.HandleFunc("GET /runs/{name}/samples/{file}", s.sampleFile)
	s.mux.HandleFunc("GET /api/events", s.events)
	return s, nil
}

// ServeHTTP serves the dashboard's pages, files and API to requests for an
// allowed host (WithAllowedHosts).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !s.allowedHost(r.Host) {
		httpError(w, http.StatusForbidden, fmt.Errorf("host %.64q is not served: the dashboard answers loopback names and the hosts it is told to (nash board --allow-host)", r.Host))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// allowedHost reports whether the Host header host (a name or address and
// an optional port) names a loopback host or an allowed one.
func (s *Server) allowedHost(host string) bool {
	h := canonicalHost(host)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return true
	}
	return h != "" && (slices.Contains(s.hosts, h) || slices.Contains(s.hosts, "*"))
}

// canonicalHost returns the host of a Host header or address, without the
// port, brackets or a final dot, in lower case.
func canonicalHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// acquire takes a token of tokens for the request, answering 503 with what
// (the work being done) when there is none left; release returns it.
func acquire(w http.ResponseWriter, tokens chan struct{}, what string) (release func(), ok bool) {
	select {
	case tokens <- struct{}{}:
		return func() { <-tokens }, true
	default:
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, fmt.Errorf("busy: %d %s at once already; try again", cap(tokens), what))
		return nil, false
	}
}

// Close releases the runs folder.
func (s *Server) Close() error {
	return s.root.Close()
}

// page serves the single page that renders the list, run and comparison
// views from the address it is loaded at.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	html, err := fs.ReadFile(s.static, "index.html")
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'")
	w.Write(html)
}

// validName reports whether name can be a run directory's name: a
// slash-separated path of one or more elements below the runs folder
// (runs of a sweep sit in sub-folders), none of them empty, hidden or a
// parent reference.
func validName(name string) bool {
	if name == "" || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	for elem := range strings.SplitSeq(name, "/") {
		if elem == "" || elem[0] == '.' {
			return false
		}
	}
	return true
}

// errNoRun is the error of a request for a run that does not exist.
var errNoRun = errors.New("no such run")

// run checks that the request's {name} is a run directory inside the runs
// folder and returns the name; otherwise it answers 404 and returns "".
func (s *Server) run(w http.ResponseWriter, r *http.Request) string {
	name := r.PathValue("name")
	if err := s.checkRun(name); err != nil {
		httpError(w, http.StatusNotFound, fmt.Errorf("run %q: %w", name, err))
		return ""
	}
	return name
}

// checkRun returns nil if name is a run directory (rundir.IsRun) in the
// runs folder or its sub-folders, and errNoRun otherwise.
func (s *Server) checkRun(name string) error {
	if !validName(name) {
		return errNoRun
	}
	fi, err := s.root.Stat(name)
	if err != nil || !fi.IsDir() || !rundir.IsRun(s.root.FS(), name) {
		return errNoRun
	}
	return nil
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	list, err := s.runs()
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, list)
}

// runPage is what /api/runs/{name} returns.
type runPage struct {
	runInfo
	Config map[string]any `json:"config"`
	Keys   []string       `json:"keys"`
	// Labels names the keys for people: the game's statistics' labels
	// and rundir.KeyLabels.
	Labels        map[string]string `json:"labels"`
	Interpolation bool              `json:"interpolation"`
}

// labels returns the labels of a run's metrics keys with the objective
// called loss (the default when it is empty or unknown).
func labels(loss string) map[string]string {
	l, err := gan.ParseLoss(loss)
	if err != nil {
		l = gan.NonSaturating
	}
	out := maps.Clone(rundir.KeyLabels)
	for _, st := range gan.ClassicStatistics(l) {
		out[st.Key] = st.Label
	}
	return out
}

func (s *Server) runDetail(w http.ResponseWriter, r *http.Request) {
	name := s.run(w, r)
	if name == "" {
		return
	}
	info, cfg := s.info(name)
	snap, err := s.metrics(name)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, runPage{runInfo: info, Config: cfg, Keys: snap.keys, Labels: labels(info.Loss), Interpolation: s.interp != nil})
}

// runMetrics answers with columns: step and the requested keys (every key
// by default), downsampled to at most max_points rows, as
//
//	{"run":…, "gen":G, "rows":N, "skipped":K, "keys":[every key], "columns":{"step":[…], "loss_d":[…]}}
//
// where rows counts every record of the file, and gen and rows are what
// /api/events takes to continue from.
func (s *Server) runMetrics(w http.ResponseWriter, r *http.Request) {
	name := s.run(w, r)
	if name == "" {
		return
	}
	limit := defaultMaxPoints
	if v := r.URL.Query().Get("max_points"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 || n > maxMaxPoints {
			httpError(w, http.StatusBadRequest, fmt.Errorf("max_points: want an integer from 3 to %d, got %q", maxMaxPoints, v))
			return
		}
		limit = n
	}
	snap, err := s.metrics(name)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	query := r.URL.Query().Get("keys") + "\x00" + strconv.Itoa(limit)
	writeJSONBytes(w, s.answer(name, query, snap, func() []byte {
		return metricsBody(name, snap, r.URL.Query().Get("keys"), limit)
	}))
}

// metricsBody builds the answer of runMetrics: step and the columns named
// in keys, a comma-separated list (every column if empty), downsampled to
// at most limit rows.
func metricsBody(name string, snap snapshot, keys string, limit int) []byte {
	want := snap.keys
	if keys != "" {
		want = strings.Split(keys, ",")
	}
	var names []string
	var cols [][]float64
	for _, k := range want {
		if c := snap.column(k); c != nil && k != stepKey && !slices.Contains(names, k) {
			names = append(names, k)
			cols = append(cols, c)
		}
	}
	idx := downsample(nil, snap.rows, cols, limit)
	b := fmt.Appendf(nil, `{"run":%s,"gen":%d,"rows":%d,"skipped":%d,"keys":`, quote(name), snap.gen, snap.rows, snap.skipped)
	b = appendStrings(b, snap.keys)
	b = append(b, `,"columns":{`...)
	if step := snap.column(stepKey); step != nil {
		b = appendColumn(b, stepKey, step, idx)
		for i, k := range names {
			b = append(b, ',')
			b = appendColumn(b, k, cols[i], idx)
		}
	}
	return append(b, "}}"...)
}

func (s *Server) runSamples(w http.ResponseWriter, r *http.Request) {
	name := s.run(w, r)
	if name == "" {
		return
	}
	list, err := s.samples(name)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, list)
}

// maxEvalBytes bounds how much of the end of evals.jsonl /evals reads.
const maxEvalBytes = 4 << 20

// evalRow is one evaluation of the history (rundir.EvalHistoryFile) as the
// run page lists it: each number of the generated images beside the
// real-data floor's, absent where the report lacks it.
type evalRow struct {
	Time       time.Time          `json:"time"`
	Checkpoint string             `json:"checkpoint"`
	Step       int                `json:"step"`
	N          int                `json:"n"`
	Generated  map[string]float64 `json:"generated"`
	Floor      map[string]float64 `json:"floor"`
}

// runEvals answers with the run's evaluations by nash eval, oldest first
// (those in the last 4 MiB of its history).
func (s *Server) runEvals(w http.ResponseWriter, r *http.Request) {
	name := s.run(w, r)
	if name == "" {
		return
	}
	rows := []evalRow{}
	f, err := s.root.Open(path.Join(name, rundir.EvalHistoryFile))
	if errors.Is(err, fs.ErrNotExist) {
		writeJSON(w, rows)
		return
	}
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		httpError(w, http.StatusInternalServerError, fmt.Errorf("run %q: %s: %w", name, rundir.EvalHistoryFile, err))
		return
	}
	if !fi.Mode().IsRegular() {
		httpError(w, http.StatusInternalServerError, fmt.Errorf("run %q: %s is not a regular file", name, rundir.EvalHistoryFile))
		return
	}
	start := max(0, fi.Size()-maxEvalBytes)
	b := make([]byte, fi.Size()-start)
	if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	for i, line := range bytes.Split(b, []byte{'\n'}) {
		var rep evaluate.RunReport
		if (i == 0 && start > 0) || json.Unmarshal(line, &rep) != nil {
			continue
		}
		rows = append(rows, evalRow{Time: rep.Time, Checkpoint: rep.Checkpoint, Step: rep.Step, N: rep.N,
			Generated: reportNumbers(rep.Generated), Floor: reportNumbers(rep.Floor)})
	}
	writeJSON(w, rows)
}

// reportNumbers returns the headline numbers of an evaluation report.
func reportNumbers(r evaluate.Report) map[string]float64 {
	m := map[string]float64{}
	if r.FID != nil {
		m["fid"] = *r.FID
	}
	if r.KID != nil {
		m["kid"] = r.KID.Mean
	}
	if r.PRDC != nil {
		m["precision"], m["recall"], m["density"], m["coverage"] = r.PRDC.Precision, r.PRDC.Recall, r.PRDC.Density, r.PRDC.Coverage
	}
	if r.IS != nil {
		m["is"] = r.IS.Mean
	}
	if r.C2ST != nil {
		m["c2st"] = r.C2ST.Accuracy
	}
	if r.SWD != nil {
		m["swd"] = 1e3 * r.SWD.Mean
	}
	if r.MSSSIM != nil {
		m["ms_ssim"] = r.MSSSIM.Fake.Mean
	}
	if r.Modes != nil {
		m["classes"] = float64(r.Modes.Covered)
	}
	return m
}

// sampleFile serves a sample grid, a class grid or a file of generated
// sequences. Only names of the form step-<digits>.png, classes-<digits>.png
// and step-<digits>.txt are served, only as regular files inside the runs
// folder.
func (s *Server) sampleFile(w http.ResponseWriter, r *http.Request) {
	name := s.run(w, r)
	if name == "" {
		return
	}
	file := r.PathValue("file")
	_, isSample := rundir.SampleStep(file)
	_, isClasses := rundir.ClassGridStep(file)
	_, isText := rundir.TextSampleStep(file)
	if !isSample && !isClasses && !isText {
		httpError(w, http.StatusNotFound, fmt.Errorf("%q is not a sample's name", file))
		return
	}
	f, err := s.root.Open(path.Join(name, rundir.SamplesDir, file))
	if err != nil {
		httpError(w, http.StatusNotFound, fmt.Errorf("run %q: sample %q: %w", name, file, fs.ErrNotExist))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		httpError(w, http.StatusNotFound, fmt.Errorf("run %q: sample %q is not a regular file", name, file))
		return
	}
	if isText {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "image/png")
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, file, fi.ModTime(), f)
}

// interpolate serves the picture of the injected Interpolator as a PNG.
func (s *Server) interpolate(w http.ResponseWriter, r *http.Request) {
	name := s.run(w, r)
	if name == "" {
		return
	}
	if s.interp == nil {
		httpError(w, http.StatusNotImplemented, errors.New("latent interpolation is not available in this server"))
		return
	}
	q := r.URL.Query()
	from, err1 := queryUint(q.Get("from"), 1)
	to, err2 := queryUint(q.Get("to"), 2)
	steps, err3 := queryUint(q.Get("steps"), 8)
	slerp, err4 := queryBool(q.Get("slerp"), true)
	if err := errors.Join(prefix("from", err1), prefix("to", err2), prefix("steps", err3), prefix("slerp", err4)); err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	if steps < 2 || steps > maxInterpSteps {
		httpError(w, http.StatusBadRequest, fmt.Errorf("steps: want 2 to %d, got %d", maxInterpSteps, steps))
		return
	}
	ckpt := path.Join(name, rundir.CheckpointsDir, "last.safetensors")
	if fi, err := s.root.Stat(ckpt); err != nil || !fi.Mode().IsRegular() {
		httpError(w, http.StatusNotFound, fmt.Errorf("run %q has no checkpoint %s yet", name, ckpt))
		return
	}
	release, ok := acquire(w, s.renders, "latent walks drawn")
	if !ok {
		return
	}
	defer release()
	img, err := s.interp(filepath.Join(s.dir, name), from, to, int(steps), slerp)
	if err != nil {
		httpError(w, http.StatusInternalServerError, fmt.Errorf("run %q: interpolation: %w", name, err))
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		httpError(w, http.StatusInternalServerError, fmt.Errorf("run %q: interpolation: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// queryUint parses a query parameter, def if it is empty.
func queryUint(v string, def uint64) (uint64, error) {
	if v == "" {
		return def, nil
	}
	return strconv.ParseUint(v, 10, 64)
}

// queryBool parses a query parameter, def if it is empty.
func queryBool(v string, def bool) (bool, error) {
	if v == "" {
		return def, nil
	}
	return strconv.ParseBool(v)
}

// prefix names the parameter an error is about; nil stays nil.
func prefix(param string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", param, err)
}

// httpError answers with status and {"error": err}.
func httpError(w http.ResponseWriter, status int, err error) {
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSONBytes(w, b)
}

// writeJSONBytes answers with b, a JSON document.
func writeJSONBytes(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.Write(append(b, '\n'))
}
