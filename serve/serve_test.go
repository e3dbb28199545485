package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// generator returns a generator of the recipe MLP with random weights,
// conditional on 10 classes if conditional.
func generator(t testing.TB, conditional bool) *infer.Generator {
	t.Helper()
	spec := models.Spec{Family: "mlp", Data: data.Images, Sample: models.Shape{C: 1, H: 28, W: 28}, ZDim: 100}
	var names []string
	if conditional {
		spec.Classes = 10
		for k := range 10 {
			names = append(names, fmt.Sprint(k))
		}
	}
	nets, err := models.Build(spec, tensor.NewRNG(1, "init"))
	if err != nil {
		t.Fatal(err)
	}
	return &infer.Generator{Net: nets[gan.GeneratorName], Spec: spec, ClassNames: names, Step: 5}
}

// gate is a network that waits in Forward until open is closed, after
// saying so on entered: a forward pass held in flight.
type gate struct {
	nn.Module
	entered chan struct{}
	open    chan struct{}
}

func (g *gate) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	g.entered <- struct{}{}
	<-g.open
	return g.Module.Forward(tp, x)
}

// gated returns an unconditional generator whose forward passes wait at
// the gate.
func gated(t *testing.T) (*infer.Generator, *gate) {
	g := generator(t, false)
	gt := &gate{Module: g.Net, entered: make(chan struct{}, 16), open: make(chan struct{})}
	g.Net = gt
	return g, gt
}

// newServer returns a test server of g with opts changed by edit.
func newServer(t *testing.T, g *infer.Generator, edit func(*Options)) (*Server, *httptest.Server) {
	t.Helper()
	o := DefaultOptions()
	if edit != nil {
		edit(&o)
	}
	s, err := New(g, o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

// call sends a request and returns the status, headers and body.
func call(t *testing.T, method, url, contentType string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// latents returns a JSON array of n latent vectors of length d.
func latents(n, d int) string {
	rows := make([]string, n)
	for i := range rows {
		vals := make([]string, d)
		for j := range vals {
			vals[j] = fmt.Sprint(float32(i-j) / 50)
		}
		rows[i] = "[" + strings.Join(vals, ",") + "]"
	}
	return "[" + strings.Join(rows, ",") + "]"
}

// Every hostile request is answered 4xx with a JSON error naming the
// field, and the server keeps serving.
func TestHostileRequests(t *testing.T) {
	_, ts := newServer(t, generator(t, false), nil)
	_, cts := newServer(t, generator(t, true), nil)
	const js = "application/json"
	for _, c := range []struct {
		name, method, url, ctype, body string
		status                         int
		field                          string
	}{
		{"huge n", "GET", "/v1/samples?n=1000000000", "", "", 400, "n"},
		{"negative n", "GET", "/v1/samples?n=-5", "", "", 400, "n"},
		{"non-numeric n", "GET", "/v1/samples?n=ten", "", "", 400, "n"},
		{"non-numeric seed", "GET", "/v1/samples?seed=x", "", "", 400, "seed"},
		{"negative seed", "GET", "/v1/samples?seed=-1", "", "", 400, "seed"},
		{"class of an unconditional generator", "GET", "/v1/samples?class=3", "", "", 400, "class"},
		{"unknown format", "GET", "/v1/samples?format=gif", "", "", 400, "format"},
		{"unknown parameter", "GET", "/v1/samples?m=3", "", "", 400, "m"},
		{"malformed JSON", "POST", "/v1/generate", js, `{"z": [[1, 2]`, 400, ""},
		{"wrong content type", "POST", "/v1/generate", "text/plain", `{"z": [[1]]}`, 415, "Content-Type"},
		{"no content type", "POST", "/v1/generate", "", `{"z": [[1]]}`, 415, "Content-Type"},
		{"latent of the wrong length", "POST", "/v1/generate", js, `{"z": [[1, 2, 3]]}`, 400, "z"},
		{"no latents", "POST", "/v1/generate", js, `{"z": []}`, 400, "z"},
		{"too many latents", "POST", "/v1/generate", js, `{"z": ` + latents(1025, 1) + `}`, 400, "z"},
		{"latent of strings", "POST", "/v1/generate", js, `{"z": [["a"]]}`, 400, "z"},
		{"value beyond float32", "POST", "/v1/generate", js, `{"z": [[1e300` + strings.Repeat(",0", 99) + `]]}`, 400, "z"},
		{"unknown field", "POST", "/v1/generate", js, `{"z": [[1]], "zz": 1}`, 400, ""},
		{"class of an unconditional generator", "POST", "/v1/generate", js, `{"z": ` + latents(1, 100) + `, "class": [1]}`, 400, "class"},
		{"data after the value", "POST", "/v1/generate", js, `{"z": ` + latents(1, 100) + `} {}`, 400, ""},
		{"body over the limit", "POST", "/v1/generate", js, `{"z": [[` + strings.Repeat("0,", 5<<20) + `0]]}`, 413, "body"},
		{"walk without from", "POST", "/v1/interpolate", js, `{"to": 1}`, 400, "from"},
		{"walk of one step", "POST", "/v1/interpolate", js, `{"from": 0, "to": 1, "steps": 1}`, 400, "steps"},
		{"walk of a negative seed", "POST", "/v1/interpolate", js, `{"from": -1, "to": 1}`, 400, "from"},
		{"path with ..", "GET", "/v1/../../etc/passwd", "", "", 400, "path"},
		{"unknown route", "GET", "/v1/translate", "", "", 404, "path"},
		{"unknown model", "GET", "/v2/models/other", "", "", 404, "name"},
		{"v2 wrong shape", "POST", "/v2/models/nash/infer", js, `{"inputs": [{"name": "z", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}`, 400, "inputs.z.shape"},
		{"v2 too few values", "POST", "/v2/models/nash/infer", js, `{"inputs": [{"name": "z", "shape": [1, 100], "datatype": "FP32", "data": [1, 2, 3]}]}`, 400, "inputs.z.data"},
		{"v2 unknown input", "POST", "/v2/models/nash/infer", js, `{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}`, 400, "inputs"},
		{"v2 wrong datatype", "POST", "/v2/models/nash/infer", js, `{"inputs": [{"name": "z", "shape": [1, 100], "datatype": "BYTES", "data": ["a"]}]}`, 400, "inputs.z.datatype"},
		{"v2 strings for numbers", "POST", "/v2/models/nash/infer", js, `{"inputs": [{"name": "z", "shape": [1, 100], "datatype": "FP32", "data": ["a"]}]}`, 400, "inputs.z.data"},
		{"v2 huge n", "POST", "/v2/models/nash/infer", js, `{"inputs": [{"name": "z", "shape": [1000000000, 100], "datatype": "FP32", "data": [1]}]}`, 400, "inputs.z.shape"},
		{"v2 unknown output", "POST", "/v2/models/nash/infer", js, `{"inputs": [], "outputs": [{"name": "logits"}]}`, 400, "outputs"},
		{"v2 no input", "POST", "/v2/models/nash/infer", js, `{"inputs": []}`, 400, "inputs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := call(t, c.method, ts.URL+c.url, c.ctype, strings.NewReader(c.body))
			var e struct{ Error, Field string }
			if err := json.Unmarshal(body, &e); err != nil || status != c.status || e.Field != c.field || e.Error == "" {
				t.Fatalf("status %d, body %s (%v); want %d naming %q", status, body, err, c.status, c.field)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	for _, c := range []struct{ name, body, field string }{
		{"missing classes", `{"z": ` + latents(2, 100) + `}`, "class"},
		{"class out of range", `{"z": ` + latents(1, 100) + `, "class": [10]}`, "class"},
		{"negative class", `{"z": ` + latents(1, 100) + `, "class": [-1]}`, "class"},
	} {
		t.Run("conditional "+c.name, func(t *testing.T) {
			status, _, body := call(t, "POST", cts.URL+"/v1/generate", js, strings.NewReader(c.body))
			if status != 400 || !strings.Contains(string(body), `"field":"`+c.field+`"`) {
				t.Fatalf("status %d, body %s", status, body)
			}
		})
	}
	// An Open Inference Protocol class input whose values do not fill its
	// shape.
	v2 := `{"inputs": [{"name": "z", "shape": [1, 100], "datatype": "FP32", "data": ` + latents(1, 100) +
		`}, {"name": "class", "shape": [5], "datatype": "INT64", "data": [3]}]}`
	if status, _, body := call(t, "POST", cts.URL+"/v2/models/nash/infer", js, strings.NewReader(v2)); status != 400 || !strings.Contains(string(body), "inputs.class.data") {
		t.Errorf("a class input of 1 value for shape [5]: status %d, body %s", status, body)
	}
	if status, _, body := call(t, "GET", ts.URL+"/v1/samples?n=4&format=json", "", nil); status != 200 {
		t.Fatalf("after the hostile requests: %d %s", status, body)
	}
}

// Closing a server twice (ListenAndServe closes it, and so may its caller)
// is harmless.
func TestCloseTwice(t *testing.T) {
	s, err := New(generator(t, false), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
}

// The /v1 routes answer what the generator gives for the same noise, in
// every format.
func TestV1Routes(t *testing.T) {
	g := generator(t, true)
	_, ts := newServer(t, g, nil)
	want, err := g.Samples(3, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := call(t, "GET", ts.URL+"/v1/samples?n=3&seed=7&class=2&format=json", "", nil)
	var got samplesJSON
	if err := json.Unmarshal(body, &got); err != nil || status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	if fmt.Sprint(got.Shape) != "[3 1 28 28]" || !equal(got.Data, want.Data()) {
		t.Fatalf("samples differ from Samples(3, 7, 2)")
	}
	status, h, body := call(t, "GET", ts.URL+"/v1/samples?n=3&seed=7&class=2&format=npy", "", nil)
	if status != 200 || h.Get("Content-Type") != "application/octet-stream" || !bytes.Contains(body, []byte("'shape': (3, 1, 28, 28)")) || len(body)%64 != (4*3*784)%64 {
		t.Fatalf("npy: %d %q", status, body[:min(len(body), 80)])
	}
	status, h, body = call(t, "GET", ts.URL+"/v1/samples?n=3&class=1", "", nil)
	if _, err := png.Decode(bytes.NewReader(body)); err != nil || status != 200 || h.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %d %v", status, err)
	}
	z, labels, _ := g.WalkInputs(infer.Walk{From: 1, To: 2, Steps: 4, Class: 3})
	wantWalk, _ := g.Sample(z, labels)
	status, _, body = call(t, "POST", ts.URL+"/v1/interpolate", "application/json", strings.NewReader(`{"from": 1, "to": 2, "steps": 4, "class": 3, "format": "json"}`))
	if err := json.Unmarshal(body, &got); err != nil || status != 200 || !equal(got.Data, wantWalk.Data()) {
		t.Fatalf("interpolate: %d %s", status, body[:min(len(body), 200)])
	}
	status, _, body = call(t, "GET", ts.URL+"/v1/model", "", nil)
	if status != 200 || !strings.Contains(string(body), `"classes":10`) || !strings.Contains(string(body), `"step":5`) {
		t.Fatalf("model: %d %s", status, body)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// Requests shaped as KServe's and Triton's documentation shows them: the
// health and metadata routes, and inference with flat and nested data,
// with an id, and with the class input of a conditional generator.
func TestOpenInferenceProtocol(t *testing.T) {
	g := generator(t, true)
	_, ts := newServer(t, g, func(o *Options) { o.Name = "mnist-gan" })
	for _, path := range []string{"/v2/health/live", "/v2/health/ready", "/v2/models/mnist-gan/ready", "/v2"} {
		if status, _, body := call(t, "GET", ts.URL+path, "", nil); status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
	}
	_, _, body := call(t, "GET", ts.URL+"/v2/models/mnist-gan", "", nil)
	var meta v2Metadata
	if err := json.Unmarshal(body, &meta); err != nil || meta.Name != "mnist-gan" || len(meta.Inputs) != 2 ||
		fmt.Sprint(meta.Inputs[0].Shape) != "[-1 100]" || meta.Inputs[1].Datatype != "INT64" || fmt.Sprint(meta.Outputs[0].Shape) != "[-1 1 28 28]" {
		t.Fatalf("metadata %s", body)
	}
	z := g.Noise(2, tensor.NewRNG(4, "test"))
	labels := tensor.FromSlice([]float32{3, 8}, 2)
	want, _ := g.Sample(z, labels)
	flat, _ := json.Marshal(z.Data())
	nested, _ := json.Marshal([][]float32{z.Data()[:100], z.Data()[100:]})
	for name, data := range map[string]string{"flat": string(flat), "nested": string(nested)} {
		// Triton's clients add parameters to the request and its outputs.
		req := `{"id": "42", "parameters": {"sequence_id": 0}, "inputs": [{"name": "z", "shape": [2, 100], "datatype": "FP32", "data": ` + data +
			`}, {"name": "class", "shape": [2], "datatype": "INT64", "data": [3, 8]}], "outputs": [{"name": "images", "parameters": {"binary_data": false}}]}`
		status, _, body := call(t, "POST", ts.URL+"/v2/models/mnist-gan/infer", "application/json", strings.NewReader(req))
		var resp v2Response
		if err := json.Unmarshal(body, &resp); err != nil || status != 200 {
			t.Fatalf("%s: %d %s", name, status, body)
		}
		o := resp.Outputs[0]
		if resp.ID != "42" || resp.ModelName != "mnist-gan" || o.Name != "images" || o.Datatype != "FP32" ||
			fmt.Sprint(o.Shape) != "[2 1 28 28]" || !equal(o.Data, want.Data()) {
			t.Fatalf("%s: response %+v differs", name, resp.Outputs[0].Shape)
		}
	}
}

// Concurrent requests are merged into one forward pass, and each gets,
// bit for bit, what the generator gives its latent vectors alone.
func TestMicroBatching(t *testing.T) {
	g := generator(t, false)
	const clients, rows = 8, 2
	_, ts := newServer(t, g, func(o *Options) { o.MaxBatch, o.MaxWait = clients*rows, time.Minute })
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := g.Noise(rows, tensor.NewRNG(uint64(c), "test"))
			want, _ := g.Sample(z, nil)
			b, _ := json.Marshal(map[string]any{"z": [][]float32{z.Data()[:100], z.Data()[100:]}})
			resp, err := http.Post(ts.URL+"/v1/generate", "application/json", bytes.NewReader(b))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var got samplesJSON
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || !equal(got.Data, want.Data()) {
				errs <- fmt.Errorf("client %d: status %d, samples differ (%v)", c, resp.StatusCode, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A request is counted after its answer is written, so a client can
	// read its samples a moment before the count includes it.
	wants := []string{"nash_batch_size_count 1\n", fmt.Sprintf("nash_batch_size_sum %d\n", clients*rows),
		`nash_requests_total{code="200",route="POST /v1/generate"} 8`, "nash_queue_depth", "nash_request_duration_seconds_bucket"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		_, _, body := call(t, "GET", ts.URL+"/metrics", "", nil)
		var missing []string
		for _, want := range wants {
			if !strings.Contains(string(body), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q", missing)
		}
	}
}

// With the forward pass held and the queue full, one more request is
// answered 503 with Retry-After at once; a request that runs out of time
// is answered the same; the queued ones finish when the pass goes on.
func TestQueueFullAndTimeout(t *testing.T) {
	g, gt := gated(t)
	s, ts := newServer(t, g, func(o *Options) { o.Queue, o.MaxBatch, o.MaxWait = 1, 1, 0 })
	results := make(chan int, 2)
	get := func() {
		status, _, _ := call(t, "GET", ts.URL+"/v1/samples?n=1&format=json", "", nil)
		results <- status
	}
	go get()
	<-gt.entered // the first request's pass is running
	go get()
	for len(s.batcher.queue) < 1 {
		time.Sleep(time.Millisecond)
	}
	status, h, body := call(t, "GET", ts.URL+"/v1/samples?n=1", "", nil)
	if status != 503 || h.Get("Retry-After") == "" || !strings.Contains(string(body), "queue is full") {
		t.Fatalf("queue full: %d %q %s", status, h.Get("Retry-After"), body)
	}
	close(gt.open)
	for range 2 {
		if status := <-results; status != 200 {
			t.Fatalf("queued request: %d", status)
		}
	}

	g2, gt2 := gated(t)
	_, ts2 := newServer(t, g2, func(o *Options) { o.Timeout = 50 * time.Millisecond })
	status, h, body = call(t, "GET", ts2.URL+"/v1/samples?n=1", "", nil)
	if status != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("timeout: %d %s", status, body)
	}
	close(gt2.open)
}

// On shutdown the server stops accepting and the request in flight
// finishes with its answer.
func TestGracefulShutdown(t *testing.T) {
	g, gt := gated(t)
	s, err := New(g, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "127.0.0.1:0", time.Minute, func(a net.Addr) { addr <- a }) }()
	url := "http://" + (<-addr).String()
	status := make(chan int, 1)
	go func() {
		st, _, _ := call(t, "GET", url+"/v1/samples?n=2&format=json", "", nil)
		status <- st
	}()
	<-gt.entered
	cancel()
	// Wait until the listener is closed: new connections are refused.
	for {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(time.Millisecond)
	}
	close(gt.open)
	if st := <-status; st != 200 {
		t.Fatalf("request in flight: %d", st)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Watch serves the new generator once the checkpoint changes, and keeps
// the old one when the new file does not load.
func TestWatchReloads(t *testing.T) {
	g := generator(t, false)
	path := filepath.Join(t.TempDir(), "g.safetensors")
	if err := g.WriteSafetensors(path); err != nil {
		t.Fatal(err)
	}
	first, err := infer.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s, ts := newServer(t, first, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.Watch(ctx, path, 5*time.Millisecond)
	g.Step = 99
	if err := g.WriteSafetensors(path); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for s.Generator().Step != 99 {
		if time.Now().After(deadline) {
			t.Fatal("the new checkpoint was not served within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, _, body := call(t, "GET", ts.URL+"/v1/model", "", nil); !strings.Contains(string(body), `"step":99`) {
		t.Fatalf("model after reload: %s", body)
	}
	// Replaced as training replaces a checkpoint, by a rename: written in
	// place, the watcher could see the file empty and then full, two errors.
	if err := os.WriteFile(path+".tmp", []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	for {
		_, _, body := call(t, "GET", ts.URL+"/metrics", "", nil)
		if strings.Contains(string(body), `nash_reloads_total{result="error"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed reload counted: %s", body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if step := s.Generator().Step; step != 99 {
		t.Fatalf("after a bad file the server serves step %d", step)
	}
}

// Options out of range are refused, naming the flag.
func TestOptionsChecked(t *testing.T) {
	for flag, edit := range map[string]func(*Options){
		"--max-batch": func(o *Options) { o.MaxBatch = 0 },
		"--queue":     func(o *Options) { o.Queue = 0 },
		"--max-n":     func(o *Options) { o.MaxN = -1 },
		"--timeout":   func(o *Options) { o.Timeout = 0 },
		"--max-wait":  func(o *Options) { o.MaxWait = -time.Second },
	} {
		o := DefaultOptions()
		edit(&o)
		if _, err := New(generator(t, false), o); err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s: error %v", flag, err)
		}
	}
}
