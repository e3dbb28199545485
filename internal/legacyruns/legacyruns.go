// Package legacyruns gives tests the run directories that nash wrote before
// the training core (testdata/runs-v1 at the repository's root; its
// README.md says how they were made and what expected/ holds).
package legacyruns

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Path returns the path of elem under testdata/runs-v1, wherever the test
// runs from.
func Path(elem ...string) string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "runs-v1")
	return filepath.Join(append([]string{root}, elem...)...)
}

// Copy copies the run directory name to a new temporary directory of t and
// returns its path, so that a test may resume or write into it.
func Copy(t testing.TB, name string) string {
	t.Helper()
	src, dst := Path(name), filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
	return dst
}
