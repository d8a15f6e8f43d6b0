// Mutant: LeastConn's done updates its flag and the count without taking the lock.
// Rule: 3

// Package leastconn implements two load-balancing policies that keep state:
// least connections and the power of two choices (P2C).
//
// Every successful Pick adds one in-flight request to the backend it
// returns, and the done function it returns takes that request away again,
// once: a second call of the same done does nothing. A backend's load is its
// in-flight count divided by its weight, and loads are compared exactly, by
// cross-multiplication, as nginx does: a is less loaded than b when
// inflight(a)·weight(b) < inflight(b)·weight(a). Weights are at most
// MaxWeight, and the products are int64, so they never overflow.
//
// The in-flight count belongs to a membership: the stretch of time a backend
// spends in the set, from the Update (or constructor) that adds its Item to
// the first Update that leaves it out. An Update that keeps an Item keeps its
// membership, and so its count. Both pickers share one node per membership;
// a done holds a pointer to the node of the membership its pick was made in.
// When the membership ends, the node leaves the set and nothing reads it any
// more, so a late done that decrements it changes nothing anyone can see, and
// an Item that joins again gets a new node that starts at 0.
//
// LeastConn scans every backend under a mutex, starting at a cursor that
// moves past each pick, and returns the first least-loaded one: ties rotate
// instead of piling onto the first backend, and Σw picks from zero give
// every backend exactly its weight. Pick, done, Update and InFlight are
// linearizable.
//
// P2C draws two distinct backends with an injected random source and takes
// the less loaded one, the first draw on a tie. It never scans: the set is an
// immutable snapshot behind an atomic pointer, each membership has an atomic
// counter, and only Update takes a mutex. The counts are exact under any
// concurrency; a choice may read counts that concurrent picks are changing.
//
//	lc, _ := leastconn.NewLeastConn([]leastconn.Backend[string]{{Item: "a"}, {Item: "b"}})
//	item, done, _ := lc.Pick() // "a": both idle, the cursor starts at a
//	defer done()
package leastconn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

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

// validate checks a whole backend slice: every weight first, then the
// Items for duplicates.
func validate[T comparable](backends []Backend[T]) error {
	for i, b := range backends {
		if b.Weight < 0 || b.Weight > MaxWeight {
			return fmt.Errorf("%w: backend %d (%v) has weight %d, want 0 to %d", ErrInvalidWeight, i, b.Item, b.Weight, MaxWeight)
		}
	}
	seen := make(map[T]int, len(backends))
	for i, b := range backends {
		if j, dup := seen[b.Item]; dup {
			return fmt.Errorf("%w: backends %d and %d are both %v", ErrDuplicateBackend, j, i, b.Item)
		}
		seen[b.Item] = i
	}
	return nil
}

// weightOf is the weight a Backend counts with: 0 means 1.
func weightOf(w int) int64 {
	if w == 0 {
		return 1
	}
	return int64(w)
}

// lessLoaded reports whether inflight a / weight aw is strictly below
// inflight b / weight bw, without division: a·bw < b·aw. With weights up to
// 2^16, the products stay below 2^63 for any count below 2^47.
func lessLoaded(a, aw, b, bw int64) bool {
	return a*bw < b*aw
}

// lcNode is one membership of a LeastConn: an Item's stay in the set.
type lcNode[T comparable] struct {
	item     T
	weight   int64 // may change at an Update that keeps the membership
	inflight int64 // guarded by LeastConn.mu
}

// LeastConn returns the least-loaded backend, rotating ties with a cursor.
// It is safe for concurrent use. Use NewLeastConn; the zero value is not
// ready for use.
type LeastConn[T comparable] struct {
	mu     sync.Mutex
	nodes  []*lcNode[T]     // the set, in order
	index  map[T]*lcNode[T] // the same nodes by Item
	cursor int              // where the next scan starts; 0 ≤ cursor < len(nodes), or 0
}

// NewLeastConn returns a LeastConn over a copy of backends, or a nil picker
// and an error matching ErrInvalidWeight or ErrDuplicateBackend. An empty or
// nil slice is valid.
func NewLeastConn[T comparable](backends []Backend[T]) (*LeastConn[T], error) {
	l := &LeastConn[T]{}
	if err := l.Update(backends); err != nil {
		return nil, err
	}
	return l, nil
}

// Pick returns the first minimally loaded backend, scanning from the cursor,
// adds one to its in-flight count and moves the cursor past it. The done it
// returns takes the request away the first time it is called. On an empty
// set it returns the zero T, a nil done and ErrNoBackends.
func (l *LeastConn[T]) Pick() (T, func(), error) {
	l.mu.Lock()
	n := len(l.nodes)
	if n == 0 {
		l.mu.Unlock()
		var zero T
		return zero, nil, ErrNoBackends
	}
	best := l.cursor
	bn := l.nodes[best]
	for k := 1; k < n; k++ {
		i := l.cursor + k
		if i >= n {
			i -= n
		}
		if c := l.nodes[i]; lessLoaded(c.inflight, c.weight, bn.inflight, bn.weight) {
			best, bn = i, c
		}
	}
	bn.inflight++
	l.cursor = best + 1
	if l.cursor == n {
		l.cursor = 0
	}
	l.mu.Unlock()
	t := &lcTicket[T]{l: l, node: bn}
	return bn.item, t.done, nil
}

// lcTicket is one successful LeastConn pick, until its done is called.
type lcTicket[T comparable] struct {
	l    *LeastConn[T]
	node *lcNode[T]
	used bool // guarded by l.mu
}

// done releases the pick once. If its membership has ended, the node is no
// longer in the set and the decrement is invisible.
func (t *lcTicket[T]) done() {
	if !t.used {
		t.used = true
		t.node.inflight--
	}
}

// Update replaces the set with a copy of backends and resets the cursor to
// 0. Items in both the old and the new set keep their in-flight counts; new
// Items start at 0. On an error (ErrInvalidWeight, ErrDuplicateBackend)
// nothing changes.
func (l *LeastConn[T]) Update(backends []Backend[T]) error {
	if err := validate(backends); err != nil {
		return err
	}
	nodes := make([]*lcNode[T], len(backends))
	index := make(map[T]*lcNode[T], len(backends))
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, b := range backends {
		node := l.index[b.Item]
		if node == nil {
			node = &lcNode[T]{item: b.Item}
		}
		node.weight = weightOf(b.Weight)
		nodes[i] = node
		index[b.Item] = node
	}
	l.nodes, l.index, l.cursor = nodes, index, 0
	return nil
}

// InFlight returns the in-flight count of the backend with that Item in the
// current set, or 0 if there is none.
func (l *LeastConn[T]) InFlight(item T) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if node := l.index[item]; node != nil {
		return int(node.inflight)
	}
	return 0
}

// p2cMember is one membership of a P2C: an Item's stay in the set, with its
// in-flight count.
type p2cMember[T comparable] struct {
	item     T
	inflight atomic.Int64
}

// p2cEntry is one position of a P2C snapshot: a membership and the weight it
// has in this snapshot.
type p2cEntry[T comparable] struct {
	m      *p2cMember[T]
	weight int64
}

// p2cSet is an immutable snapshot of a P2C's set. Only the counters of its
// members change.
type p2cSet[T comparable] struct {
	entries []p2cEntry[T]
	index   map[T]*p2cMember[T]
}

// P2C draws two distinct backends at random and returns the less loaded one.
// It is safe for concurrent use. Use NewP2C; the zero value is not ready for
// use.
type P2C[T comparable] struct {
	rnd func(n int) int
	set atomic.Pointer[p2cSet[T]] // never nil after NewP2C
	mu  sync.Mutex                // serialises Updates
}

// NewP2C returns a P2C over a copy of backends, or a nil picker and an error
// matching ErrInvalidWeight or ErrDuplicateBackend. An empty or nil slice is
// valid. rnd returns a uniform int in [0, n); nil means math/rand/v2's IntN.
// rnd may be called from several goroutines at once.
func NewP2C[T comparable](backends []Backend[T], rnd func(n int) int) (*P2C[T], error) {
	if rnd == nil {
		rnd = rand.IntN
	}
	p := &P2C[T]{rnd: rnd}
	p.set.Store(&p2cSet[T]{})
	if err := p.Update(backends); err != nil {
		return nil, err
	}
	return p, nil
}

// draw calls rnd(n) and panics if the result is outside [0, n).
func (p *P2C[T]) draw(n int) int {
	v := p.rnd(n)
	if v < 0 || v >= n {
		panic(fmt.Sprintf("leastconn: rnd(%d) returned %d, outside [0, %d)", n, v, n))
	}
	return v
}

// Pick draws i = rnd(n), then j′ = rnd(n−1), and j = j′ if j′ < i, else
// j′+1, so that i ≠ j. It returns the backend at j if it is strictly less
// loaded than the one at i, otherwise the one at i, and adds one to its
// in-flight count. With one backend it returns it without calling rnd; on an
// empty set it returns the zero T, a nil done and ErrNoBackends.
func (p *P2C[T]) Pick() (T, func(), error) {
	s := p.set.Load()
	n := len(s.entries)
	var e *p2cEntry[T]
	switch n {
	case 0:
		var zero T
		return zero, nil, ErrNoBackends
	case 1:
		e = &s.entries[0]
	default:
		i := p.draw(n)
		j := p.draw(n - 1)
		if j >= i {
			j++
		}
		a, b := &s.entries[i], &s.entries[j]
		e = a
		if lessLoaded(b.m.inflight.Load(), b.weight, a.m.inflight.Load(), a.weight) {
			e = b
		}
	}
	e.m.inflight.Add(1)
	t := &p2cTicket[T]{m: e.m}
	return e.m.item, t.done, nil
}

// p2cTicket is one successful P2C pick, until its done is called.
type p2cTicket[T comparable] struct {
	m    *p2cMember[T]
	used atomic.Bool
}

// done releases the pick once, from any goroutine.
func (t *p2cTicket[T]) done() {
	if t.used.CompareAndSwap(false, true) {
		t.m.inflight.Add(-1)
	}
}

// Update replaces the set with a copy of backends. Items in both the old and
// the new set keep their in-flight counts; new Items start at 0. On an error
// (ErrInvalidWeight, ErrDuplicateBackend) nothing changes.
func (p *P2C[T]) Update(backends []Backend[T]) error {
	if err := validate(backends); err != nil {
		return err
	}
	next := &p2cSet[T]{
		entries: make([]p2cEntry[T], len(backends)),
		index:   make(map[T]*p2cMember[T], len(backends)),
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.set.Load()
	for i, b := range backends {
		m := old.index[b.Item]
		if m == nil {
			m = &p2cMember[T]{item: b.Item}
		}
		next.entries[i] = p2cEntry[T]{m: m, weight: weightOf(b.Weight)}
		next.index[b.Item] = m
	}
	p.set.Store(next)
	return nil
}

// InFlight returns the in-flight count of the backend with that Item in the
// current set, or 0 if there is none.
func (p *P2C[T]) InFlight(item T) int {
	if m := p.set.Load().index[item]; m != nil {
		return int(m.inflight.Load())
	}
	return 0
}
