package silero

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
)

// Pool is a set of Models that hands out Streams round-robin. A Model runs
// one window at a time (its runs are serialised), so the calls of an edge
// whose Streams all share one Model queue behind one another for every
// window, and a run preempted on a busy machine holds up every call; with a
// Model per CPU, calls on different Models run in parallel and each Model's
// queue is a fraction as long. A Pool is safe for concurrent use.
type Pool struct {
	models []*Model
	next   atomic.Uint64
}

// NewPool creates n Models with opts (n ≤ 0: one per CPU, runtime.NumCPU).
// Each costs about 12 MB and 50–100 ms to create.
func NewPool(n int, opts ...Option) (*Pool, error) {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	if n > 256 {
		return nil, fmt.Errorf("%w: pool of %d models, want 1..256", ErrInvalidOption, n)
	}
	p := &Pool{}
	for range n {
		m, err := New(opts...)
		if err != nil {
			return nil, errors.Join(err, p.Close())
		}
		p.models = append(p.models, m)
	}
	return p, nil
}

// NewStream returns a Stream on the next Model of the pool.
func (p *Pool) NewStream(opts ...StreamOption) (*Stream, error) {
	i := (p.next.Add(1) - 1) % uint64(len(p.models))
	return p.models[i].NewStream(opts...)
}

// Models returns the pool's Models, for their Runs counters.
func (p *Pool) Models() []*Model { return p.models }

// Close closes every Model; Streams of a closed Pool return ErrClosed. It
// is safe to call more than once.
func (p *Pool) Close() error {
	var errs []error
	for _, m := range p.models {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}
