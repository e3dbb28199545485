package kernels

import (
	"syscall"
	"unsafe"
)

// schedstatPath is /proc/thread-self/schedstat as the open system call
// takes it: "time on a processor, time waiting on a run queue (both in ns),
// time slices" of the calling thread.
var schedstatPath = [...]byte{'/', 'p', 'r', 'o', 'c', '/', 't', 'h', 'r', 'e', 'a', 'd', '-', 's', 'e', 'l', 'f', '/', 's', 'c', 'h', 'e', 'd', 's', 't', 'a', 't', 0}

// schedTimes returns the calling thread's id and its cumulative time on a
// processor and waiting to run, in nanoseconds; ok is false where the
// kernel does not keep them. It allocates nothing: the caller must stay on
// one thread between Gettid and the read, which a goroutine that is not
// preempted in between does, and a rare move only spoils one sample.
func schedTimes() (tid int, run, wait int64, ok bool) {
	tid = syscall.Gettid()
	dir := atFDCWD
	fd, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(dir), uintptr(unsafe.Pointer(&schedstatPath[0])), syscall.O_RDONLY|syscall.O_CLOEXEC, 0, 0, 0)
	if errno != 0 {
		return 0, 0, 0, false
	}
	var buf [96]byte
	n, _, errno := syscall.Syscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	syscall.Syscall(syscall.SYS_CLOSE, fd, 0, 0)
	if errno != 0 {
		return 0, 0, 0, false
	}
	run, rest, ok := parseUint(buf[:n])
	if !ok {
		return 0, 0, 0, false
	}
	wait, _, ok = parseUint(rest)
	return tid, run, wait, ok
}

// atFDCWD is AT_FDCWD: openat resolves a relative path from the working
// directory (the path here is absolute).
const atFDCWD = -100

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
