package train

import (
	"io"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/tensor"
)

// toySession returns a fresh session of a small run on a 2-D mixture.
func toySession(t testing.TB) *session {
	cfg := quickConfig()
	cfg.Dataset = "ring8"
	return sessionOf(t, cfg)
}

// sessionOf returns a fresh session of cfg.
func sessionOf(t testing.TB, cfg Config) *session {
	src, err := openSource(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSession(cfg, nil, src)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzRestore checks that no checkpoint metadata makes restoring a
// session panic, and that a session restored from any metadata it accepts
// can take a step. One session serves every input (building one per input
// would make the fuzzing a hundred times slower): restore sets all that it
// reads.
func FuzzRestore(f *testing.F) {
	s := toySession(f)
	s.step, s.epoch = 3, 0
	path := f.TempDir() + "/seed.safetensors"
	if err := s.saveCheckpoint(path); err != nil {
		f.Fatal(err)
	}
	saved, err := checkpoint.Load(path)
	if err != nil {
		f.Fatal(err)
	}
	keys := []string{stepsKey("optim_g"), stepsKey("optim_d"), rngKey("noise"), metaGameState, metaLoader, metaStep, metaEpoch, metaEval}
	seed := func(values ...string) {
		v := make([]string, len(keys))
		for i, k := range keys {
			v[i] = saved.Metadata[k]
			if i < len(values) && values[i] != "" {
				v[i] = values[i]
			}
		}
		f.Add(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
	}
	seed()
	seed("-1", "1e9", "cGNn", `{"steps":-4,"last_loss_g":1e999}`, `{"steps":-1,"rng":""}`, "9223372036854775807", "-2", `{"best_fid":"NaN","best_step":0}`)
	seed("", "", "", `{"steps":2}`, `{"steps":5,"rng":null}`, "", "", `{"best_fid":3.5,"best_step":2,"classes":10,"diversity":0.9}`)
	f.Fuzz(func(t *testing.T, stepsG, stepsD, rng, progress, loader, step, epoch, eval string) {
		file := &checkpoint.File{Metadata: map[string]string{}}
		for k, v := range saved.Metadata {
			file.Metadata[k] = v
		}
		for _, name := range saved.Names() {
			if x, err := saved.Tensor(name); err == nil {
				file.Set(name, x)
			}
		}
		for i, v := range []string{stepsG, stepsD, rng, progress, loader, step, epoch, eval} {
			file.Metadata[keys[i]] = v
		}
		if err := s.restore(file, "fuzz.safetensors"); err != nil {
			return
		}
		if s.step < 0 || s.epoch < 0 {
			t.Fatalf("restored step %d, epoch %d", s.step, s.epoch)
		}
		batch := tensor.New(s.cfg.Batch, s.spec.Sample.Len())
		b := s.src.next(batch, s.labels)
		s.game.Step(s.batch(batch, b.N))
	})
}
