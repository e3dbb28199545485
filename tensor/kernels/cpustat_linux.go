package kernels

import (
	"syscall"
	"unsafe"
)

// procStatPath is /proc/stat as the open system call takes it. Its first
// line, "cpu user nice system idle iowait irq softirq steal ...", gives the
// time all processors together spent in each way since boot, in clock
// ticks of 10 ms.
var procStatPath = [...]byte{'/', 'p', 'r', 'o', 'c', '/', 's', 't', 'a', 't', 0}

// tick is the unit of /proc/stat (USER_HZ is 100 on Linux).
const tick = 10_000_000

// cpuTimes returns, in nanoseconds, the time all processors of the machine
// have existed (total) and been idle since boot, and the processor time of
// this process so far (own); ok is false where the kernel does not report
// them. Idle includes waiting for input or output; total includes time the
// hypervisor gave to other machines (steal). It allocates nothing.
func cpuTimes() (total, idle, own int64, ok bool) {
	dir := atFDCWD
	fd, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(dir), uintptr(unsafe.Pointer(&procStatPath[0])), syscall.O_RDONLY|syscall.O_CLOEXEC, 0, 0, 0)
	if errno != 0 {
		return 0, 0, 0, false
	}
	var buf [256]byte
	n, _, errno := syscall.Syscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	syscall.Syscall(syscall.SYS_CLOSE, fd, 0, 0)
	if errno != 0 {
		return 0, 0, 0, false
	}
	total, idle, ok = parseCPULine(buf[:n])
	if !ok {
		return 0, 0, 0, false
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0, 0, false
	}
	own = (ru.Utime.Sec+ru.Stime.Sec)*1e9 + (ru.Utime.Usec+ru.Stime.Usec)*1e3
	return total * tick, idle * tick, own, true
}

// atFDCWD is AT_FDCWD: openat resolves a relative path from the working
// directory (the path here is absolute).
const atFDCWD = -100

// parseCPULine reads the first line of /proc/stat: total is the sum of its
// first eight numbers (user, nice, system, idle, iowait, irq, softirq,
// steal; guest time is already counted in user), idle the sum of the
// fourth and fifth.
func parseCPULine(b []byte) (total, idle int64, ok bool) {
	if len(b) < 4 || string(b[:4]) != "cpu " {
		return 0, 0, false
	}
	b = b[4:]
	for i := range 8 {
		v, rest, ok := parseUint(b)
		if !ok {
			return 0, 0, false
		}
		total += v
		if i == 3 || i == 4 {
			idle += v
		}
		b = rest
	}
	return total, idle, true
}

// parseUint reads a decimal number after any spaces at the start of b and
// returns it with the rest of b.
func parseUint(b []byte) (v int64, rest []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	return v, b[i:], i > start
}
