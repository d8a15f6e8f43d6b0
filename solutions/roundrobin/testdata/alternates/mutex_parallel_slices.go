// Alternate: a mutex-guarded RoundRobin that keeps start and the pick count reduced modulo the set, and an SWRR over parallel slices that keeps weight-0 entries.

// Package roundrobin implements two client-side load-balancing policies: plain
// round-robin and nginx's smooth weighted round-robin.
//
// This version guards RoundRobin with a mutex instead of an atomic counter.
// It never stores start + k: it keeps start and the number of picks as they
// are, in uint64, and reduces each modulo the current length before adding,
// so the sum stays below 2·len. SmoothWeighted keeps the items, weights and
// current weights in three parallel slices, weight-0 entries included, and
// validates the sum in uint64.
package roundrobin

import (
	"errors"
	"math"
	"sync"
)

var (
	// ErrNoBackends is returned by RoundRobin.Pick when the backend set is
	// empty, and by NewSmoothWeighted when it is given no entries or only
	// entries of weight 0.
	ErrNoBackends = errors.New("roundrobin: no backends")
	// ErrInvalidStart is returned by NewRoundRobin when WithStart was given
	// a negative index.
	ErrInvalidStart = errors.New("roundrobin: negative start index")
	// ErrInvalidWeight is returned by NewSmoothWeighted when a weight is
	// negative or the weights add up to more than MaxTotalWeight.
	ErrInvalidWeight = errors.New("roundrobin: invalid weight")
)

// MaxTotalWeight is the largest sum of weights NewSmoothWeighted accepts.
const MaxTotalWeight = math.MaxInt32

// Picker is implemented by *RoundRobin[T] and *SmoothWeighted[T].
type Picker[T any] interface {
	// Pick returns the next backend, or the zero T and an error.
	Pick() (T, error)
}

// options holds what the Options of NewRoundRobin set.
type options struct {
	start    int
	startSet bool
}

// Option configures NewRoundRobin. Make one with WithStart; a nil Option is
// ignored.
type Option func(*options)

// WithStart sets the index of the first pick, modulo the set's length.
func WithStart(i int) Option {
	return func(o *options) { o.start, o.startSet = i, true }
}

// RoundRobin returns its backends in turn. It is safe for concurrent use.
type RoundRobin[T any] struct {
	mu    sync.Mutex
	set   []T
	picks uint64 // successful picks so far
	start uint64
}

// NewRoundRobin returns a RoundRobin over a copy of backends.
func NewRoundRobin[T any](backends []T, opts ...Option) (*RoundRobin[T], error) {
	o := options{}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.startSet && o.start < 0 {
		return nil, ErrInvalidStart
	}
	return &RoundRobin[T]{set: append([]T(nil), backends...), start: uint64(o.start)}, nil
}

// Pick returns the next backend, or ErrNoBackends on an empty set.
func (r *RoundRobin[T]) Pick() (T, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := uint64(len(r.set))
	if n == 0 {
		var zero T
		return zero, ErrNoBackends
	}
	i := (r.start%n + r.picks%n) % n
	r.picks++
	return r.set[i], nil
}

// Update replaces the set with a copy of backends.
func (r *RoundRobin[T]) Update(backends []T) {
	set := make([]T, len(backends))
	copy(set, backends)
	r.mu.Lock()
	r.set = set
	r.mu.Unlock()
}

// Weighted is one entry of a SmoothWeighted: an item and its weight.
type Weighted[T any] struct {
	Item   T
	Weight int
}

// SmoothWeighted is nginx's smooth weighted round-robin.
type SmoothWeighted[T any] struct {
	mu      sync.Mutex
	items   []T
	weights []int
	current []int
	total   int
}

// NewSmoothWeighted returns a SmoothWeighted over a copy of items.
func NewSmoothWeighted[T any](items []Weighted[T]) (*SmoothWeighted[T], error) {
	var sum uint64
	for _, it := range items {
		if it.Weight < 0 {
			return nil, ErrInvalidWeight
		}
	}
	for _, it := range items {
		sum += uint64(it.Weight) // each term < 2^63 and sum <= 2^31 before it: no wrap
		if sum > MaxTotalWeight {
			return nil, ErrInvalidWeight
		}
	}
	if sum == 0 {
		return nil, ErrNoBackends
	}
	s := &SmoothWeighted[T]{
		items:   make([]T, len(items)),
		weights: make([]int, len(items)),
		current: make([]int, len(items)),
		total:   int(sum),
	}
	for i, it := range items {
		s.items[i], s.weights[i] = it.Item, it.Weight
	}
	return s, nil
}

// Pick returns the next item of the smooth weighted sequence.
func (s *SmoothWeighted[T]) Pick() (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := -1
	for i, w := range s.weights {
		s.current[i] += w
		if best < 0 || s.current[i] > s.current[best] {
			best = i
		}
	}
	s.current[best] -= s.total
	return s.items[best], nil
}
