package main

import (
	"strings"
	"testing"
)

// TestBenchBackgroundRejects checks that bad --background combinations get
// one error naming the flag, before anything is timed.
func TestBenchBackgroundRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--background", "-1"}, "--background"},
		{[]string{"--background", "1", "--rounds", "0"}, "--rounds"},
		{[]string{"--background", "1", "--threads", "2"}, "--threads"},
	} {
		_, err := execute(newBench(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("nash bench %s: error %v, want one naming %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
