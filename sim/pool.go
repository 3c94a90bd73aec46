package sim

import "sync"

// pool runs one function on a fixed number of workers: worker 0 is the
// calling goroutine, workers 1..n−1 are long-lived goroutines, so that a
// parallel phase of a training step allocates nothing. With one worker
// (the browser) nothing runs concurrently.
type pool struct {
	workers int
	start   []chan func(int)
	wg      sync.WaitGroup
}

func newPool(workers int) *pool {
	p := &pool{workers: max(1, workers)}
	for w := 1; w < p.workers; w++ {
		ch := make(chan func(int))
		p.start = append(p.start, ch)
		go func() {
			for fn := range ch {
				fn(w)
				p.wg.Done()
			}
		}()
	}
	return p
}

// run calls fn(w) for every worker w and returns when all are done.
func (p *pool) run(fn func(w int)) {
	p.wg.Add(p.workers - 1)
	for _, ch := range p.start {
		ch <- fn
	}
	fn(0)
	p.wg.Wait()
}

// close stops the worker goroutines.
func (p *pool) close() {
	for _, ch := range p.start {
		close(ch)
	}
	p.start = nil
	p.workers = 1
}

// span returns the half-open range [lo, hi) of shard s of n items split into
// k nearly equal shards.
func span(n, k, s int) (lo, hi int) { return s * n / k, (s + 1) * n / k }
