package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	err := Write(path, 0o644, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want it to wrap the fill error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("after a failed write the file holds %q, want the old contents", b)
	}
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("file holds %q, want %q", b, "new")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), nil, 0o644); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
}

// TestWriteRefusesAFolder: a path that names a folder (an existing one, or
// any with a trailing slash) is refused with its name, and nothing is
// created.
func TestWriteRefusesAFolder(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{dir, dir + "/", filepath.Join(dir, "new") + "/"} {
		err := WriteFile(path, []byte("x"), 0o644)
		if err == nil || !strings.Contains(err.Error(), "names a folder") || !strings.Contains(err.Error(), path) {
			t.Errorf("WriteFile(%q): %v", path, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

func TestTargetOf(t *testing.T) {
	dir := t.TempDir()
	// A name made as Write makes its temporary files' reads back to the
	// target.
	f, err := os.CreateTemp(dir, ".last.safetensors"+tmpInfix+"*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for name, want := range map[string]string{filepath.Base(f.Name()): "last.safetensors", ".config.yaml.tmp-1": "config.yaml", "config.yaml": "", ".tmp-2": "", ".notes": ""} {
		got, ok := TargetOf(name)
		if got != want || ok != (want != "") {
			t.Errorf("TargetOf(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
