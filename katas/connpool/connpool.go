// Package connpool is the connpool kata: a bounded connection pool with
// strictly FIFO hand-off to waiters, exact idle and lifetime expiry, and
// health checks on reuse. Read katas/connpool/README.md and implement the
// API below. Every body panics "not implemented" until you do.
package connpool

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrClosed is returned by Get once Close has been called (rules 5, 15).
	ErrClosed = errors.New("connpool: pool is closed")
	// ErrInvalidConfig is wrapped by the error New returns for a bad
	// Config (rule 1).
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

// Stats is a snapshot of the pool's counters (rule 16).
type Stats struct {
	Open    int // slots held (rule 3), never above MaxOpen
	Idle    int // idle connections
	InUse   int // connections lent out
	Waiting int // Gets waiting now
}

// Pool is a bounded pool of connections of type C. All methods are safe for
// concurrent use (rule 17).
type Pool[C comparable] struct {
	// Your fields here.
}

// New checks cfg and returns an empty pool, or a nil pool and an error
// wrapping ErrInvalidConfig (rule 1). It dials nothing and starts no
// goroutine.
func New[C comparable](cfg Config[C]) (*Pool[C], error) {
	panic("not implemented")
}

// Get returns a connection: the most recently returned idle one (checked
// with Check when it is set), a new one from Dial while fewer than MaxOpen
// slots are held, or, after waiting its turn, one handed over by Put or a
// slot to dial in (rules 5–9, 14).
func (p *Pool[C]) Get(ctx context.Context) (C, error) {
	panic("not implemented")
}

// Put returns c, a connection that Get returned; err != nil means c is
// broken and must be closed. Put panics if c is not lent (rules 10, 11, 13).
func (p *Pool[C]) Put(c C, err error) {
	panic("not implemented")
}

// Stats returns a consistent snapshot of the counters (rule 16).
func (p *Pool[C]) Stats() Stats {
	panic("not implemented")
}

// Close fails every waiter with ErrClosed and closes every idle connection
// before it returns; lent connections are closed by their Put (rule 15).
func (p *Pool[C]) Close() {
	panic("not implemented")
}
