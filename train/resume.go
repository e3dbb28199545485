package train

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/rundir"
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
// (MergeResume with the user's settings). The weights, optimiser state,
// random streams, data order and step are restored, so the result is
// bit-identical to a run that was never interrupted; metrics logged after
// the checkpoint's step are dropped and logged again. A run stopped before
// its first checkpoint starts again from step 0 with its saved
// configuration; a length below the run's step is refused, and a finished
// run with nothing more to train is left as it is.
func Resume(ctx context.Context, dir string, merge func(stored Config) (Config, error), log io.Writer) error {
	run, err := rundir.Open(dir)
	if err != nil {
		return err
	}
	comm := dist.FromContext(ctx)
	if comm.Rank() == 0 {
		if n, err := run.RemoveTemporaries(); err != nil {
			return err
		} else if n > 0 {
			fmt.Fprintf(log, "nash: removed %d temporary files that interrupted writes left in %s\n", n, dir)
		}
	}
	path, err := infer.RunCheckpoint(dir, "last")
	if errors.Is(err, infer.ErrNoCheckpoint) {
		return restart(ctx, comm, run, merge, log)
	}
	if err != nil {
		return err
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return err
	}
	stored, err := readConfig(f, path)
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
	s, err := resumedSession(run, stored, merge, log)
	if err != nil {
		return err
	}
	if err := s.initRanks(comm); err != nil {
		return err
	}
	cfg, src := s.cfg, s.src
	saved, err := infer.FromCheckpoint(f, path)
	if err != nil {
		return err
	}
	if !saved.Spec.Equal(s.spec) {
		return fmt.Errorf("%s: the run's networks are %+v, its configuration and data now give %+v", path, saved.Spec, s.spec)
	}
	if cfg.labelled() && !slices.Equal(src.classNames(), saved.ClassNames) {
		return fmt.Errorf("%s: the run's classes are %q, the dataset's now %q", path, saved.ClassNames, src.classNames())
	}
	if err := loadNetworks(s.game, f, path); err != nil {
		return err
	}
	if err := s.restore(f, path); err != nil {
		return err
	}
	switch total := s.totalSteps(); {
	case total < s.step:
		return fmt.Errorf("resume %s: the run is at step %d, beyond the %d steps asked for: give --steps or --epochs beyond step %d to continue it", dir, s.step, total, s.step)
	case total == s.step:
		fmt.Fprintf(log, "nash: %s is finished at step %d of %d: nothing to train (give --steps or --epochs beyond it to continue)\n", dir, s.step, total)
		return nil
	}
	if err := s.join(); err != nil {
		return err
	}
	if !s.lead() {
		return s.loop(ctx, log)
	}
	if err := run.WriteConfig(cfg); err != nil {
		return err
	}
	if err := truncateMetrics(run, s.step, log); err != nil {
		return err
	}
	fmt.Fprintf(log, "nash: resuming %s at step %d\n", dir, s.step)
	return s.loop(ctx, log)
}

// restart trains again from step 0 a run stopped before its first
// checkpoint, with the configuration it saved (merged with the user's
// settings): nothing of it was kept but that and a few metrics, which are
// dropped.
func restart(ctx context.Context, comm dist.Comm, run *rundir.Run, merge func(stored Config) (Config, error), log io.Writer) error {
	var stored Config
	if err := run.ReadConfig(&stored); err != nil {
		return err
	}
	s, err := resumedSession(run, stored, merge, log)
	if err != nil {
		return err
	}
	if err := s.joinRanks(comm); err != nil {
		return err
	}
	if !s.lead() {
		return s.loop(ctx, log)
	}
	if err := run.WriteConfig(s.cfg); err != nil {
		return err
	}
	if err := truncateMetrics(run, 0, log); err != nil {
		return err
	}
	fmt.Fprintf(log, "nash: %s stopped before its first checkpoint: training it from step 0 with its saved configuration\n", run.Dir())
	return s.loop(ctx, log)
}

// truncateMetrics drops the run's records after step before they are
// logged again, warning on log about lines that were moved aside.
func truncateMetrics(run *rundir.Run, step int, log io.Writer) error {
	moved, err := run.TruncateMetrics(step)
	if moved > 0 {
		fmt.Fprintf(log, "nash: warning: %s: %d lines that are not records were moved to %s\n", run.MetricsPath(), moved, run.MalformedMetricsPath())
	}
	return err
}

// resumedSession returns a new session of the run with the configuration
// that merge gives for the stored one, on freshly opened data (warnings
// about it go to log).
func resumedSession(run *rundir.Run, stored Config, merge func(stored Config) (Config, error), log io.Writer) (*session, error) {
	cfg, err := merge(stored)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", run.Dir(), err)
	}
	src, err := openSource(cfg, log)
	if err != nil {
		return nil, err
	}
	return newSession(cfg, run, src)
}

// restore sets the optimisers, random streams, game state, loader and
// epoch from f, read from path.
func (s *session) restore(f *checkpoint.File, path string) error {
	meta := func(key string) string { return f.Metadata[key] }
	for _, o := range s.game.Optimizers() {
		saved, err := f.StateDict(o.Name + ".")
		if err != nil {
			return err
		}
		own, _ := o.State()
		if len(saved) != len(own) {
			return fmt.Errorf("%s: %s.*: %d tensors, the optimiser has %d", path, o.Name, len(saved), len(own))
		}
		for name, dst := range own {
			src, ok := saved[name]
			if !ok || !src.SameShape(dst) {
				return fmt.Errorf("%s: tensor %q missing or of the wrong shape", path, o.Name+"."+name)
			}
			dst.CopyFrom(src)
		}
		key := stepsKey(o.Name)
		steps, err := strconv.Atoi(meta(key))
		if err != nil || steps < 0 {
			return fmt.Errorf("%s: metadata %s is %.80q, want a step count", path, key, meta(key))
		}
		o.SetSteps(steps)
	}
	for _, r := range s.game.Streams() {
		key := rngKey(r.Name)
		b, err := base64.StdEncoding.DecodeString(meta(key))
		if err == nil {
			err = r.UnmarshalBinary(b)
		}
		if err != nil {
			return fmt.Errorf("%s: metadata %s: %w", path, key, err)
		}
	}
	if err := s.game.SetState([]byte(meta(metaGameState))); err != nil {
		return fmt.Errorf("%s: metadata %s: %w", path, metaGameState, err)
	}
	if err := s.restoreEval(f.Metadata, path); err != nil {
		return err
	}
	if err := s.src.setState([]byte(meta(metaLoader))); err != nil {
		return fmt.Errorf("%s: metadata %s: %w", path, metaLoader, err)
	}
	step, err := strconv.Atoi(meta(metaStep))
	if err != nil || step < 0 {
		return fmt.Errorf("%s: metadata %s is %.80q, want a step count", path, metaStep, meta(metaStep))
	}
	s.step = step
	if s.epoch, err = strconv.Atoi(meta(metaEpoch)); err != nil || s.epoch < 0 {
		return fmt.Errorf("%s: metadata %s is %.80q, want an epoch", path, metaEpoch, meta(metaEpoch))
	}
	return s.restoreRanks(f, path)
}
