package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nash download refuses an unknown dataset and keeps nothing of a failed
// download.
func TestDownloadCommand(t *testing.T) {
	if err := runNash("download", "cifar10"); err == nil || !strings.Contains(err.Error(), `unknown dataset "cifar10"`) || !strings.Contains(err.Error(), "fashion-mnist") {
		t.Errorf("unknown dataset: error %v", err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "fm")
	err := runNash("download", "fashion-mnist", "--out", dir, "--mirror", srv.URL)
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/train-images-idx3-ubyte.gz") || !strings.Contains(err.Error(), "404") {
		t.Errorf("download from a mirror without the files: error %v, want one naming the URL and the 404", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after a failed download the folder it made is still there (%v)", err)
	}
}
