// Command loadgen measures nash serve under load: c clients, each sending
// one request after another for d (after a 503, waiting as its Retry-After
// says, as a well-behaved client does), and prints the requests, images per
// second, the status codes and the latency percentiles:
//
//	go run ./scripts/loadgen -url 'http://127.0.0.1:8080/v1/samples?n=1&format=npy' -c 64 -d 20s -images 1
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/v1/samples?n=1&format=npy", "URL to GET")
	clients := flag.Int("c", 64, "concurrent clients")
	duration := flag.Duration("d", 10*time.Second, "how long to send requests")
	images := flag.Int("images", 1, "images per request, for the images per second")
	flag.Parse()
	if err := run(*url, *clients, *duration, *images); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// outcome is one request's status (0: a transport error) and latency.
type outcome struct {
	status  int
	latency time.Duration
}

func run(url string, clients int, d time.Duration, images int) error {
	if clients < 1 || d <= 0 || images < 1 {
		return fmt.Errorf("-c, -d and -images must be positive")
	}
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	results := make([][]outcome, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := time.Now()
				status, wait := 0, 0
				resp, err := client.Get(url)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
					if status == http.StatusServiceUnavailable {
						wait, _ = strconv.Atoi(resp.Header.Get("Retry-After"))
					}
				}
				if ctx.Err() != nil && err != nil {
					return
				}
				results[c] = append(results[c], outcome{status, time.Since(t)})
				if wait > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(time.Duration(wait) * time.Second):
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var ok []time.Duration
	codes := map[int]int{}
	total := 0
	for _, rs := range results {
		for _, r := range rs {
			codes[r.status]++
			total++
			if r.status == http.StatusOK {
				ok = append(ok, r.latency)
			}
		}
	}
	slices.Sort(ok)
	pct := func(p float64) time.Duration {
		if len(ok) == 0 {
			return 0
		}
		return ok[min(len(ok)-1, int(p*float64(len(ok))))]
	}
	fmt.Printf("clients %d  duration %.1fs  requests %d  ok %d  images/s %.0f  codes %v\n",
		clients, elapsed.Seconds(), total, len(ok), float64(len(ok)*images)/elapsed.Seconds(), codes)
	fmt.Printf("latency of 200s: p50 %v  p90 %v  p99 %v  max %v\n",
		pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	return nil
}
