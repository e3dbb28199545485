package data

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testRelease returns a release of the given files' contents and a server
// publishing served (by name) under /pub/.
func testRelease(t *testing.T, files map[string][]byte, served map[string][]byte) (Release, *httptest.Server) {
	t.Helper()
	var r Release
	r.Name = "test-set"
	for _, name := range []string{"a.gz", "b.gz"} {
		sum := sha256.Sum256(files[name])
		r.Files = append(r.Files, RemoteFile{name, int64(len(files[name])), hex.EncodeToString(sum[:])})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, ok := served[strings.TrimPrefix(req.URL.Path, "/pub/")]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/pub/"
	return r, srv
}

// names returns the file names in dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestDownload(t *testing.T) {
	files := map[string][]byte{"a.gz": []byte("first file"), "b.gz": bytes.Repeat([]byte{7}, 100000)}
	r, srv := testRelease(t, files, files)
	dir := filepath.Join(t.TempDir(), "fashion")
	var log bytes.Buffer
	got, err := Download(context.Background(), srv.Client(), r, dir, "", &log)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"a.gz", "b.gz"}) {
		t.Errorf("fetched %v, want both files", got)
	}
	for name, want := range files {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(b, want) {
			t.Errorf("%s: %d bytes, %v; want the served file", name, len(b), err)
		}
	}
	if !strings.Contains(log.String(), "verified") {
		t.Errorf("progress %q", log.String())
	}
	// A second download finds both files and fetches nothing.
	got, err = Download(context.Background(), srv.Client(), r, dir, "", nil)
	if err != nil || len(got) != 0 {
		t.Errorf("second download fetched %v, %v; want nothing", got, err)
	}
	// A mirror is used instead of the release's URL.
	mirror := t.TempDir()
	r.URL = "http://127.0.0.1:1/unreachable/"
	if _, err := Download(context.Background(), srv.Client(), r, mirror, srv.URL+"/pub", nil); err != nil {
		t.Errorf("download from a mirror: %v", err)
	}
}

func TestDownloadRefuses(t *testing.T) {
	files := map[string][]byte{"a.gz": []byte("first file"), "b.gz": []byte("second file")}
	tests := []struct {
		name     string
		served   map[string][]byte
		existing []byte // b.gz in the folder before the download
		want     string
	}{
		{"corrupt", map[string][]byte{"a.gz": files["a.gz"], "b.gz": []byte("second filf")}, nil, "nothing kept"},
		{"truncated", map[string][]byte{"a.gz": files["a.gz"], "b.gz": []byte("second")}, nil, "got 6 bytes"},
		{"longer", map[string][]byte{"a.gz": files["a.gz"], "b.gz": []byte("second file!")}, nil, "got 12 bytes"},
		{"missing", map[string][]byte{"a.gz": files["a.gz"]}, nil, "404"},
		{"a different file in the folder", files, []byte("my own b.gz"), "exists but is not the release's file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, srv := testRelease(t, files, tt.served)
			dir := t.TempDir()
			if tt.existing != nil {
				if err := os.WriteFile(filepath.Join(dir, "b.gz"), tt.existing, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Download(context.Background(), srv.Client(), r, dir, "", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "b.gz") {
				t.Fatalf("error %v, want one naming b.gz and saying %q", err, tt.want)
			}
			// Only the good file, and the user's own, are in the folder: no
			// partial or temporary file.
			want := []string{"a.gz"}
			if tt.existing != nil {
				want = append(want, "b.gz")
				if b, _ := os.ReadFile(filepath.Join(dir, "b.gz")); !bytes.Equal(b, tt.existing) {
					t.Error("the user's b.gz was changed")
				}
			}
			if got := names(t, dir); !slices.Equal(got, want) {
				t.Errorf("folder holds %v, want %v", got, want)
			}
		})
	}
}

// The releases name the files Load reads.
func TestReleasesMatchLoad(t *testing.T) {
	for _, name := range ReleaseNames() {
		r := Releases[name]
		var got []string
		for _, f := range r.Files {
			if f.Size <= 0 || len(f.SHA256) != 64 {
				t.Errorf("%s: %s: size %d, sha256 %q", name, f.Name, f.Size, f.SHA256)
			}
			got = append(got, f.Name)
		}
		slices.Sort(got)
		want := []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}
		if !slices.Equal(got, want) || r.Name != name {
			t.Errorf("%s: files %v, want %v", name, got, want)
		}
		if _, err := Load(name, t.TempDir(), "test"); err == nil || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte") {
			t.Errorf("Load of an empty folder: %v, want an error naming the file a release provides", err)
		}
	}
}
