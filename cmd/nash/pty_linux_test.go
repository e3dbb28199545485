package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal of cols columns.
func openPTY(t *testing.T, cols int) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals:", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: uint16(cols)}); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestProgressFitsTheTerminal trains on pseudo-terminals of 60, 80 and 200
// columns: no line the terminal shows is wider than it, the progress line
// is drawn and cleared, and the epoch line and the final message appear.
func TestProgressFitsTheTerminal(t *testing.T) {
	bin := buildNash(t)
	for _, cols := range []int{60, 80, 200} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			master, slave := openPTY(t, cols)
			defer master.Close()
			cmd := exec.Command(bin, "train", "--steps", "300", "--eval-every", "-1", "--out", "run")
			cmd.Dir = t.TempDir()
			cmd.Stdout, cmd.Stderr = slave, slave
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			slave.Close()
			var out bytes.Buffer
			done := make(chan struct{})
			go func() { io.Copy(&out, master); close(done) }()
			if err := cmd.Wait(); err != nil {
				t.Fatalf("nash train: %v\n%s", err, out.String())
			}
			<-done
			text := strings.ReplaceAll(out.String(), "\x1b[K", "")
			progress := 0
			for _, seg := range strings.FieldsFunc(text, func(r rune) bool { return r == '\r' || r == '\n' }) {
				if n := utf8.RuneCountInString(seg); n > cols {
					t.Errorf("a line of %d characters on %d columns: %q", n, cols, seg)
				}
				if strings.Contains(seg, "/300") {
					progress++
				}
			}
			if progress == 0 || !strings.Contains(text, "step     300") || !strings.Contains(text, "last.safetensors") {
				t.Errorf("%d progress lines; output:\n%s", progress, text)
			}
		})
	}
}
