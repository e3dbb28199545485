package dist

import (
	"fmt"
	"slices"
	"sync"
)

// Local returns a group of n ranks that are goroutines of this process,
// one Comm per rank: distributed code runs and is tested without MPI, each
// rank's Comm used by one goroutine. Abort panics.
func Local(n int) []Comm {
	h := newHub(n)
	out := make([]Comm, n)
	for r := range out {
		out[r] = &local{h: h, rank: r}
	}
	return out
}

// hub is what Local's ranks share: a slot per rank where each leaves its
// buffer, one where it leaves a value for Split, and a reusable barrier.
type hub struct {
	n       int
	mu      sync.Mutex
	cond    *sync.Cond
	waiting int
	round   int
	slots   [][]byte
	values  []any
}

func newHub(n int) *hub {
	h := &hub{n: n, slots: make([][]byte, n), values: make([]any, n)}
	h.cond = sync.NewCond(&h.mu)
	return h
}

// wait returns when all n ranks have called it.
func (h *hub) wait() {
	h.mu.Lock()
	defer h.mu.Unlock()
	round := h.round
	h.waiting++
	if h.waiting == h.n {
		h.waiting, h.round = 0, h.round+1
		h.cond.Broadcast()
		return
	}
	for round == h.round {
		h.cond.Wait()
	}
}

type local struct {
	h    *hub
	rank int
}

func (l *local) Rank() int { return l.rank }
func (l *local) Size() int { return l.h.n }

// exchange leaves b in this rank's slot, runs read once every rank has
// left its own, and returns when every rank has read.
func (l *local) exchange(b []byte, read func(slots [][]byte)) {
	l.h.slots[l.rank] = b
	l.h.wait()
	read(l.h.slots)
	l.h.wait()
}

func (l *local) Bcast(buf []byte, root int) error {
	var err error
	l.exchange(buf, func(slots [][]byte) {
		if len(slots[root]) != len(buf) {
			err = fmt.Errorf("dist: broadcast of %d bytes into %d", len(slots[root]), len(buf))
			return
		}
		if l.rank != root {
			copy(buf, slots[root])
		}
	})
	return err
}

func (l *local) Allgather(send, recv []byte) error {
	if len(recv) != l.h.n*len(send) {
		return fmt.Errorf("dist: allgather of %d bytes from %d ranks into %d", len(send), l.h.n, len(recv))
	}
	l.exchange(send, func(slots [][]byte) {
		for r, s := range slots {
			copy(recv[r*len(send):(r+1)*len(send)], s)
		}
	})
	return nil
}

func (l *local) Alltoall(send, recv []byte) error {
	if len(send) != len(recv) || len(send)%l.h.n != 0 {
		return fmt.Errorf("dist: all-to-all of %d bytes into %d among %d ranks", len(send), len(recv), l.h.n)
	}
	block := len(send) / l.h.n
	l.exchange(send, func(slots [][]byte) {
		for r, s := range slots {
			copy(recv[r*block:(r+1)*block], s[l.rank*block:(l.rank+1)*block])
		}
	})
	return nil
}

func (l *local) Barrier() error {
	l.h.wait()
	return nil
}

// Split implements Comm: the first rank of each new group makes its hub
// and the others take it from that rank's slot.
func (l *local) Split(color, key int) (Comm, error) {
	h := l.h
	h.values[l.rank] = [2]int{color, key}
	h.wait()
	var members []int
	for r := range h.n {
		if h.values[r].([2]int)[0] == color {
			members = append(members, r)
		}
	}
	slices.SortStableFunc(members, func(a, b int) int { return h.values[a].([2]int)[1] - h.values[b].([2]int)[1] })
	h.wait()
	if members[0] == l.rank {
		h.values[l.rank] = newHub(len(members))
	}
	h.wait()
	sub := h.values[members[0]].(*hub)
	h.wait()
	return &local{h: sub, rank: slices.Index(members, l.rank)}, nil
}

func (l *local) Abort(code int) {
	panic(fmt.Sprintf("dist: rank %d aborted with code %d", l.rank, code))
}

func (l *local) Close() error { return nil }
