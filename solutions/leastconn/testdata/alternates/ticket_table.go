// Alternate: both pickers share one mutex-guarded table of parallel slices; memberships are ticket numbers, and a done releases its pick only while the Item's current ticket is still the one it was picked under.

// Package leastconn implements least connections and the power of two
// choices over one table: parallel slices of Items, weights, in-flight counts
// and membership tickets, with a map from Item to position, all under one
// mutex. Every membership gets a new ticket number when its Item joins the
// set; a done remembers the Item and the ticket of its pick and decrements
// the count only if the Item is still in the set under that ticket. Duplicate
// Items are found by comparing every pair with ==.
package leastconn

import (
	"errors"
	"math/rand/v2"
	"sync"
)

// MaxWeight is the largest Weight accepted.
const MaxWeight = 1 << 16

var (
	// ErrNoBackends is returned by Pick when the set is empty.
	ErrNoBackends = errors.New("leastconn: no backends")
	// ErrInvalidWeight is returned when a Weight is negative or above
	// MaxWeight.
	ErrInvalidWeight = errors.New("leastconn: invalid weight")
	// ErrDuplicateBackend is returned when two entries have equal Items.
	ErrDuplicateBackend = errors.New("leastconn: duplicate backend")
)

// Backend is one entry of a backend set.
type Backend[T comparable] struct {
	Item   T
	Weight int // 0 means 1; otherwise 1..MaxWeight
}

// Picker is implemented by *LeastConn[T] and *P2C[T].
type Picker[T comparable] interface {
	Pick() (item T, done func(), err error)
	Update(backends []Backend[T]) error
	InFlight(item T) int
}

// table is the state both pickers share. Every field is guarded by mu.
type table[T comparable] struct {
	mu      sync.Mutex
	items   []T
	weights []int64
	counts  []int64
	tickets []uint64
	pos     map[T]int
	issued  uint64 // the last ticket handed out
	cursor  int    // LeastConn's; 0 after every replace
}

func check[T comparable](backends []Backend[T]) error {
	for _, b := range backends {
		if b.Weight < 0 || b.Weight > MaxWeight {
			return ErrInvalidWeight
		}
	}
	for i := range backends {
		for j := i + 1; j < len(backends); j++ {
			if backends[i].Item == backends[j].Item {
				return ErrDuplicateBackend
			}
		}
	}
	return nil
}

// replace validates backends and installs them, keeping the count and the
// ticket of every Item that stays. The caller holds no lock.
func (t *table[T]) replace(backends []Backend[T]) error {
	if err := check(backends); err != nil {
		return err
	}
	n := len(backends)
	items, weights := make([]T, n), make([]int64, n)
	counts, tickets := make([]int64, n), make([]uint64, n)
	pos := make(map[T]int, n)
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, b := range backends {
		items[i] = b.Item
		weights[i] = int64(max(b.Weight, 1))
		if old, ok := t.pos[b.Item]; ok {
			counts[i], tickets[i] = t.counts[old], t.tickets[old]
		} else {
			t.issued++
			tickets[i] = t.issued
		}
		pos[b.Item] = i
	}
	t.items, t.weights, t.counts, t.tickets, t.pos = items, weights, counts, tickets, pos
	t.cursor = 0
	return nil
}

// take adds one to position i and returns its Item and a done. t.mu is held.
func (t *table[T]) take(i int) (T, func()) {
	t.counts[i]++
	item, ticket := t.items[i], t.tickets[i]
	released := false
	return item, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if released {
			return
		}
		released = true
		if j, ok := t.pos[item]; ok && t.tickets[j] == ticket {
			t.counts[j]--
		}
	}
}

// lighter reports whether position i is strictly less loaded than j.
func (t *table[T]) lighter(i, j int) bool {
	return t.counts[i]*t.weights[j] < t.counts[j]*t.weights[i]
}

func (t *table[T]) inFlight(item T) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if i, ok := t.pos[item]; ok {
		return int(t.counts[i])
	}
	return 0
}

// LeastConn returns the least-loaded backend, rotating ties with a cursor.
type LeastConn[T comparable] struct {
	t table[T]
}

// NewLeastConn returns a LeastConn over a copy of backends.
func NewLeastConn[T comparable](backends []Backend[T]) (*LeastConn[T], error) {
	l := &LeastConn[T]{}
	if err := l.Update(backends); err != nil {
		return nil, err
	}
	return l, nil
}

// Pick returns the first least-loaded backend from the cursor.
func (l *LeastConn[T]) Pick() (T, func(), error) {
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	n := len(l.t.items)
	if n == 0 {
		var zero T
		return zero, nil, ErrNoBackends
	}
	best := l.t.cursor
	for k := 1; k < n; k++ {
		if i := (l.t.cursor + k) % n; l.t.lighter(i, best) {
			best = i
		}
	}
	l.t.cursor = (best + 1) % n
	item, done := l.t.take(best)
	return item, done, nil
}

// Update replaces the set and resets the cursor.
func (l *LeastConn[T]) Update(backends []Backend[T]) error { return l.t.replace(backends) }

// InFlight returns the in-flight count of item in the current set, or 0.
func (l *LeastConn[T]) InFlight(item T) int { return l.t.inFlight(item) }

// P2C draws two distinct backends and returns the less loaded one.
type P2C[T comparable] struct {
	t   table[T]
	rnd func(n int) int
}

// NewP2C returns a P2C over a copy of backends; a nil rnd means rand.IntN.
func NewP2C[T comparable](backends []Backend[T], rnd func(n int) int) (*P2C[T], error) {
	if rnd == nil {
		rnd = rand.IntN
	}
	p := &P2C[T]{rnd: rnd}
	if err := p.Update(backends); err != nil {
		return nil, err
	}
	return p, nil
}

// Pick draws i = rnd(n) and j′ = rnd(n−1), skipping i, under the lock.
func (p *P2C[T]) Pick() (T, func(), error) {
	p.t.mu.Lock()
	defer p.t.mu.Unlock()
	n := len(p.t.items)
	if n == 0 {
		var zero T
		return zero, nil, ErrNoBackends
	}
	pick := 0
	if n > 1 {
		i := p.rnd(n)
		j := p.rnd(n - 1)
		if i < 0 || i >= n || j < 0 || j >= n-1 {
			panic("leastconn: rnd returned a value outside its range")
		}
		if j >= i {
			j++
		}
		pick = i
		if p.t.lighter(j, i) {
			pick = j
		}
	}
	item, done := p.t.take(pick)
	return item, done, nil
}

// Update replaces the set.
func (p *P2C[T]) Update(backends []Backend[T]) error { return p.t.replace(backends) }

// InFlight returns the in-flight count of item in the current set, or 0.
func (p *P2C[T]) InFlight(item T) int { return p.t.inFlight(item) }
