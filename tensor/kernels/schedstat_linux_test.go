package kernels

import "testing"

// TestParseUint reads the numbers of a schedstat line.
func TestParseUint(t *testing.T) {
	b := []byte("1626710 450465 2\n")
	run, rest, ok := parseUint(b)
	wait, _, ok2 := parseUint(rest)
	if !ok || !ok2 || run != 1626710 || wait != 450465 {
		t.Errorf("parseUint(%q) gave %d, %d (%v, %v)", b, run, wait, ok, ok2)
	}
	if _, _, ok := parseUint([]byte(" x")); ok {
		t.Error("parseUint read a number from \" x\"")
	}
}
