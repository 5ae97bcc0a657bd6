package publish

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// writes records every Write the LogWriter makes.
type writes struct {
	mu   sync.Mutex
	each [][]byte
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.each = append(w.each, bytes.Clone(p))
	return len(p), nil
}

// TestLogWriterWholeLines: every line arrives, in order, by Close; each
// write is whole lines of at most pipeBuf bytes, and a longer line goes
// alone.
func TestLogWriterWholeLines(t *testing.T) {
	out := &writes{}
	l := NewLogWriter(out, nil)
	var want bytes.Buffer
	for i := range 2000 {
		line := fmt.Sprintf("line %d %s\n", i, strings.Repeat("x", i%300))
		if i == 1000 {
			line = strings.Repeat("long", pipeBuf) + "\n"
		}
		want.WriteString(line)
		l.Write([]byte(line))
	}
	l.Close()
	var got bytes.Buffer
	for _, w := range out.each {
		if !bytes.HasSuffix(w, []byte("\n")) {
			t.Fatalf("a write does not end a line: %.60q…", w)
		}
		if len(w) > pipeBuf && bytes.Count(w, []byte("\n")) > 1 {
			t.Fatalf("a %d-byte write of %d lines, want at most %d bytes or one line", len(w), bytes.Count(w, []byte("\n")), pipeBuf)
		}
		got.Write(w)
	}
	if got.String() != want.String() {
		t.Errorf("lines differ: got %d bytes, want %d", got.Len(), want.Len())
	}
	if len(out.each) >= 2000/2 {
		t.Errorf("%d writes for 2,000 lines: want them batched", len(out.each))
	}
}

// stuck is an output that takes nothing until released.
type stuck struct {
	release chan struct{}
	writes
}

func (s *stuck) Write(p []byte) (int, error) {
	<-s.release
	return s.writes.Write(p)
}

// TestLogWriterNeverBlocks: with the output stuck, Write returns at once;
// past maxPending bytes lines are dropped, and counted once the output
// moves again.
func TestLogWriterNeverBlocks(t *testing.T) {
	out := &stuck{release: make(chan struct{})}
	dropped := make(chan int, 100)
	l := NewLogWriter(out, func(n int) { dropped <- n })
	line := []byte(strings.Repeat("y", 99) + "\n")
	const lines = 3 * maxPending / 100
	for range lines { // would hang here if Write waited for the output
		l.Write(line)
	}
	close(out.release)
	l.Close()
	total := 0
	for len(dropped) > 0 {
		total += <-dropped
	}
	written := 0
	for _, w := range out.each {
		written += bytes.Count(w, []byte("\n"))
	}
	if total == 0 || written+total != lines {
		t.Errorf("%d lines written, %d reported dropped, of %d; want all accounted for, some dropped", written, total, lines)
	}
	// Up to maxPending waiting, and as much again being written.
	if written > 2*maxPending/100 {
		t.Errorf("%d lines were kept while the output was stuck, want at most %d", written, 2*maxPending/100)
	}
}

// TestAccessLogThroughLogWriter: the access line is the one Log would
// write, key for key, through a LogWriter and NewAccessLogger.
func TestAccessLogThroughLogWriter(t *testing.T) {
	var direct, buffered bytes.Buffer
	lw := NewLogWriter(&buffered, nil)
	for _, o := range []Options{
		{Log: slog.New(slog.NewJSONHandler(&direct, nil))},
		{AccessLog: NewAccessLogger(slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil)), lw)},
	} {
		h := NewPublisher(nil, nil, o).Handler()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	}
	lw.Close()
	strip := func(s string) string { // the time and duration differ
		_, rest, _ := strings.Cut(s, `"level"`)
		rest, _, _ = strings.Cut(rest, `"duration"`)
		return rest
	}
	if got, want := strip(buffered.String()), strip(direct.String()); got != want || want == "" {
		t.Errorf("access line through LogWriter %q, direct %q", buffered.String(), direct.String())
	}
	var text, want bytes.Buffer
	tl := NewAccessLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), &text)
	tl.Info("x", "path", "/a b", "n", 2)
	tl.With("k", "v").Debug("not shown")
	tl.With("k", "v").Info("y")
	plain := slog.New(slog.NewTextHandler(&want, nil))
	plain.Info("x", "path", "/a b", "n", 2)
	plain.With("k", "v").Info("y")
	noTime := func(s string) string {
		var out []string
		for line := range strings.Lines(s) {
			_, rest, _ := strings.Cut(line, " ")
			out = append(out, rest)
		}
		return strings.Join(out, "")
	}
	if got, want := noTime(text.String()), noTime(want.String()); got != want {
		t.Errorf("a text log's access lines %q, want %q", got, want)
	}
}
