package publish

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogWriter takes log lines from request handlers into memory and writes
// them from a goroutine of its own, several lines a write: with one
// write(2) per request, the access log cost a 304 a third of its speed
// (docs/PERFORMANCE.md). A handler never waits for the output: when
// maxPending bytes are already waiting (the output is stuck), a line is
// dropped and counted instead.
//
// Each write(2) is at most pipeBuf bytes of whole lines, so that lines
// written to the same pipe by another writer (the daemon's own log on
// stderr) are never cut into: POSIX keeps such writes whole.
type LogWriter struct {
	out    io.Writer
	onDrop func(lines int) // told, from the writer's goroutine, of lines dropped

	mu      sync.Mutex
	pending []byte
	spare   []byte
	dropped int
	closed  bool
	woken   bool // a flush is already asked for

	wake chan struct{} // a flush is due
	done chan struct{} // the goroutine has written everything and stopped
}

const (
	// pipeBuf is PIPE_BUF on Linux: the largest write to a pipe that
	// another process's writes cannot interleave with.
	pipeBuf = 4096
	// maxPending bounds the memory of lines waiting to be written (as
	// much again may be in the write under way).
	maxPending = 1 << 20
	// logFlushEvery is how long a line may wait when few are logged.
	logFlushEvery = 100 * time.Millisecond
)

// NewLogWriter starts a LogWriter to out. onDrop, when not nil, is called
// with the number of lines dropped since its last call, after a write.
// Close flushes and stops it.
func NewLogWriter(out io.Writer, onDrop func(lines int)) *LogWriter {
	l := &LogWriter{out: out, onDrop: onDrop, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go l.run()
	return l
}

// Write queues p, one or more whole lines (slog hands each record over in
// one Write). It never blocks on the output.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.closed || len(l.pending)+len(p) > maxPending {
		l.dropped++
		l.mu.Unlock()
		return len(p), nil
	}
	l.pending = append(l.pending, p...)
	wake := len(l.pending) >= pipeBuf && !l.woken
	l.woken = l.woken || wake
	l.mu.Unlock()
	if wake { // once per flush: a channel send per line was contended
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Close writes what is waiting and stops the writer's goroutine. Lines
// written after Close are dropped.
func (l *LogWriter) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.wake)
	<-l.done
	return nil
}

func (l *LogWriter) run() {
	defer close(l.done)
	tick := time.NewTicker(logFlushEvery)
	defer tick.Stop()
	for {
		select {
		case _, ok := <-l.wake:
			l.flush()
			if !ok {
				return
			}
		case <-tick.C:
			l.flush()
		}
	}
}

// flush writes every line waiting, swapping buffers so that handlers
// append to the other one meanwhile.
func (l *LogWriter) flush() {
	l.mu.Lock()
	buf := l.pending
	l.pending, l.spare, l.woken = l.spare[:0], nil, false
	dropped := l.dropped
	l.dropped = 0
	l.mu.Unlock()
	all := buf
	for len(buf) > 0 {
		n := len(buf)
		if n > pipeBuf {
			// Up to the last line end within pipeBuf; a longer line goes alone.
			if i := bytes.LastIndexByte(buf[:pipeBuf], '\n'); i >= 0 {
				n = i + 1
			} else if i := bytes.IndexByte(buf, '\n'); i >= 0 {
				n = i + 1
			}
		}
		l.out.Write(buf[:n]) // nowhere to report a failing log
		buf = buf[n:]
	}
	l.mu.Lock()
	l.spare = all[:0] // both buffers are kept: growing them again cost more
	l.mu.Unlock()
	if dropped > 0 && l.onDrop != nil {
		l.onDrop(dropped)
	}
}

// NewAccessLogger returns a logger for Options.AccessLog that writes to w
// in the format of like (JSON, or text when like's handler is a
// TextHandler), so the access log reads as the rest of the log does.
// Lines are formatted by slog's own handlers, one per request in flight,
// each into a buffer of its own, and handed to w whole: one handler
// shared by every request made them queue for its lock. w must take
// concurrent writes (a LogWriter does).
func NewAccessLogger(like *slog.Logger, w io.Writer) *slog.Logger {
	mk := func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }
	if like != nil {
		if _, ok := like.Handler().(*slog.TextHandler); ok {
			mk = func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }
		}
	}
	h := &lineHandler{w: w, mk: mk}
	h.pool.New = func() any {
		f := &lineFormatter{}
		f.h = mk(&f.buf)
		return f
	}
	return slog.New(h)
}

// lineHandler formats each record with a handler of its pool, into that
// handler's buffer, then writes the line to w.
type lineHandler struct {
	w    io.Writer
	mk   func(io.Writer) slog.Handler
	pool sync.Pool // of *lineFormatter
}

type lineFormatter struct {
	buf bytes.Buffer
	h   slog.Handler
}

// Enabled is slog's default level: the handlers are made with nil options.
func (l *lineHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}

func (l *lineHandler) Handle(ctx context.Context, r slog.Record) error {
	f := l.pool.Get().(*lineFormatter)
	f.buf.Reset()
	err := f.h.Handle(ctx, r)
	if err == nil {
		_, err = l.w.Write(f.buf.Bytes())
	}
	if f.buf.Cap() <= 64<<10 { // a huge line's buffer is not kept
		l.pool.Put(f)
	}
	return err
}

// WithAttrs and WithGroup (unused by the access log) fall back to one
// shared handler: the same output, without the pool.
func (l *lineHandler) WithAttrs(as []slog.Attr) slog.Handler { return l.mk(l.w).WithAttrs(as) }
func (l *lineHandler) WithGroup(name string) slog.Handler    { return l.mk(l.w).WithGroup(name) }
