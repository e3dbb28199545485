package kernels

import "testing"

// TestParseCPULine reads the first line of /proc/stat.
func TestParseCPULine(t *testing.T) {
	b := []byte("cpu  626123 1135314 350402 1178938 2844 0 3508 7 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	total, idle, ok := parseCPULine(b)
	if !ok || total != 626123+1135314+350402+1178938+2844+3508+7 || idle != 1178938+2844 {
		t.Errorf("parseCPULine gave %d, %d (%v)", total, idle, ok)
	}
	for _, bad := range []string{"cpu0 1 2 3 4 5 6 7 8\n", "cpu  1 2 3\n", "intr 1 2 3 4 5 6 7 8\n"} {
		if _, _, ok := parseCPULine([]byte(bad)); ok {
			t.Errorf("parseCPULine(%q) succeeded", bad)
		}
	}
}

// TestCPUTimes checks that this process's processor time grows with work
// and that the machine's idle time is part of its total.
func TestCPUTimes(t *testing.T) {
	total, idle, own, ok := cpuTimes()
	if !ok {
		t.Fatal("cpuTimes: /proc/stat or getrusage unreadable")
	}
	if idle > total || total <= 0 || own <= 0 {
		t.Errorf("cpuTimes = total %d, idle %d, own %d", total, idle, own)
	}
	x := 1.0
	for range 1 << 24 {
		x = x*1.0000001 + 1e-9
	}
	sink = x
	_, _, own2, _ := cpuTimes()
	if own2 <= own {
		t.Errorf("own processor time went from %d to %d ns over a busy loop", own, own2)
	}
}

// sink keeps test arithmetic from being optimised away.
var sink float64
