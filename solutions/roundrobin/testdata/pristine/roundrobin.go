// Package roundrobin implements two client-side load-balancing policies: plain
// round-robin and nginx's smooth weighted round-robin.
//
// A RoundRobin hands out its backends in turn. Its state is an immutable
// snapshot of the backend set and one atomic counter of successful picks, so
// Pick takes no lock: it loads the snapshot, takes the next number k from the
// counter and returns backend (start+k) mod n. Update swaps in a new snapshot
// in one atomic store and leaves the counter alone, so the rotation carries on
// where it was. The arithmetic is done in uint64: start < 2^63 and k < 2^63,
// so start+k never overflows.
//
//	rr, _ := roundrobin.NewRoundRobin([]string{"a", "b", "c"})
//	rr.Pick() // "a"
//	rr.Pick() // "b"
//	rr.Update([]string{"x", "y"})
//	rr.Pick() // "x": pick number 2, and 2 mod 2 = 0
//
// A SmoothWeighted honours weights without bursts. Every entry keeps a current
// weight, 0 at the start. Each pick adds every entry's weight to its current
// weight, selects the entry with the largest current weight (the lowest index
// on a tie) and subtracts the total weight from it. Over any total
// consecutive picks each entry is chosen exactly Weight times, and the heavy
// entry's picks are spread out: weights {5, 1, 1} give a a b a c a a, not
// a a a a a b c. The current weights always sum to 0 between picks, which
// keeps them within (−total, 2·total); capping the total at MaxTotalWeight
// keeps that far from overflow. A pick touches every entry, so it is O(n)
// under a mutex.
package roundrobin

import (
	"errors"
	"math"
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
type options struct{}

// Option configures NewRoundRobin. Make one with WithStart; a nil Option is
// ignored.
type Option func(*options)

// WithStart makes pick number 0 return backends[i mod len(backends)], so that
// many clients with the same backend list do not all start on the first
// backend. Any i >= 0 is valid, also i >= len(backends) and math.MaxInt; a
// negative i makes NewRoundRobin fail with ErrInvalidStart. Without it, start
// is 0. When given several times, the last one wins.
func WithStart(i int) Option {
	panic("not implemented")
}

// RoundRobin returns its backends in turn. It is safe for concurrent use.
// Use NewRoundRobin; the zero value is not ready for use.
type RoundRobin[T any] struct{}

// NewRoundRobin returns a RoundRobin over a copy of backends: later writes to
// the caller's slice change nothing. An empty or nil slice is valid; Pick then
// returns ErrNoBackends until Update brings backends. With WithStart(i) and
// i < 0 it returns a nil picker and ErrInvalidStart.
func NewRoundRobin[T any](backends []T, opts ...Option) (*RoundRobin[T], error) {
	panic("not implemented")
}

// Pick returns the next backend. Successful picks are numbered k = 0, 1, 2, …
// over the picker's whole life, across Updates, and pick k returns
// s[(start+k) mod len(s)], where s is the set in force. The arithmetic is
// exact for every k < 2^63.
//
// On an empty set Pick returns the zero T and ErrNoBackends, and does not use
// up a number. Concurrent picks never share or skip a number.
func (r *RoundRobin[T]) Pick() (T, error) {
	panic("not implemented")
}

// Update replaces the backend set with a copy of backends in one atomic step.
// A Pick that starts after Update returns uses the new set; a Pick running at
// the same time uses the old set or the new one. The numbering of picks
// carries on: Update does not restart the rotation. An empty or nil slice is
// valid.
func (r *RoundRobin[T]) Update(backends []T) {
	panic("not implemented")
}

// Weighted is one entry of a SmoothWeighted: an item and its weight.
type Weighted[T any] struct {
	Item   T
	Weight int
}

// SmoothWeighted is nginx's smooth weighted round-robin. It is safe for
// concurrent use; concurrent picks are serialised. Use NewSmoothWeighted; the
// zero value is not ready for use.
type SmoothWeighted[T any] struct{}

// NewSmoothWeighted returns a SmoothWeighted over a copy of items. Equal Items
// are separate entries. It returns a nil picker and an error, checking in
// this order:
//   - a negative Weight gives ErrInvalidWeight;
//   - weights that add up to more than MaxTotalWeight give ErrInvalidWeight
//     (the sum is computed without overflow);
//   - no items, or only items of weight 0, give ErrNoBackends.
//
// Entries of weight 0 are accepted and never picked.
func NewSmoothWeighted[T any](items []Weighted[T]) (*SmoothWeighted[T], error) {
	panic("not implemented")
}

// Pick returns the next item of the smooth weighted sequence and a nil error.
// It adds each entry's weight to its current weight, selects the entry with
// the largest current weight (the lowest index on a tie) and subtracts the
// total weight from the selected one. Starting from a new picker, every run
// of total picks returns each entry exactly Weight times.
func (s *SmoothWeighted[T]) Pick() (T, error) {
	panic("not implemented")
}
