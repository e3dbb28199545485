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
	perSample := uint64(4 * (s.spec.ZDim + s.spec.Sample.Len()))
	if d, ok := s.samplePassBytes(); ok {
		perSample = max(perSample, d)
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

// probeTries bounds the attempts at a measurement that no garbage
// collection disturbed.
const probeTries = 4

// samplePassBytes returns the bytes a generator pass allocates per sample:
// the difference of a pass of 2·probeSamples and one of probeSamples, which
// leaves out what a pass allocates once, whatever its size, after a first
// pass has warmed the buffers that persist. A collection empties the pools
// of buffers the passes reuse, and the larger pass would count their
// reallocation as the samples'; a try that a collection disturbed is taken
// again. ok is false when no try was undisturbed.
func (s *session) samplePassBytes() (perSample uint64, ok bool) {
	for range probeTries {
		collections := numGC()
		s.passBytes(2 * probeSamples)
		small := s.passBytes(probeSamples)
		large := s.passBytes(2 * probeSamples)
		if numGC() != collections {
			continue
		}
		if large > small {
			return (large - small) / probeSamples, true
		}
		return 0, true
	}
	return 0, false
}

// passBytes returns the bytes allocated by a generator pass of n samples.
func (s *session) passBytes(n int) uint64 {
	z := s.gen.Noise(n, tensor.NewRNG(0, "memory"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.gen.GenerateFrom(z)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// numGC returns how many garbage collections have completed.
func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// gib converts bytes to GiB.
func gib(b uint64) float64 { return float64(b) / (1 << 30) }
