package train

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// availableMemory returns the bytes of memory the machine can give a new
// allocation without swapping (Linux's MemAvailable), or 0 when it cannot
// tell.
var availableMemory = func() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) == 3 && string(fields[0]) == "MemAvailable:" && string(fields[2]) == "kB" {
			kb, err := strconv.ParseUint(string(fields[1]), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// stepActivations is how many times the activations of a generator pass
// a training step keeps: G's pass, D's passes over the real and the
// generated batch, the generator step's passes, and the gradients of all of
// them, with room for a penalty's second derivatives.
const stepActivations = 8

// checkMemory refuses a session whose training would need more memory than
// the machine has available, before anything of the run is written. The
// estimate counts, beyond the networks already built, their gradients,
// two optimiser moments and a checkpoint's copy of every parameter, and
// stepActivations times the memory a generator pass of one sample
// allocates, per sample of the batch.
func (s *session) checkMemory() error {
	avail := availableMemory()
	if avail == 0 {
		return nil
	}
	params := 0
	for _, n := range s.game.Networks() {
		for _, t := range nn.StateDict(n.Module) {
			params += t.Len()
		}
	}
	// The difference of two passes leaves out what a pass allocates once,
	// whatever its size; the first pass warms the buffers that persist.
	s.passBytes(probeSamples)
	small, large := s.passBytes(probeSamples), s.passBytes(2*probeSamples)
	perSample := uint64(4 * (s.spec.ZDim + s.spec.Sample.Len()))
	if large > small {
		perSample = max(perSample, (large-small)/probeSamples)
	}
	need := 4*4*uint64(params) + uint64(s.cfg.Batch)*(stepActivations*perSample+4*uint64(s.spec.Sample.Len()))
	if need > avail {
		return fmt.Errorf("batch: training %s with batch %d needs about %.1f GiB (%d parameters, %.2f MiB per sample), more than the %.1f GiB of memory available: lower batch, z_dim or image_size",
			s.cfg.Model, s.cfg.Batch, gib(need), params, float64(stepActivations*perSample)/(1<<20), gib(avail))
	}
	return nil
}

// probeSamples is the size of the generator passes that measure the
// memory of one sample.
const probeSamples = 32

// passBytes returns the bytes allocated by a generator pass of n samples.
func (s *session) passBytes(n int) uint64 {
	z := s.gen.Noise(n, tensor.NewRNG(0, "memory"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.gen.GenerateFrom(z)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// gib converts bytes to GiB.
func gib(b uint64) float64 { return float64(b) / (1 << 30) }
