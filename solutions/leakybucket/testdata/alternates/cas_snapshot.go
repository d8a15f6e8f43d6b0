// Alternate: lock-free, with compare-and-swap on a pointer to an immutable (S, waiters) snapshot and slots as time.Time.

// Package leakybucket implements a leaky bucket pacer without a mutex. The
// whole mutable state (whether a call was made, S, the number of waiters)
// lives in an immutable snapshot; every call builds the next snapshot and
// installs it with one compare-and-swap, retrying when another caller got
// there first. Because S and the waiter count change together, the queue
// bound and the give-back rule are decided atomically, as under a lock. The
// price is one small allocation per permission.
package leakybucket

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"time"
)

var (
	// ErrInvalidRate is returned by New when rate <= 0 or when a Per option
	// has a period <= 0.
	ErrInvalidRate = errors.New("leakybucket: rate must be positive")
	// ErrInvalidOption is returned by New when WithSlack or WithMaxQueue has
	// a negative value.
	ErrInvalidOption = errors.New("leakybucket: invalid option")
	// ErrQueueFull is returned by TakeContext when the caller would have to
	// wait and the limiter already has as many waiting callers as
	// WithMaxQueue allows.
	ErrQueueFull = errors.New("leakybucket: too many callers waiting")
)

// Option configures New. Its fields are unexported: use Per, WithSlack or
// WithMaxQueue. The zero Option changes nothing.
type Option struct {
	apply func(*config) error
}

type config struct {
	per      time.Duration
	slack    int
	maxQueue int // < 0: no bound
}

// Per sets the period that rate refers to. The default is time.Second.
func Per(d time.Duration) Option {
	return Option{func(c *config) error {
		if d <= 0 {
			return ErrInvalidRate
		}
		c.per = d
		return nil
	}}
}

// WithSlack lets up to n permissions be banked while the limiter is idle.
func WithSlack(n int) Option {
	return Option{func(c *config) error {
		if n < 0 {
			return ErrInvalidOption
		}
		c.slack = n
		return nil
	}}
}

// WithMaxQueue bounds the number of callers that may wait at once.
func WithMaxQueue(n int) Option {
	return Option{func(c *config) error {
		if n < 0 {
			return ErrInvalidOption
		}
		c.maxQueue = n
		return nil
	}}
}

// snapshot is the limiter's mutable state. It is never changed once
// published.
type snapshot struct {
	started bool
	last    time.Time // S
	waiters int
}

// Limiter paces permissions. Use New.
type Limiter struct {
	interval time.Duration
	slack    time.Duration // saturated
	maxQueue int
	state    atomic.Pointer[snapshot]
}

// New returns a limiter that allows rate permissions per period.
func New(rate int, opts ...Option) (*Limiter, error) {
	if rate <= 0 {
		return nil, ErrInvalidRate
	}
	c := config{per: time.Second, maxQueue: -1}
	for _, o := range opts {
		if o.apply == nil {
			continue
		}
		if err := o.apply(&c); err != nil {
			return nil, err
		}
	}
	interval := c.per / time.Duration(rate)
	slack := time.Duration(math.MaxInt64)
	if interval == 0 || int64(c.slack) <= math.MaxInt64/int64(interval) {
		slack = time.Duration(c.slack) * interval
	}
	l := &Limiter{interval: interval, slack: slack, maxQueue: c.maxQueue}
	l.state.Store(&snapshot{})
	return l, nil
}

// slotFor returns the slot of a call at now given the snapshot s.
func (l *Limiter) slotFor(s *snapshot, now time.Time) time.Time {
	if !s.started {
		return now
	}
	slot := s.last.Add(l.interval)
	if floor := now.Add(-l.slack); floor.After(slot) {
		return floor
	}
	return slot
}

// Take blocks until the caller's slot and returns the permission time.
func (l *Limiter) Take() time.Time {
	for {
		old := l.state.Load()
		now := time.Now()
		slot := l.slotFor(old, now)
		wait := slot.After(now)
		next := &snapshot{started: true, last: slot, waiters: old.waiters}
		if wait {
			next.waiters++
		}
		if !l.state.CompareAndSwap(old, next) {
			continue
		}
		if !wait {
			return now
		}
		time.Sleep(time.Until(slot))
		l.leave(time.Time{}, time.Time{})
		return slot
	}
}

// TakeContext is Take with cancellation, deadline fail-fast and the queue
// bound.
func (l *Limiter) TakeContext(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	deadline, hasDeadline := ctx.Deadline()
	var slot, prev time.Time
	for {
		old := l.state.Load()
		now := time.Now()
		slot = l.slotFor(old, now)
		if !slot.After(now) {
			if l.state.CompareAndSwap(old, &snapshot{started: true, last: slot, waiters: old.waiters}) {
				return now, nil
			}
			continue
		}
		if l.maxQueue >= 0 && old.waiters >= l.maxQueue {
			return time.Time{}, ErrQueueFull
		}
		if hasDeadline && !deadline.After(slot) {
			return time.Time{}, context.DeadlineExceeded
		}
		if l.state.CompareAndSwap(old, &snapshot{started: true, last: slot, waiters: old.waiters + 1}) {
			prev = old.last
			break
		}
	}
	timer := time.NewTimer(time.Until(slot))
	defer timer.Stop()
	select {
	case <-timer.C:
		l.leave(time.Time{}, time.Time{})
		return slot, nil
	case <-ctx.Done():
		l.leave(slot, prev)
		return time.Time{}, ctx.Err()
	}
}

// leave counts a waiter out. If slot is not zero and S still equals it (no
// later slot is in use), S goes back to prev.
func (l *Limiter) leave(slot, prev time.Time) {
	for {
		old := l.state.Load()
		next := &snapshot{started: old.started, last: old.last, waiters: old.waiters - 1}
		if !slot.IsZero() && old.last.Equal(slot) {
			next.last = prev
		}
		if l.state.CompareAndSwap(old, next) {
			return
		}
	}
}
