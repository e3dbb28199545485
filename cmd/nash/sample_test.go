package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// runNash runs the command line in-process and returns its error.
func runNash(args ...string) error {
	_, err := execute(newRoot(), args...)
	return err
}

// nash sample draws a class of a conditional run and its class grid, and
// refuses a class, or a class grid, for an unconditional run.
func TestSampleClasses(t *testing.T) {
	dir := t.TempDir()
	cond, plain := filepath.Join(dir, "cond"), filepath.Join(dir, "plain")
	for _, args := range [][]string{
		{"train", "--conditional", "--steps", "2", "--batch", "8", "--out", cond},
		{"train", "--steps", "2", "--batch", "8", "--out", plain},
	} {
		if err := runNash(args...); err != nil {
			t.Fatalf("nash %s: %v", strings.Join(args, " "), err)
		}
	}
	for _, c := range []struct {
		args []string
		want string // empty: success
	}{
		{[]string{"--run", cond, "--class", "7"}, ""},
		{[]string{"--run", cond, "--class-grid"}, ""},
		{[]string{"--run", cond, "--class", "10"}, "the run's classes are 0 to 9"},
		{[]string{"--run", cond, "--class", "-1"}, "--class: must be a class label"},
		{[]string{"--run", cond, "--class-grid", "--class", "1"}, "cannot be used together"},
		{[]string{"--run", plain, "--class", "7"}, "the run is not conditional"},
		{[]string{"--run", plain, "--class-grid"}, "the run is not conditional"},
	} {
		args := append([]string{"sample", "--out", filepath.Join(dir, "grid.png")}, c.args...)
		err := runNash(args...)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("nash %s: %v", strings.Join(args, " "), err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("nash %s: error %v, want one containing %q", strings.Join(args, " "), err, c.want)
		}
	}
}
