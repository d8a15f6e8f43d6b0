// Package leastconn is the least-connections and power-of-two-choices load
// balancing kata: read katas/leastconn/README.md and implement the API
// below. Every body panics "not implemented" until you do.
//
// Every successful Pick adds one in-flight request to the backend it returns;
// the done function it returns takes that request away, once. A backend's
// load is in-flight / weight, compared by cross-multiplication. LeastConn
// returns the least-loaded backend, rotating ties with a cursor; P2C draws
// two distinct backends with an injected random source and returns the less
// loaded of the two.
package leastconn

import "errors"

// MaxWeight is the largest Weight accepted.
const MaxWeight = 1 << 16

var (
	// ErrNoBackends is returned by Pick when the set is empty.
	ErrNoBackends = errors.New("leastconn: no backends")
	// ErrInvalidWeight is returned by the constructors and Update when a
	// Weight is negative or above MaxWeight.
	ErrInvalidWeight = errors.New("leastconn: invalid weight")
	// ErrDuplicateBackend is returned by the constructors and Update when
	// two entries have equal Items.
	ErrDuplicateBackend = errors.New("leastconn: duplicate backend")
)

// Backend is one entry of a backend set.
type Backend[T comparable] struct {
	Item   T
	Weight int // 0 means 1; otherwise 1..MaxWeight
}

// Picker is implemented by *LeastConn[T] and *P2C[T].
type Picker[T comparable] interface {
	// Pick returns a backend and the function that ends its request, or the
	// zero T, a nil done and ErrNoBackends when the set is empty.
	Pick() (item T, done func(), err error)
	// Update replaces the set, keeping the in-flight count of every Item
	// that stays.
	Update(backends []Backend[T]) error
	// InFlight returns the in-flight count of item in the current set, or 0.
	InFlight(item T) int
}

// LeastConn returns the least-loaded backend, rotating ties with a cursor
// (rules 6 to 8). It must be safe for concurrent use. Use NewLeastConn; the
// zero value is not ready for use.
type LeastConn[T comparable] struct {
	// yours
}

// NewLeastConn returns a LeastConn over a copy of backends, or a nil picker
// and an error matching ErrInvalidWeight or ErrDuplicateBackend (rule 1). An
// empty or nil slice is valid.
func NewLeastConn[T comparable](backends []Backend[T]) (*LeastConn[T], error) {
	panic("not implemented")
}

// Pick returns the first minimally loaded backend, scanning from the cursor,
// adds one to its in-flight count and moves the cursor past it. The done it
// returns takes the request away the first time it is called. On an empty
// set it returns the zero T, a nil done and ErrNoBackends.
func (l *LeastConn[T]) Pick() (T, func(), error) {
	panic("not implemented")
}

// Update replaces the set with a copy of backends and resets the cursor to
// 0. Items in both the old and the new set keep their in-flight counts; new
// Items start at 0. On an error (ErrInvalidWeight, ErrDuplicateBackend)
// nothing changes.
func (l *LeastConn[T]) Update(backends []Backend[T]) error {
	panic("not implemented")
}

// InFlight returns the in-flight count of the backend with that Item in the
// current set, or 0 if there is none.
func (l *LeastConn[T]) InFlight(item T) int {
	panic("not implemented")
}

// P2C draws two distinct backends at random and returns the less loaded one
// (rules 9 and 10). It must be safe for concurrent use. Use NewP2C; the zero
// value is not ready for use.
type P2C[T comparable] struct {
	// yours
}

// NewP2C returns a P2C over a copy of backends, or a nil picker and an error
// matching ErrInvalidWeight or ErrDuplicateBackend (rule 1). An empty or nil
// slice is valid. rnd returns a uniform int in [0, n); nil means
// math/rand/v2's IntN. rnd may be called from several goroutines at once.
func NewP2C[T comparable](backends []Backend[T], rnd func(n int) int) (*P2C[T], error) {
	panic("not implemented")
}

// Pick draws i = rnd(n), then j′ = rnd(n−1), and j = j′ if j′ < i, else
// j′+1. It returns the backend at j if it is strictly less loaded than the
// one at i, otherwise the one at i, and adds one to its in-flight count. With
// one backend it returns it without calling rnd; on an empty set it returns
// the zero T, a nil done and ErrNoBackends. A result of rnd outside its
// range makes Pick panic.
func (p *P2C[T]) Pick() (T, func(), error) {
	panic("not implemented")
}

// Update replaces the set with a copy of backends. Items in both the old and
// the new set keep their in-flight counts; new Items start at 0. On an error
// (ErrInvalidWeight, ErrDuplicateBackend) nothing changes.
func (p *P2C[T]) Update(backends []Backend[T]) error {
	panic("not implemented")
}

// InFlight returns the in-flight count of the backend with that Item in the
// current set, or 0 if there is none.
func (p *P2C[T]) InFlight(item T) int {
	panic("not implemented")
}
