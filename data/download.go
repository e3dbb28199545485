package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"

	"github.com/nash-gan/nash/internal/atomicfile"
)

// RemoteFile is one file of a dataset's published release.
type RemoteFile struct {
	// Name is the file's name, both at the release's URL and on disk.
	Name string
	// Size is its length in bytes and SHA256 its hex SHA-256.
	Size   int64
	SHA256 string
}

// Release is a dataset that can be downloaded: the folder its files are
// published in and what each file must be.
type Release struct {
	Name, URL string
	Files     []RemoteFile
}

// Releases are the datasets nash downloads, by the name --dataset gives
// them. MNIST is embedded in the binary and needs no download.
var Releases = map[string]Release{
	"fashion-mnist": {
		Name: "fashion-mnist",
		URL:  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
		Files: []RemoteFile{
			{"train-images-idx3-ubyte.gz", 26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"},
			{"train-labels-idx1-ubyte.gz", 29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"},
			{"t10k-images-idx3-ubyte.gz", 4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"},
			{"t10k-labels-idx1-ubyte.gz", 5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"},
		},
	},
}

// ReleaseNames returns the names of Releases, sorted.
func ReleaseNames() []string {
	names := make([]string, 0, len(Releases))
	for n := range Releases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Download puts every file of r into dir (created if missing), fetched
// with client from base (r.URL when base is empty; a mirror or a local
// copy otherwise), and returns the names of the files it fetched; a folder
// it made is removed when the download fails before anything is kept. A file
// already in dir with the release's size and SHA-256 is kept; one that
// differs is an error naming it, and is left alone. Each download is
// checked for its size and SHA-256 before it is renamed into place, so dir
// never holds a partial or wrong file. progress, if not nil, receives a
// line per file.
func Download(ctx context.Context, client *http.Client, r Release, dir, base string, progress io.Writer) (fetched []string, err error) {
	if base == "" {
		base = r.URL
	}
	root, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("data: download %s: base URL %q: %w", r.Name, base, err)
	}
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data: download %s: %w", r.Name, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		// A folder made for a download that fails is removed again, if
		// nothing was put in it.
		defer func() {
			if err != nil {
				os.Remove(dir)
			}
		}()
	}
	for _, f := range r.Files {
		path := filepath.Join(dir, f.Name)
		ok, err := present(path, f)
		if err != nil {
			return fetched, fmt.Errorf("data: download %s: %w", r.Name, err)
		}
		if ok {
			if progress != nil {
				fmt.Fprintf(progress, "%s: present, checksum verified\n", path)
			}
			continue
		}
		u := root.JoinPath(f.Name).String()
		if err := fetch(ctx, client, u, path, f); err != nil {
			return fetched, fmt.Errorf("data: download %s: %w", r.Name, err)
		}
		if progress != nil {
			fmt.Fprintf(progress, "%s: %d bytes from %s, sha256 %s verified\n", path, f.Size, u, f.SHA256)
		}
		fetched = append(fetched, f.Name)
	}
	return fetched, nil
}

// present reports whether path holds f, and fails if it holds something
// else.
func present(path string, f RemoteFile) (bool, error) {
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer file.Close()
	h := sha256.New()
	n, err := io.Copy(h, file)
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != f.Size || sum != f.SHA256 {
		return false, fmt.Errorf("%s exists but is not the release's file (%d bytes, sha256 %s; want %d bytes, sha256 %s): remove it to download it again",
			path, n, sum, f.Size, f.SHA256)
	}
	return true, nil
}

// fetch downloads u into path through a temporary file, keeping it only
// if it has f's size and SHA-256.
func fetch(ctx context.Context, client *http.Client, u, path string, f RemoteFile) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		h := sha256.New()
		// One byte more than the size, to notice a longer file.
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, f.Size+1))
		if err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); n != f.Size || sum != f.SHA256 {
			return fmt.Errorf("GET %s: got %d bytes with sha256 %s, want %d bytes with sha256 %s; nothing kept", u, n, sum, f.Size, f.SHA256)
		}
		return nil
	})
}
