// Package connpool is the reference solution of the connpool kata: a bounded
// connection pool with strict FIFO hand-off to waiters, exact idle and
// lifetime expiry by one timer, and health checks on reuse.
//
// Design: one mutex guards a few counters, an intrusive LIFO list of idle
// connections, a heap of their expiry instants with a single timer armed at
// the earliest, and an intrusive FIFO list of waiters, each with a channel of
// capacity one. Dial, Check and CloseConn always run with the lock released;
// whoever holds a slot (a Get that dials or checks, a call that closes)
// releases it afterwards, and a released slot or a returned connection goes
// straight to the head waiter. The pool starts no goroutine of its own: only
// the timer's function runs on one, while it closes what has expired.
package connpool

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

var (
	// ErrClosed is returned by Get once Close has been called.
	ErrClosed = errors.New("connpool: pool is closed")
	// ErrInvalidConfig is wrapped by the error New returns for a bad Config.
	ErrInvalidConfig = errors.New("connpool: invalid config")
)

// Config describes a pool. Dial and CloseConn are required.
type Config[C comparable] struct {
	Dial        func(ctx context.Context) (C, error) // required; a value the pool does not hold
	CloseConn   func(c C)                            // required
	Check       func(ctx context.Context, c C) error // health check on reuse; nil: none
	MaxOpen     int                                  // cap on connections, >= 1
	MaxIdle     int                                  // idle connections kept, 0..MaxOpen
	IdleTimeout time.Duration                        // close after this long idle; 0: never
	MaxLifetime time.Duration                        // never reuse after this age; 0: never
}

// Stats is a snapshot of the pool's counters.
type Stats struct {
	Open    int // slots held (rule 3), never above MaxOpen
	Idle    int // idle connections
	InUse   int // connections lent out
	Waiting int // Gets waiting now
}

// state is where a connection is.
type state uint8

const (
	stateIdle     state = iota // in the idle list
	stateChecking              // taken by a Get that runs Check on it
	stateLent                  // returned by Get, not yet Put
	stateClosing               // removed; CloseConn runs or will run
)

// conn is the pool's record of one connection.
type conn[C comparable] struct {
	c       C
	created time.Time // when Dial returned
	expiry  time.Time // while idle with a timeout: when it expires
	state   state
	hidx    int      // index in the expiry heap, -1 when not in it
	up      *conn[C] // idle list: the connection returned after this one
	down    *conn[C] // idle list: the connection returned before this one
}

// grantKind is what a waiter is handed.
type grantKind uint8

const (
	grantConn   grantKind = iota // a connection, still lent
	grantSlot                    // the right to dial in a free slot
	grantClosed                  // the pool was closed
)

type grant[C comparable] struct {
	kind grantKind
	c    *conn[C]
}

// waiter is a blocked Get. Its channel has room for the one grant it can
// receive, so handing over never blocks while the lock is held.
type waiter[C comparable] struct {
	ch         chan grant[C]
	prev, next *waiter[C]
	queued     bool
}

// Pool is a bounded pool of connections of type C. All methods are safe for
// concurrent use.
type Pool[C comparable] struct {
	cfg      Config[C]
	timeouts bool // IdleTimeout or MaxLifetime set

	mu      sync.Mutex
	closed  bool
	open    int // slots held
	inUse   int // lent connections
	conns   map[C]*conn[C]
	top     *conn[C] // most recently returned idle connection
	idle    int
	exp     expiryHeap[C]
	timer   *time.Timer
	timerAt time.Time // when the timer fires; zero when it is not armed
	head    *waiter[C]
	tail    *waiter[C]
	waiting int
}

// New checks cfg and returns an empty pool. It dials nothing.
func New[C comparable](cfg Config[C]) (*Pool[C], error) {
	var why string
	switch {
	case cfg.Dial == nil:
		why = "Dial is nil"
	case cfg.CloseConn == nil:
		why = "CloseConn is nil"
	case cfg.MaxOpen < 1:
		why = fmt.Sprintf("MaxOpen %d is below 1", cfg.MaxOpen)
	case cfg.MaxIdle < 0:
		why = fmt.Sprintf("MaxIdle %d is negative", cfg.MaxIdle)
	case cfg.MaxIdle > cfg.MaxOpen:
		why = fmt.Sprintf("MaxIdle %d is above MaxOpen %d", cfg.MaxIdle, cfg.MaxOpen)
	case cfg.IdleTimeout < 0:
		why = fmt.Sprintf("IdleTimeout %v is negative", cfg.IdleTimeout)
	case cfg.MaxLifetime < 0:
		why = fmt.Sprintf("MaxLifetime %v is negative", cfg.MaxLifetime)
	}
	if why != "" {
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, why)
	}
	return &Pool[C]{
		cfg:      cfg,
		timeouts: cfg.IdleTimeout > 0 || cfg.MaxLifetime > 0,
		conns:    make(map[C]*conn[C]),
	}, nil
}

// Get returns an idle connection (the most recently returned), dials a new
// one while fewer than MaxOpen slots are held, or waits in line.
func (p *Pool[C]) Get(ctx context.Context) (C, error) {
	var zero C
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return zero, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		p.mu.Unlock()
		return zero, err
	}
	for {
		dead := p.reapLocked()
		if e := p.popIdleLocked(); e != nil {
			check := p.cfg.Check != nil
			if check {
				e.state = stateChecking
			} else {
				e.state = stateLent
				p.inUse++
			}
			p.mu.Unlock()
			p.closeAll(dead)
			if check {
				return p.check(ctx, e)
			}
			return e.c, nil
		}
		if len(dead) > 0 {
			// Every idle connection had expired: close them, then start
			// again (their slots may have gone to waiters meanwhile).
			p.mu.Unlock()
			p.closeAll(dead)
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				return zero, ErrClosed
			}
			if err := ctx.Err(); err != nil {
				p.mu.Unlock()
				return zero, err
			}
			continue
		}
		if p.open < p.cfg.MaxOpen {
			p.open++
			p.mu.Unlock()
			return p.dial(ctx)
		}
		return p.wait(ctx)
	}
}

// wait queues the Get at the back of the line and blocks until it is handed
// a connection or a slot, the pool closes, or ctx is done. p.mu is held on
// entry and released on return.
func (p *Pool[C]) wait(ctx context.Context) (C, error) {
	var zero C
	w := &waiter[C]{ch: make(chan grant[C], 1)}
	p.pushWaiterLocked(w)
	p.mu.Unlock()

	select {
	case g := <-w.ch:
		return p.served(ctx, g)
	case <-ctx.Done():
	}
	p.mu.Lock()
	if w.queued {
		p.removeWaiterLocked(w)
		p.mu.Unlock()
		return zero, ctx.Err()
	}
	p.mu.Unlock()
	// Something was handed over at the moment ctx ended: pass it on as if
	// it had just been released.
	switch g := <-w.ch; g.kind {
	case grantConn:
		p.mu.Lock()
		p.releaseLocked(g.c, nil)
	case grantSlot:
		p.mu.Lock()
		p.releaseSlotLocked()
		p.mu.Unlock()
	case grantClosed:
		return zero, ErrClosed
	}
	return zero, ctx.Err()
}

// served finishes a Get that was handed g while it waited.
func (p *Pool[C]) served(ctx context.Context, g grant[C]) (C, error) {
	var zero C
	switch g.kind {
	case grantConn:
		return g.c.c, nil
	case grantSlot:
		p.mu.Lock()
		if p.closed {
			p.releaseSlotLocked()
			p.mu.Unlock()
			return zero, ErrClosed
		}
		p.mu.Unlock()
		return p.dial(ctx)
	}
	return zero, ErrClosed
}

// dial calls Dial in a slot the caller holds.
func (p *Pool[C]) dial(ctx context.Context) (C, error) {
	var zero C
	c, err := p.cfg.Dial(ctx)
	created := time.Now()
	p.mu.Lock()
	if err != nil {
		p.releaseSlotLocked()
		p.mu.Unlock()
		return zero, err
	}
	e := &conn[C]{c: c, created: created, hidx: -1}
	p.conns[c] = e
	if p.closed {
		e.state = stateClosing
		p.mu.Unlock()
		p.closeConn(e)
		return zero, ErrClosed
	}
	e.state = stateLent
	p.inUse++
	p.mu.Unlock()
	return c, nil
}

// check runs Check on e, taken from the idle list by this Get, and on the
// next idle connections while they fail; when none is left, it dials in
// the slot of the last one that failed.
func (p *Pool[C]) check(ctx context.Context, e *conn[C]) (C, error) {
	var zero C
	for {
		err := p.cfg.Check(ctx, e.c)
		p.mu.Lock()
		if p.closed {
			e.state = stateClosing
			p.mu.Unlock()
			p.closeConn(e)
			return zero, ErrClosed
		}
		if err == nil {
			e.state = stateLent
			p.inUse++
			p.mu.Unlock()
			return e.c, nil
		}
		e.state = stateClosing
		p.mu.Unlock()
		p.cfg.CloseConn(e.c)

		// This Get still holds e's slot.
		p.mu.Lock()
		delete(p.conns, e.c)
		if p.closed {
			p.releaseSlotLocked()
			p.mu.Unlock()
			return zero, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			p.releaseSlotLocked()
			p.mu.Unlock()
			return zero, err
		}
		dead := p.reapLocked()
		next := p.popIdleLocked()
		if next == nil {
			p.mu.Unlock()
			p.closeAll(dead)
			return p.dial(ctx)
		}
		p.releaseSlotLocked() // nobody waits while a connection is idle
		next.state = stateChecking
		p.mu.Unlock()
		p.closeAll(dead)
		e = next
	}
}

// Put returns c, a connection that Get returned; err != nil means c is
// broken. Put panics if c is not lent.
func (p *Pool[C]) Put(c C, err error) {
	p.mu.Lock()
	e := p.conns[c]
	if e == nil || e.state != stateLent {
		p.mu.Unlock()
		panic(fmt.Sprintf("connpool: Put(%v): not a connection lent by this pool (never returned by Get, or already put back)", c))
	}
	p.releaseLocked(e, err)
}

// releaseLocked applies rule 10 to e, a lent connection. p.mu is held on
// entry and released on return.
func (p *Pool[C]) releaseLocked(e *conn[C], err error) {
	var now time.Time
	if p.timeouts {
		now = time.Now()
	}
	if err != nil || p.closed || (p.cfg.MaxLifetime > 0 && now.Sub(e.created) >= p.cfg.MaxLifetime) {
		e.state = stateClosing
		p.inUse--
		p.mu.Unlock()
		p.closeConn(e)
		return
	}
	if w := p.popWaiterLocked(); w != nil {
		w.ch <- grant[C]{kind: grantConn, c: e} // still lent
		p.mu.Unlock()
		return
	}
	if p.idle >= p.cfg.MaxIdle {
		e.state = stateClosing
		p.inUse--
		p.mu.Unlock()
		p.closeConn(e)
		return
	}
	p.inUse--
	p.pushIdleLocked(e, now)
	p.mu.Unlock()
}

// Stats returns a consistent snapshot of the counters.
func (p *Pool[C]) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Open: p.open, Idle: p.idle, InUse: p.inUse, Waiting: p.waiting}
}

// Close fails every waiter with ErrClosed and closes every idle connection
// before it returns. Lent connections are closed by their Put; a Dial or
// Check in progress closes what it leaves. A second Close does nothing.
func (p *Pool[C]) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for w := p.head; w != nil; w = w.next {
		w.queued = false
		w.ch <- grant[C]{kind: grantClosed}
	}
	p.head, p.tail, p.waiting = nil, nil, 0
	var dead []*conn[C]
	for e := p.popIdleLocked(); e != nil; e = p.popIdleLocked() {
		e.state = stateClosing
		dead = append(dead, e)
	}
	if p.timer != nil {
		p.timer.Stop()
		p.timerAt = time.Time{}
	}
	p.mu.Unlock()
	p.closeAll(dead)
}

// closeConn closes e, which holds a slot, and then releases the slot.
func (p *Pool[C]) closeConn(e *conn[C]) {
	p.cfg.CloseConn(e.c)
	p.mu.Lock()
	delete(p.conns, e.c)
	p.releaseSlotLocked()
	p.mu.Unlock()
}

func (p *Pool[C]) closeAll(dead []*conn[C]) {
	for _, e := range dead {
		p.closeConn(e)
	}
}

// releaseSlotLocked gives a free slot to the head waiter as the right to
// dial, or gives it up.
func (p *Pool[C]) releaseSlotLocked() {
	if w := p.popWaiterLocked(); w != nil {
		w.ch <- grant[C]{kind: grantSlot}
		return
	}
	p.open--
}

// The idle list: a stack through up/down, top most recent; and the expiry
// heap beside it when a timeout is set.

func (p *Pool[C]) pushIdleLocked(e *conn[C], now time.Time) {
	e.state = stateIdle
	e.down, e.up = p.top, nil
	if p.top != nil {
		p.top.up = e
	}
	p.top = e
	p.idle++
	if !p.timeouts {
		return
	}
	var at time.Time
	if d := p.cfg.IdleTimeout; d > 0 {
		at = now.Add(d)
	}
	if d := p.cfg.MaxLifetime; d > 0 {
		if end := e.created.Add(d); at.IsZero() || end.Before(at) {
			at = end
		}
	}
	e.expiry = at
	heap.Push(&p.exp, e)
	p.armLocked(now)
}

// popIdleLocked takes the most recently returned idle connection, or nil.
func (p *Pool[C]) popIdleLocked() *conn[C] {
	e := p.top
	if e != nil {
		p.unlinkIdleLocked(e)
	}
	return e
}

func (p *Pool[C]) unlinkIdleLocked(e *conn[C]) {
	if e.up != nil {
		e.up.down = e.down
	} else {
		p.top = e.down
	}
	if e.down != nil {
		e.down.up = e.up
	}
	e.up, e.down = nil, nil
	p.idle--
	if e.hidx >= 0 {
		heap.Remove(&p.exp, e.hidx)
	}
}

// reapLocked removes the idle connections whose expiry is now or past and
// returns them to be closed: a Get at the very instant of an expiry must
// not take a connection whose timer has not run yet.
func (p *Pool[C]) reapLocked() []*conn[C] {
	if len(p.exp) == 0 {
		return nil
	}
	now := time.Now()
	var dead []*conn[C]
	for len(p.exp) > 0 && !now.Before(p.exp[0].expiry) {
		e := p.exp[0]
		p.unlinkIdleLocked(e)
		e.state = stateClosing
		dead = append(dead, e)
	}
	return dead
}

// armLocked makes sure the timer fires no later than the earliest expiry.
// A timer that fires early finds nothing due and arms itself again.
func (p *Pool[C]) armLocked(now time.Time) {
	if len(p.exp) == 0 || p.closed {
		return
	}
	next := p.exp[0].expiry
	if !p.timerAt.IsZero() && !next.Before(p.timerAt) {
		return
	}
	p.timerAt = next
	if p.timer == nil {
		p.timer = time.AfterFunc(next.Sub(now), p.expire)
		return
	}
	p.timer.Reset(next.Sub(now))
}

// expire runs on the timer's goroutine: it closes what is due and arms the
// timer for the next expiry.
func (p *Pool[C]) expire() {
	p.mu.Lock()
	p.timerAt = time.Time{}
	dead := p.reapLocked()
	p.armLocked(time.Now())
	p.mu.Unlock()
	p.closeAll(dead)
}

// The waiter queue: a doubly linked FIFO, so a withdrawn waiter leaves in
// O(1).

func (p *Pool[C]) pushWaiterLocked(w *waiter[C]) {
	w.queued = true
	w.prev = p.tail
	if p.tail != nil {
		p.tail.next = w
	} else {
		p.head = w
	}
	p.tail = w
	p.waiting++
}

func (p *Pool[C]) popWaiterLocked() *waiter[C] {
	w := p.head
	if w != nil {
		p.removeWaiterLocked(w)
	}
	return w
}

func (p *Pool[C]) removeWaiterLocked(w *waiter[C]) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		p.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		p.tail = w.prev
	}
	w.prev, w.next = nil, nil
	w.queued = false
	p.waiting--
}

// expiryHeap orders idle connections by expiry, for container/heap.
type expiryHeap[C comparable] []*conn[C]

func (h expiryHeap[C]) Len() int           { return len(h) }
func (h expiryHeap[C]) Less(i, j int) bool { return h[i].expiry.Before(h[j].expiry) }
func (h expiryHeap[C]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx = i
	h[j].hidx = j
}
func (h *expiryHeap[C]) Push(x any) {
	e := x.(*conn[C])
	e.hidx = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap[C]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.hidx = -1
	return e
}
