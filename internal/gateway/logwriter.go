package gateway

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// bufferedWriter batches log records into fewer writes: one write system
// call per record would cost a busy gateway a large share of its
// throughput. It flushes at least every flushEvery, when its buffer is
// full, and on Close. Records still buffered when the process crashes
// are lost.
type bufferedWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 100 * time.Millisecond

func newBufferedWriter(w io.Writer) *bufferedWriter {
	b := &bufferedWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *bufferedWriter) loop() {
	defer close(b.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// Flush writes what is buffered.
func (b *bufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the periodic flushes and flushes what is left.
func (b *bufferedWriter) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}
