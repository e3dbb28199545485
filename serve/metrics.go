package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// counters are the server's Prometheus metrics, on a registry of its own.
type counters struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	batchSize  prometheus.Histogram
	queueDepth prometheus.Gauge
	samples    prometheus.Counter
	reloads    *prometheus.CounterVec
}

func newCounters() *counters {
	m := &counters{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nash_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nash_request_duration_seconds", Help: "Time from a request's arrival to its answer, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "nash_batch_size", Help: "Samples per forward pass of the generator.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nash_queue_depth", Help: "Requests waiting for a forward pass.",
		}),
		samples: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nash_samples_total", Help: "Samples generated.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nash_reloads_total", Help: "Reloads of the checkpoint by --watch, by result.",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.batchSize, m.queueDepth, m.samples, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
