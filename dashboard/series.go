package dashboard

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"

	"github.com/nash-gan/nash/rundir"
)

// readChunk is how much of metrics.jsonl is read at a time.
const readChunk = 1 << 20

// series follows one run's metrics.jsonl: it parses the file once and then
// only the bytes appended since, as the file grows. A file that shrinks, is
// replaced or is rewritten in place (same size, new modification time) is
// parsed again from the start under a new generation number, so that a
// client holding rows of the old file knows to fetch them again.
type series struct {
	mu      sync.Mutex
	t       *table
	gen     int
	offset  int64       // bytes parsed: up to and including the last newline
	info    fs.FileInfo // the file as last read
	skipped int         // malformed lines so far

	// bodies holds the last answer to each query of the metrics, with
	// the generation and rows it was built from.
	bodies map[string]body
}

// body is an answer built from the rows of one generation of a series.
type body struct {
	gen, rows, skipped int
	data               []byte
}

// maxBodies bounds the answers a series keeps.
const maxBodies = 16

// snapshot is a consistent view of a series: the first rows of its columns.
type snapshot struct {
	gen, rows, skipped int
	keys               []string
	cols               [][]float64
	modTime            time.Time
}

// column returns the values of key, or nil if no record had it.
func (s snapshot) column(key string) []float64 {
	for i, k := range s.keys {
		if k == key {
			return s.cols[i]
		}
	}
	return nil
}

// series returns the cache entry of the run called name.
func (s *Server) series(name string) *series {
	s.mu.Lock()
	defer s.mu.Unlock()
	ser, ok := s.cache[name]
	if !ok {
		ser = &series{t: newTable()}
		s.cache[name] = ser
	}
	return ser
}

// metrics brings the run's series up to date with its metrics.jsonl and
// returns a snapshot of it. A run without the file yet has no rows.
func (s *Server) metrics(name string) (snapshot, error) {
	ser := s.series(name)
	ser.mu.Lock()
	defer ser.mu.Unlock()
	if err := ser.refresh(s.root, path.Join(name, rundir.MetricsFile)); err != nil {
		return snapshot{}, err
	}
	snap := snapshot{gen: ser.gen, rows: ser.t.rows, skipped: ser.skipped, keys: ser.t.keys[:len(ser.t.keys):len(ser.t.keys)]}
	if ser.info != nil {
		snap.modTime = ser.info.ModTime()
	}
	snap.cols = make([][]float64, len(ser.t.cols))
	for i, c := range ser.t.cols {
		snap.cols[i] = c[:ser.t.rows:ser.t.rows]
	}
	return snap, nil
}

// refresh reads what was appended to the file at name in root since the
// last call. The caller holds ser.mu.
func (ser *series) refresh(root *os.Root, name string) error {
	info, err := root.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if ser.info != nil {
			ser.reset()
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("dashboard: %s is not a regular file", name)
	}
	if ser.info != nil {
		same := os.SameFile(ser.info, info)
		switch {
		case same && info.Size() == ser.info.Size() && info.ModTime().Equal(ser.info.ModTime()):
			return nil
		case !same, info.Size() < ser.offset, info.Size() == ser.info.Size():
			ser.reset()
		}
	}
	if ser.gen == 0 {
		ser.gen = 1
	}
	f, err := root.Open(name)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	defer f.Close()
	// Read up to the size just seen, a piece at a time: a line appended
	// meanwhile is read on the next call, when the file's information says
	// it is there.
	buf := make([]byte, min(info.Size()-ser.offset, readChunk))
	pending := 0 // bytes of an incomplete line at the start of buf
	for pos := ser.offset + int64(pending); pos < info.Size(); pos = ser.offset + int64(pending) {
		if pending == len(buf) {
			buf = append(buf, make([]byte, len(buf))...) // a line longer than buf
		}
		m, err := f.ReadAt(buf[pending:min(int64(len(buf)), int64(pending)+info.Size()-pos)], pos)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("dashboard: %w", err)
		}
		if m == 0 {
			break // the file shrank since it was measured
		}
		data := buf[:pending+m]
		rows := ser.t.rows
		n, skipped := ser.t.parse(data)
		if rows == 0 && ser.t.rows > 0 {
			// Room for the rest of the file, judged by this piece's lines.
			left := info.Size() - ser.offset - int64(n)
			ser.t.reserve(ser.t.rows + int(left*int64(ser.t.rows)/int64(n)*11/10))
		}
		ser.offset += int64(n)
		ser.skipped += skipped
		pending = copy(buf, data[n:])
	}
	ser.info = info
	return nil
}

// answer returns the answer to query from snap, built by build unless the
// series holds the one built from the same generation, rows and skipped
// lines.
func (s *Server) answer(name, query string, snap snapshot, build func() []byte) []byte {
	ser := s.series(name)
	ser.mu.Lock()
	b, ok := ser.bodies[query]
	ser.mu.Unlock()
	if ok && b.gen == snap.gen && b.rows == snap.rows && b.skipped == snap.skipped {
		return b.data
	}
	data := build()
	ser.mu.Lock()
	defer ser.mu.Unlock()
	if ser.bodies == nil || len(ser.bodies) >= maxBodies {
		ser.bodies = make(map[string]body)
	}
	ser.bodies[query] = body{snap.gen, snap.rows, snap.skipped, data}
	return data
}

// reset forgets every record, starting a new generation.
func (ser *series) reset() {
	ser.t = newTable()
	ser.gen++
	ser.offset = 0
	ser.info = nil
	ser.skipped = 0
}
