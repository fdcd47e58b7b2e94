package pipeline

import "sync"

// typedPool is a sync.Pool of one type.
type typedPool[T any] struct{ p sync.Pool }

func syncPool[T any](newT func() T) *typedPool[T] {
	return &typedPool[T]{p: sync.Pool{New: func() any { return newT() }}}
}

func (p *typedPool[T]) Get() T  { return p.p.Get().(T) }
func (p *typedPool[T]) Put(v T) { p.p.Put(v) }
