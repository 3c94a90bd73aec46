package live

import (
	"runtime"
	"sync"
	"time"
)

// Host runs an Engine away from the drawing code and carries the messages:
// a goroutine on the desktop (GoroutineHost), a Web Worker in the browser.
type Host interface {
	// Send queues a command for the engine.
	Send(c Command)
	// Poll returns the reports that arrived since the last call, oldest first.
	Poll() []Report
	// Close stops the engine.
	Close()
}

// Loop timing of RunLoop.
const (
	workSlice   = 25 * time.Millisecond  // training between checks for commands
	reportEvery = 100 * time.Millisecond // how often reports go out
)

// RunLoop drives an engine until stop is closed: it applies the commands
// from in, trains in slices of workSlice, and publishes every pane's report
// about ten times a second. Between slices it calls yield, which in the
// browser must give the JavaScript event loop a turn (a short sleep) so that
// messages can arrive.
func RunLoop(e *Engine, in <-chan Command, publish func([]Report), yield func(), stop <-chan struct{}) {
	var last time.Time
	handle := func(c Command) {
		if err := e.Handle(c); err != nil {
			publish([]Report{{Gen: e.gen, Pane: -1, Err: err.Error()}})
		}
		last = time.Time{} // report the new state at once
	}
	for {
		if !e.Active() {
			select {
			case c := <-in:
				handle(c)
			case <-stop:
				e.close()
				return
			case <-time.After(reportEvery):
			}
		} else {
			select {
			case c := <-in:
				handle(c)
				continue
			case <-stop:
				e.close()
				return
			default:
			}
			e.Work(workSlice)
		}
		if time.Since(last) >= reportEvery {
			last = time.Now()
			publish(e.Reports())
		}
		if yield != nil {
			yield()
		}
	}
}

// GoroutineHost runs the engine in a goroutine: the desktop app's host, and
// the tests'.
type GoroutineHost struct {
	in      chan Command
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	reports []Report
}

// NewGoroutineHost starts an engine with the checkpoint loader load. The
// loop yields with runtime.Gosched between work slices: under js/wasm nothing
// preempts a busy goroutine, and without it the caller would never run.
func NewGoroutineHost(load func(name string) ([]byte, error)) *GoroutineHost {
	h := &GoroutineHost{in: make(chan Command, 16), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		RunLoop(NewEngine(load), h.in, h.publish, runtime.Gosched, h.stop)
	}()
	return h
}

func (h *GoroutineHost) publish(r []Report) {
	h.mu.Lock()
	h.reports = append(h.reports, r...)
	if len(h.reports) > 256 { // nobody is polling: keep the newest
		h.reports = append(h.reports[:0], h.reports[len(h.reports)-64:]...)
	}
	h.mu.Unlock()
}

// Send queues a command.
func (h *GoroutineHost) Send(c Command) { h.in <- c }

// Poll returns the reports since the last call.
func (h *GoroutineHost) Poll() []Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.reports
	h.reports = nil
	return r
}

// Close stops the engine and waits for it.
func (h *GoroutineHost) Close() {
	close(h.stop)
	<-h.done
}
