package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nash-gan/nash/checkpoint"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// readmeCommands returns the nash command lines of README.md's sh blocks,
// in order, without their comments.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	in := false
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && strings.HasPrefix(line, "nash "):
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// networkNote marks a README line that needs the network; the test puts
// in place what it would fetch instead of running it.
const networkNote = "(needs the network)"

// TestREADMECommands runs every nash command of README.md's sh blocks as
// written, in order, in an empty folder — the user's own files they name
// (my/photos, my.yaml, imagesA/, …) made first, as a user would have them —
// with NASH_MAX_STEPS and NASH_MAX_SAMPLES bounding each command's work.
// The download, which needs the network, is replaced by IDX files of the
// same names; nash board is stopped once it serves the runs.
func TestREADMECommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README command")
	}
	bin := buildNash(t)
	dir := t.TempDir()
	fixtures := map[string]func(path string){
		"my/photos": func(path string) {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			writeBlobs(t, path, 80)
		},
		"my.yaml": func(path string) {
			if err := os.WriteFile(path, []byte("loss: hinge\nspectral_norm: true\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"imagesA/": func(path string) { writeDigits(t, path, "test", 200) },
		"imagesB/": func(path string) { writeDigits(t, path, "train", 200) },
		"t10k-images-idx3-ubyte.gz": func(path string) {
			writeIDXImages(t, path, "test", 500)
		},
		"generated-idx3-ubyte": func(path string) {
			writeIDXImages(t, path, "train", 500)
		},
		// README shows it in a yaml block of its own.
		"sweep.yaml": func(path string) {
			if err := os.WriteFile(path, []byte(readmeBlock(t, "# sweep.yaml")), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		// Debian's fortunes, which README makes with grep.
		"fortunes.txt": func(path string) {
			var b strings.Builder
			for i := range 200 {
				fmt.Fprintf(&b, "fortune %d favours the %s\n", i, []string{"bold", "brave", "prepared"}[i%3])
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"my/horse2zebra": func(path string) {
			writeTranslationData(t, path, 4)
		},
		"my/horse.png": func(path string) {
			writeTestPNG(t, path, 40, 30)
		},
		// README converts a release's .pth with PyTorch: a tiny generator
		// of the release's names stands in for it.
		"horse2zebra.safetensors": func(path string) {
			g := models.NewResnetGenerator(3, 3, 4, 2, tensor.NewRNG(1, "init"))
			var f checkpoint.File
			f.SetStateDict("", nn.StateDict(g))
			if err := checkpoint.Save(path, &f); err != nil {
				t.Fatal(err)
			}
		},
		// README makes it with numpy, which is not nash's to run.
		"z.npy": func(path string) {
			z := tensor.New(8, 100)
			tensor.NewRNG(1, "z").Normal(z, 0, 1)
			f, err := metrics.FromTensor("z", z)
			if err != nil {
				t.Fatal(err)
			}
			if err := metrics.WriteNPY(path, f); err != nil {
				t.Fatal(err)
			}
		},
	}
	t.Setenv(testlimit.Steps, "10")
	t.Setenv(testlimit.Samples, "300")
	cmds := readmeCommands(t)
	if len(cmds) < 20 {
		t.Fatalf("%d nash commands in README.md; the sh blocks were not found", len(cmds))
	}
	for _, line := range cmds {
		command, comment, _ := strings.Cut(line, " #")
		args := strings.Fields(command)[1:]
		for name, write := range fixtures {
			if strings.Contains(command, " "+name) {
				write(filepath.Join(dir, name))
				delete(fixtures, name)
			}
		}
		if strings.Contains(comment, networkNote) {
			if args[0] != "download" {
				t.Fatalf("%q needs the network and the test has nothing in its place", line)
			}
			fashionStandIn(t, filepath.Join(dir, args[len(args)-1]))
			continue
		}
		switch {
		case args[0] == "board":
			serveAndStop(t, bin, dir, args, "api/runs", `"quick"`)
			continue
		case args[len(args)-1] == "&":
			serveAndStop(t, bin, dir, args[:len(args)-1], "v2/health/ready", "")
			continue
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README: %s\n%v\n%s", command, err, out)
		}
		t.Logf("%.1fs  %s", time.Since(start).Seconds(), command)
	}
}

// writeIDXImages writes n images of the embedded MNIST split as a gzipped
// (by the name's .gz) IDX file of images.
func writeIDXImages(t *testing.T, path, split string, n int) {
	t.Helper()
	ds, err := data.Load("mnist", "", split)
	if err != nil {
		t.Fatal(err)
	}
	writeIDX(t, path, []uint32{uint32(n), uint32(ds.H), uint32(ds.W)}, ds.Pixels[:n*ds.ImageSize()])
}

// writeIDX writes an IDX file of unsigned bytes with the given dimensions,
// gzipped when path ends in .gz.
func writeIDX(t *testing.T, path string, dims []uint32, values []uint8) {
	t.Helper()
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(0x0800|len(dims)))
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(values)
	raw := b.Bytes()
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(raw)
		w.Close()
		raw = z.Bytes()
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fashionStandIn writes into dir the four files nash download
// fashion-mnist fetches, with MNIST digits in them.
func fashionStandIn(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		split, prefix string
		n             int
	}{{"train", "train", 1000}, {"test", "t10k", 500}} {
		ds, err := data.Load("mnist", "", s.split)
		if err != nil {
			t.Fatal(err)
		}
		writeIDX(t, filepath.Join(dir, s.prefix+"-images-idx3-ubyte.gz"), []uint32{uint32(s.n), 28, 28}, ds.Pixels[:s.n*784])
		writeIDX(t, filepath.Join(dir, s.prefix+"-labels-idx1-ubyte.gz"), []uint32{uint32(s.n)}, ds.Labels[:s.n])
	}
}

// serveAndStop starts a server command as README has it (nash board, or
// nash serve in the background), waits until it answers probe (relative to
// the address it prints) with 200 and a body containing want, and stops it
// with an interrupt, as Ctrl-C or kill would.
func serveAndStop(t *testing.T, bin, dir string, args []string, probe, want string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	serving := regexp.MustCompile(`on (http://\S+?)/*$`)
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("%s printed nothing: %v\n%s", args, cmd.Wait(), &stderr)
	}
	m := serving.FindStringSubmatch(lines.Text() + "/")
	if m == nil {
		t.Fatalf("%s said %q", args, lines.Text())
	}
	base := strings.TrimSuffix(m[1], "/") + "/"
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + probe)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		t.Fatalf("%s: GET %s: %s\n%s", args, probe, resp.Status, body)
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s after an interrupt: %v\n%s", args, err, &stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30 s of an interrupt", args)
	}
}

// readmeBlock returns the fenced block of README.md whose first line is
// first.
func readmeBlock(t *testing.T, first string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+first+"\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatalf("README.md has no block starting %q", first)
	}
	return first + "\n" + block
}
