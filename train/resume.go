package train

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
)

// resumable lists the settings a resumed run may change: they decide how
// long it runs, how often it logs and saves and how many cores it uses, never what
// any step computes (a run whose learning rates decay to its end keeps its
// length: MergeResume refuses to change it).
var resumable = []string{"epochs", "steps", "threads", "log_every", "sample_every", "eval_every"}

// configHash identifies the settings that determine a run's arithmetic:
// every setting but the resumable ones.
func configHash(c Config) string {
	v := reflect.ValueOf(&c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if slices.Contains(resumable, YAMLKey(v.Type().Field(i))) {
			v.Field(i).SetZero()
		}
	}
	sum := sha256.Sum256(c.YAML())
	return hex.EncodeToString(sum[:])
}

// YAMLKey returns the YAML key of a Config field: the name in its yaml tag.
func YAMLKey(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return key
}

// MergeResume returns the configuration of a resumed run: stored, with the
// settings the user gave (changed, by YAML key, with their values in
// requested) applied. A setting that would change what a step computes is
// refused, naming it.
func MergeResume(stored, requested Config, changed []string) (Config, error) {
	out := stored
	sv, rv, ov := reflect.ValueOf(stored), reflect.ValueOf(requested), reflect.ValueOf(&out).Elem()
	for i := 0; i < sv.NumField(); i++ {
		key := YAMLKey(sv.Type().Field(i))
		if !slices.Contains(changed, key) {
			continue
		}
		if slices.Contains(resumable, key) {
			if stored.LRDecay > 0 && (key == "epochs" || key == "steps") && !sv.Field(i).Equal(rv.Field(i)) {
				return Config{}, fmt.Errorf("%s: the learning rates fall to 0 over the last %g of the run's length (lr_decay), so a resumed run cannot change it from %v to %v",
					key, stored.LRDecay, sv.Field(i).Interface(), rv.Field(i).Interface())
			}
			ov.Field(i).Set(rv.Field(i))
			continue
		}
		if !sv.Field(i).Equal(rv.Field(i)) {
			return Config{}, fmt.Errorf("%s: the run was trained with %v, cannot resume with %v (only %v may change)",
				key, sv.Field(i).Interface(), rv.Field(i).Interface(), resumable)
		}
	}
	return out, out.Validate()
}

// Resume continues the run in dir from its last checkpoint. merge receives
// the configuration stored in the checkpoint and returns the one to use
// (MergeResume with the user's settings). The weights, optimiser moments,
// random streams, data order and step are restored, so the result is
// bit-identical to a run that was never interrupted; metrics logged after
// the checkpoint's step are dropped and logged again.
func Resume(ctx context.Context, dir string, merge func(stored Config) (Config, error), log io.Writer) error {
	run, err := rundir.Open(dir)
	if err != nil {
		return err
	}
	path := run.CheckpointPath("last")
	f, err := checkpoint.Load(path)
	if err != nil {
		return err
	}
	t, err := restoreTrained(f, path)
	if err != nil {
		return err
	}
	var onDisk Config
	if err := run.ReadConfig(&onDisk); err != nil {
		return err
	}
	if configHash(onDisk) != f.Metadata[metaConfigHash] {
		return fmt.Errorf("%s does not match the configuration saved in %s: the run was changed by hand", run.ConfigPath(), path)
	}
	cfg, err := merge(t.Config)
	if err != nil {
		return fmt.Errorf("resume %s: %w", dir, err)
	}
	if cfg.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Threads))
	}
	src, _, err := openSource(cfg)
	if err != nil {
		return err
	}
	s := &session{
		cfg: cfg, run: run, gan: t.GAN, shape: t.Shape, step: t.Step, src: src,
		noise:  tensor.NewRNG(cfg.Seed, "noise"),
		fixedZ: fixedNoise(t.GAN, cfg),
	}
	if cfg.Conditional && !slices.Equal(src.classNames(), t.ClassNames) {
		return fmt.Errorf("%s: the run's classes are %q, the dataset's now %q", path, t.ClassNames, src.classNames())
	}
	s.initClasses(t.ClassNames)
	if err := s.restore(f, path); err != nil {
		return err
	}
	if err := run.WriteConfig(cfg); err != nil {
		return err
	}
	if err := run.TruncateMetrics(s.step); err != nil {
		return err
	}
	fmt.Fprintf(log, "nash: resuming %s at step %d\n", dir, s.step)
	return s.loop(ctx, log)
}

// restore sets the optimisers, random streams, loader and epoch from f.
func (s *session) restore(f *checkpoint.File, path string) error {
	meta := func(key string) string { return f.Metadata[key] }
	for _, o := range []struct {
		prefix, stepsKey string
		opt              optim.Optimizer
	}{{prefixOptG, metaOptGSteps, s.gan.OptG}, {prefixOptD, metaOptDSteps, s.gan.OptD}} {
		saved, err := f.StateDict(o.prefix)
		if err != nil {
			return err
		}
		own, _ := o.opt.State()
		if len(saved) != len(own) {
			return fmt.Errorf("%s: %s*: %d tensors, the optimiser has %d", path, o.prefix, len(saved), len(own))
		}
		for name, dst := range own {
			src, ok := saved[name]
			if !ok || !src.SameShape(dst) {
				return fmt.Errorf("%s: tensor %q missing or of the wrong shape", path, o.prefix+name)
			}
			dst.CopyFrom(src)
		}
		steps, err := strconv.Atoi(meta(o.stepsKey))
		if err != nil {
			return fmt.Errorf("%s: metadata %s is %q, want a step count", path, o.stepsKey, meta(o.stepsKey))
		}
		o.opt.SetSteps(steps)
	}
	noise, err := base64.StdEncoding.DecodeString(meta(metaNoiseRNG))
	if err == nil {
		err = s.noise.UnmarshalBinary(noise)
	}
	if err != nil {
		return fmt.Errorf("%s: metadata %s: %w", path, metaNoiseRNG, err)
	}
	var progress gan.Progress
	if err := json.Unmarshal([]byte(meta(metaProgress)), &progress); err != nil {
		return fmt.Errorf("%s: metadata %s: %w", path, metaProgress, err)
	}
	s.gan.SetProgress(progress)
	if err := s.restoreEval(f.Metadata, path); err != nil {
		return err
	}
	if err := s.src.setState([]byte(meta(metaLoader))); err != nil {
		return fmt.Errorf("%s: metadata %s: %w", path, metaLoader, err)
	}
	if s.epoch, err = strconv.Atoi(meta(metaEpoch)); err != nil {
		return fmt.Errorf("%s: metadata %s is %q, want an epoch", path, metaEpoch, meta(metaEpoch))
	}
	return nil
}
