package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/internal/legacyruns"
)

// tensorHashes returns the SHA-256 of the little-endian bytes of every
// float32 tensor of the checkpoint at path, by name.
func tensorHashes(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range f.Names() {
		if dtype, _, _ := f.Info(name); dtype != checkpoint.F32 {
			continue
		}
		x, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4*x.Len())
		for i, v := range x.Data() {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		sum := sha256.Sum256(b)
		out[name] = hex.EncodeToString(sum[:])
	}
	return out
}

// Runs written by nash before the training core resume, under the new
// training loop, to exactly the weights and optimiser moments the old nash
// reached when it resumed them to 1.5 times their length.
func TestLegacyRunsResume(t *testing.T) {
	for _, name := range []string{"recipe", "dcgan", "cond", "ring8"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(legacyruns.Path("expected", name, "resumed.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]string
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			dir := legacyruns.Copy(t, name)
			var step int
			merge := func(stored Config) (Config, error) {
				requested := stored
				step = stored.Steps
				requested.Steps = stored.Steps * 3 / 2
				return MergeResume(stored, requested, []string{"steps"})
			}
			if err := Resume(context.Background(), dir, merge, io.Discard); err != nil {
				t.Fatalf("resume %s: %v", name, err)
			}
			if step == 0 {
				t.Fatal("Resume did not call merge")
			}
			got := tensorHashes(t, filepath.Join(dir, "checkpoints", "last.safetensors"))
			gotNames, wantNames := keys(got), keys(want)
			if !slices.Equal(gotNames, wantNames) {
				t.Fatalf("resumed checkpoint's float32 tensors are\n%q\nthe old nash's\n%q", gotNames, wantNames)
			}
			for _, n := range wantNames {
				if got[n] != want[n] {
					t.Errorf("%s after resuming from step %d to %d: SHA-256 %s, the old nash's %s", n, step, step*3/2, got[n], want[n])
				}
			}
		})
	}
}

// keys returns m's keys, sorted.
func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
