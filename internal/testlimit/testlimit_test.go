package testlimit

import "testing"

func TestGet(t *testing.T) {
	for _, c := range []struct {
		value string
		set   bool
		want  int
		ok    bool
		fails bool
	}{{"", false, 0, false, false}, {"20", true, 20, true, false}, {"1", true, 0, false, true}, {"x", true, 0, false, true}, {"-3", true, 0, false, true}} {
		if c.set {
			t.Setenv(Steps, c.value)
		}
		got, ok, err := Get(Steps, 2)
		if got != c.want || ok != c.ok || (err != nil) != c.fails {
			t.Errorf("%s=%q: %d, %v, %v", Steps, c.value, got, ok, err)
		}
	}
}
