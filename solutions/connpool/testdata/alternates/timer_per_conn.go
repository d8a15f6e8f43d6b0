// Alternate: container/list queues, a timer per connection reset on every Put, a Get that finds only expired connections dials in one of their slots, a waiter handed something as its ctx ends uses it, and Dial errors come back wrapped.

// Package connpool is a bounded connection pool. This version differs from
// the reference in its data structures and in the choices the contract
// leaves open: the idle connections and the waiters are container/list
// lists; each connection owns one time.AfterFunc timer, reset whenever it
// becomes idle and stopped whenever it leaves the idle list; a Get that
// finds only expired idle connections closes them and dials in the slot of
// the last one instead of starting over; a waiter that is handed a
// connection or a slot at the moment its ctx ends uses it; and a failed
// Dial's error is wrapped.
package connpool

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

var (
	ErrClosed        = errors.New("connpool: pool is closed")
	ErrInvalidConfig = errors.New("connpool: invalid config")
)

type Config[C comparable] struct {
	Dial        func(ctx context.Context) (C, error)
	CloseConn   func(c C)
	Check       func(ctx context.Context, c C) error
	MaxOpen     int
	MaxIdle     int
	IdleTimeout time.Duration
	MaxLifetime time.Duration
}

type Stats struct {
	Open    int
	Idle    int
	InUse   int
	Waiting int
}

type where int

const (
	inIdle where = iota + 1
	inCheck
	inUse
	inClose
)

type entry[C comparable] struct {
	c        C
	born     time.Time
	deadline time.Time // while idle with a timeout
	where    where
	elem     *list.Element // in Pool.idle while idle
	timer    *time.Timer
}

// handoff is what a waiter receives: a connection, a slot (e == nil,
// !closed) or the news that the pool closed.
type handoff[C comparable] struct {
	e      *entry[C]
	closed bool
}

type waiter[C comparable] struct {
	ch   chan handoff[C]
	elem *list.Element // in Pool.queue while waiting
}

type Pool[C comparable] struct {
	cfg Config[C]

	mu     sync.Mutex
	closed bool
	open   int
	lent   int
	all    map[C]*entry[C]
	idle   *list.List // of *entry[C]; Front is the most recently returned
	queue  *list.List // of *waiter[C]; Front waited longest
}

func New[C comparable](cfg Config[C]) (*Pool[C], error) {
	bad := func(format string, args ...any) (*Pool[C], error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if cfg.Dial == nil || cfg.CloseConn == nil {
		return bad("Dial and CloseConn are required")
	}
	if cfg.MaxOpen < 1 {
		return bad("MaxOpen %d < 1", cfg.MaxOpen)
	}
	if cfg.MaxIdle < 0 || cfg.MaxIdle > cfg.MaxOpen {
		return bad("MaxIdle %d outside 0..MaxOpen (%d)", cfg.MaxIdle, cfg.MaxOpen)
	}
	if cfg.IdleTimeout < 0 || cfg.MaxLifetime < 0 {
		return bad("negative IdleTimeout %v or MaxLifetime %v", cfg.IdleTimeout, cfg.MaxLifetime)
	}
	return &Pool[C]{cfg: cfg, all: map[C]*entry[C]{}, idle: list.New(), queue: list.New()}, nil
}

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
	e, expired := p.takeIdleLocked()
	if e != nil {
		if p.cfg.Check != nil {
			e.where = inCheck
		} else {
			e.where = inUse
			p.lent++
		}
		p.mu.Unlock()
		for _, x := range expired {
			p.closeAndRelease(x)
		}
		if p.cfg.Check != nil {
			return p.checkLoop(ctx, e)
		}
		return e.c, nil
	}
	if n := len(expired); n > 0 {
		p.mu.Unlock()
		for _, x := range expired[:n-1] {
			p.closeAndRelease(x)
		}
		return p.replace(ctx, expired[n-1])
	}
	if p.open < p.cfg.MaxOpen {
		p.open++
		p.mu.Unlock()
		return p.dialInSlot(ctx)
	}
	w := &waiter[C]{ch: make(chan handoff[C], 1)}
	w.elem = p.queue.PushBack(w)
	p.mu.Unlock()

	var h handoff[C]
	select {
	case h = <-w.ch:
	case <-ctx.Done():
		p.mu.Lock()
		if w.elem != nil {
			p.queue.Remove(w.elem)
			w.elem = nil
			p.mu.Unlock()
			return zero, ctx.Err()
		}
		p.mu.Unlock()
		h = <-w.ch // handed over just now: use it
	}
	switch {
	case h.closed:
		return zero, ErrClosed
	case h.e != nil:
		return h.e.c, nil
	}
	p.mu.Lock()
	if p.closed {
		p.releaseLocked()
		p.mu.Unlock()
		return zero, ErrClosed
	}
	p.mu.Unlock()
	return p.dialInSlot(ctx)
}

// takeIdleLocked pops idle connections, most recent first, until a live one
// (returned) or none is left; the expired ones it met are returned too,
// marked as closing, each still holding its slot.
func (p *Pool[C]) takeIdleLocked() (*entry[C], []*entry[C]) {
	var expired []*entry[C]
	var now time.Time
	for front := p.idle.Front(); front != nil; front = p.idle.Front() {
		e := front.Value.(*entry[C])
		p.unidleLocked(e)
		if !e.deadline.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			if !now.Before(e.deadline) {
				e.where = inClose
				expired = append(expired, e)
				continue
			}
		}
		return e, expired
	}
	return nil, expired
}

func (p *Pool[C]) unidleLocked(e *entry[C]) {
	p.idle.Remove(e.elem)
	e.elem = nil
	if e.timer != nil {
		e.timer.Stop()
	}
}

// replace closes e, whose slot this Get holds, and dials in that slot.
func (p *Pool[C]) replace(ctx context.Context, e *entry[C]) (C, error) {
	var zero C
	p.cfg.CloseConn(e.c)
	p.mu.Lock()
	delete(p.all, e.c)
	if p.closed {
		p.releaseLocked()
		p.mu.Unlock()
		return zero, ErrClosed
	}
	p.mu.Unlock()
	return p.dialInSlot(ctx)
}

func (p *Pool[C]) dialInSlot(ctx context.Context) (C, error) {
	var zero C
	c, err := p.cfg.Dial(ctx)
	born := time.Now()
	p.mu.Lock()
	if err != nil {
		p.releaseLocked()
		p.mu.Unlock()
		return zero, fmt.Errorf("connpool: dial: %w", err)
	}
	e := &entry[C]{c: c, born: born, where: inUse}
	p.all[c] = e
	if p.closed {
		e.where = inClose
		p.mu.Unlock()
		p.closeAndRelease(e)
		return zero, ErrClosed
	}
	p.lent++
	p.mu.Unlock()
	return c, nil
}

func (p *Pool[C]) checkLoop(ctx context.Context, e *entry[C]) (C, error) {
	var zero C
	for {
		err := p.cfg.Check(ctx, e.c)
		p.mu.Lock()
		switch {
		case p.closed:
			e.where = inClose
			p.mu.Unlock()
			p.closeAndRelease(e)
			return zero, ErrClosed
		case err == nil:
			e.where = inUse
			p.lent++
			p.mu.Unlock()
			return e.c, nil
		}
		e.where = inClose
		p.mu.Unlock()
		p.cfg.CloseConn(e.c)
		p.mu.Lock()
		delete(p.all, e.c)
		if p.closed {
			p.releaseLocked()
			p.mu.Unlock()
			return zero, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			p.releaseLocked()
			p.mu.Unlock()
			return zero, err
		}
		next, expired := p.takeIdleLocked()
		if next == nil {
			p.mu.Unlock()
			for _, x := range expired {
				p.closeAndRelease(x)
			}
			return p.dialInSlot(ctx)
		}
		p.releaseLocked()
		next.where = inCheck
		p.mu.Unlock()
		for _, x := range expired {
			p.closeAndRelease(x)
		}
		e = next
	}
}

func (p *Pool[C]) Put(c C, err error) {
	p.mu.Lock()
	e, ok := p.all[c]
	if !ok || e.where != inUse {
		p.mu.Unlock()
		panic(fmt.Sprintf("connpool: Put of %v, which is not lent", c))
	}
	p.putLocked(e, err)
}

// putLocked returns a lent connection; it releases p.mu.
func (p *Pool[C]) putLocked(e *entry[C], err error) {
	now := time.Now()
	tooOld := p.cfg.MaxLifetime > 0 && now.Sub(e.born) >= p.cfg.MaxLifetime
	if err == nil && !p.closed && !tooOld {
		if front := p.queue.Front(); front != nil {
			w := p.queue.Remove(front).(*waiter[C])
			w.elem = nil
			w.ch <- handoff[C]{e: e}
			p.mu.Unlock()
			return
		}
		if p.idle.Len() < p.cfg.MaxIdle {
			p.lent--
			p.makeIdleLocked(e, now)
			p.mu.Unlock()
			return
		}
	}
	p.lent--
	e.where = inClose
	p.mu.Unlock()
	p.closeAndRelease(e)
}

func (p *Pool[C]) makeIdleLocked(e *entry[C], now time.Time) {
	e.where = inIdle
	e.elem = p.idle.PushFront(e)
	var deadline time.Time
	if p.cfg.IdleTimeout > 0 {
		deadline = now.Add(p.cfg.IdleTimeout)
	}
	if p.cfg.MaxLifetime > 0 {
		if end := e.born.Add(p.cfg.MaxLifetime); deadline.IsZero() || end.Before(deadline) {
			deadline = end
		}
	}
	e.deadline = deadline
	if deadline.IsZero() {
		return
	}
	if e.timer == nil {
		e.timer = time.AfterFunc(deadline.Sub(now), func() { p.expire(e) })
	} else {
		e.timer.Reset(deadline.Sub(now))
	}
}

// expire runs on e's timer: e is closed if it is still idle and due.
func (p *Pool[C]) expire(e *entry[C]) {
	p.mu.Lock()
	if e.where != inIdle || time.Now().Before(e.deadline) {
		p.mu.Unlock()
		return
	}
	p.unidleLocked(e)
	e.where = inClose
	p.mu.Unlock()
	p.closeAndRelease(e)
}

func (p *Pool[C]) closeAndRelease(e *entry[C]) {
	p.cfg.CloseConn(e.c)
	p.mu.Lock()
	delete(p.all, e.c)
	p.releaseLocked()
	p.mu.Unlock()
}

// releaseLocked frees one slot: the waiter at the front dials in it.
func (p *Pool[C]) releaseLocked() {
	if front := p.queue.Front(); front != nil {
		w := p.queue.Remove(front).(*waiter[C])
		w.elem = nil
		w.ch <- handoff[C]{}
		return
	}
	p.open--
}

func (p *Pool[C]) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Open: p.open, Idle: p.idle.Len(), InUse: p.lent, Waiting: p.queue.Len()}
}

func (p *Pool[C]) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for front := p.queue.Front(); front != nil; front = p.queue.Front() {
		w := p.queue.Remove(front).(*waiter[C])
		w.elem = nil
		w.ch <- handoff[C]{closed: true}
	}
	var idle []*entry[C]
	for front := p.idle.Front(); front != nil; front = p.idle.Front() {
		e := front.Value.(*entry[C])
		p.unidleLocked(e)
		e.where = inClose
		idle = append(idle, e)
	}
	p.mu.Unlock()
	for _, e := range idle {
		p.closeAndRelease(e)
	}
}
