// Mutant: a Take that blocked is counted as a waiter but never counted out when it returns.
// Rule: 9, 11

// Package leakybucket implements a leaky bucket used as a pacer: it spaces
// permissions evenly, at most one every interval I = per / rate, whatever
// the callers do.
//
// Where a token bucket polices (it answers yes or no, and lets a saved-up
// burst through), a pacer shapes: every caller gets a permission, but
// callers that come too close together are made to wait for their turn. The
// limiter remembers a single time, S, the slot of the last permission it
// gave. A caller arriving at time now gets the slot
//
//	slot = max(S + I, now − slack × I)
//
// and S becomes that slot. If the slot is not after now, the caller goes at
// once; otherwise it sleeps until the slot. Slots are computed from S, not
// from when a caller woke up or how long it then worked, so the schedule
// never drifts.
//
// Slack is the number of permissions that may be banked while the limiter
// is idle. The second term of the max lets a caller that comes after a long
// pause start up to slack intervals in the past, so slack + 1 callers go at
// once and the rest follow at the normal pace. It is banked once per idle
// period: each burst call moves S forward by I. With slack 0 (the default) a
// late caller gets no catch-up at all. The very first call goes at its own
// call time, with no initial burst.
//
// The lock is held only to compute and store the slot, never while a caller
// sleeps, so many callers can queue at once; each sleeps on its own clock.
// TakeContext adds cancellation, fails fast when the context's deadline
// comes before the slot, and can bound the number of sleeping callers with
// WithMaxQueue. A cancelled caller gives its slot back when no later slot
// is still in use, so a cancelled wait does not slow anyone down.
//
// A limiter is safe for concurrent use.
package leakybucket

import (
	"context"
	"errors"
	"math"
	"sync"
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

// optionKind says which setting an Option changes.
type optionKind uint8

const (
	optNone optionKind = iota
	optPer
	optSlack
	optMaxQueue
)

// Option configures New. Its fields are unexported: use Per, WithSlack or
// WithMaxQueue. The zero Option changes nothing.
type Option struct {
	kind  optionKind
	value int64
}

// Per sets the period that rate refers to: New(rate, Per(d)) allows rate
// permissions per d, so the interval between permissions is d / rate,
// truncated to whole nanoseconds. The default is time.Second. A d <= 0 makes
// New fail with ErrInvalidRate.
func Per(d time.Duration) Option {
	return Option{kind: optPer, value: int64(d)}
}

// WithSlack lets up to n permissions be banked while the limiter is idle:
// after a pause of at least n intervals, n + 1 calls are granted at once,
// then calls are spaced by the interval again. Slack is counted in
// intervals, so it follows Per. The default is 0: no catch-up. A negative n
// makes New fail with ErrInvalidOption.
func WithSlack(n int) Option {
	return Option{kind: optSlack, value: int64(n)}
}

// WithMaxQueue bounds the number of callers that may wait at once: a
// TakeContext that would have to wait while n callers are already waiting
// fails with ErrQueueFull. n == 0 is valid and means that no TakeContext
// may wait. Take is never refused, but counts as a waiting caller while it
// blocks. The default is no bound. A negative n makes New fail with
// ErrInvalidOption.
func WithMaxQueue(n int) Option {
	return Option{kind: optMaxQueue, value: int64(n)}
}

// Limiter paces permissions: at most one per interval. Use New; the zero
// value is not usable. A Limiter must not be copied after first use.
type Limiter struct {
	interval int64 // I = per / rate in nanoseconds; may be 0
	slack    int64 // slack × I in nanoseconds, saturated at math.MaxInt64
	maxQueue int   // most waiters allowed; < 0 means no bound

	// Slots are kept as nanoseconds since the first call, which is cheaper
	// than time.Time arithmetic on the hot path. They saturate about 292
	// years after it, which only intervals of decades could reach.
	mu      sync.Mutex
	started bool      // whether the first call has been made
	epoch   time.Time // the first call's time
	last    int64     // S, the slot of the last permission
	waiters int       // callers given a future slot that have not returned
}

// New returns a limiter that allows rate permissions per period (one
// second unless Per says otherwise), spaced evenly.
//
// It returns a nil limiter and an error matching ErrInvalidRate when
// rate <= 0 or a Per option has a period <= 0, and one matching
// ErrInvalidOption when WithSlack or WithMaxQueue has a negative value.
// Every option is validated, even one that a later option of the same kind
// overrides; among valid options, the last of a kind wins.
//
// The interval is per / rate in whole nanoseconds, truncated (7 per minute
// gives 8.571428571 s). It may be 0 when rate is more than one per
// nanosecond; then every call is granted at once.
func New(rate int, opts ...Option) (*Limiter, error) {
	if rate <= 0 {
		return nil, ErrInvalidRate
	}
	per, slack, maxQueue := time.Second, int64(0), int64(-1)
	for _, o := range opts {
		switch o.kind {
		case optPer:
			if o.value <= 0 {
				return nil, ErrInvalidRate
			}
			per = time.Duration(o.value)
		case optSlack:
			if o.value < 0 {
				return nil, ErrInvalidOption
			}
			slack = o.value
		case optMaxQueue:
			if o.value < 0 {
				return nil, ErrInvalidOption
			}
			maxQueue = o.value
		}
	}
	interval := int64(per) / int64(rate)
	return &Limiter{
		interval: interval,
		slack:    mulSat(slack, interval),
		maxQueue: int(maxQueue),
	}, nil
}

// Take blocks until the caller's slot and returns the permission time. It
// never fails and is never refused by WithMaxQueue, but while it blocks it
// counts as a waiting caller.
//
// A call granted at once (the first call on a limiter, a call after a long
// enough pause, a slack grant, or any call when the interval is 0) returns
// the time of the call. A call that must wait returns its slot, at exactly
// that instant. Slots do not depend on how long callers take after their
// permission: the schedule never drifts.
func (l *Limiter) Take() time.Time {
	l.mu.Lock()
	now, at, slot := l.reserve()
	l.last = slot
	if slot <= at {
		l.mu.Unlock()
		return now
	}
	l.waiters++
	due := l.epoch.Add(time.Duration(slot))
	l.mu.Unlock()

	time.Sleep(time.Until(due))
	return due
}

// TakeContext is Take with cancellation, deadline fail-fast and the queue
// bound. It decides at once, in this order:
//
//   - a ctx that is already done returns ctx.Err();
//   - a slot that is not after now is granted: TakeContext returns now and
//     a nil error, like Take;
//   - if the slot is in the future and WithMaxQueue(n) is set with n
//     callers already waiting, it returns an error matching ErrQueueFull;
//   - if the slot is in the future and ctx has a deadline that is not
//     strictly after it, it returns an error matching
//     context.DeadlineExceeded, without sleeping.
//
// None of the refusals takes a slot. Otherwise the caller waits for its
// slot and returns it with a nil error. If ctx is done first, TakeContext
// returns ctx.Err() at that instant; the slot is given back (the next
// caller can have it) when every slot given out after it has been given
// back too, and otherwise stays used, so later callers keep their slots.
// On every error the returned time is the zero Time.
func (l *Limiter) TakeContext(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	deadline, hasDeadline := ctx.Deadline()

	l.mu.Lock()
	now, at, slot := l.reserve()
	if slot <= at {
		l.last = slot
		l.mu.Unlock()
		return now, nil
	}
	if l.maxQueue >= 0 && l.waiters >= l.maxQueue {
		l.mu.Unlock()
		return time.Time{}, ErrQueueFull
	}
	due := l.epoch.Add(time.Duration(slot))
	if hasDeadline && !deadline.After(due) {
		l.mu.Unlock()
		return time.Time{}, context.DeadlineExceeded
	}
	prev := l.last
	l.last = slot
	l.waiters++
	l.mu.Unlock()

	timer := time.NewTimer(time.Until(due))
	defer timer.Stop()
	select {
	case <-timer.C:
		l.mu.Lock()
		l.waiters--
		l.mu.Unlock()
		return due, nil
	case <-ctx.Done():
		l.mu.Lock()
		l.waiters--
		// Every slot given out after ours is later than ours, and each
		// give-back restores the slot before it, so S is still our slot
		// exactly when every later slot has been given back.
		if l.last == slot {
			l.last = prev
		}
		l.mu.Unlock()
		return time.Time{}, ctx.Err()
	}
}

// reserve reads the clock and returns the time of the call, its offset
// from the epoch, and the slot of the call: at itself for the first call
// (which sets the epoch), otherwise max(S + I, at − slack × I). It stores
// no slot; the caller holds l.mu. Reading the clock under the lock keeps
// the call times of concurrent callers in the order of their slots. A
// caller that read the clock and then waited for the lock could be given a
// slot after its stale call time: it would count as a waiter (and be
// refused under WithMaxQueue(0)) even with an interval of 0, when every
// call must be granted at once.
func (l *Limiter) reserve() (now time.Time, at, slot int64) {
	now = time.Now()
	if !l.started {
		l.started, l.epoch = true, now
		return now, 0, 0
	}
	at = int64(now.Sub(l.epoch))
	return now, at, max(addSat(l.last, l.interval), subSat(at, l.slack))
}

// mulSat returns n × d for n, d >= 0, saturated at math.MaxInt64.
func mulSat(n, d int64) int64 {
	if d > 0 && n > math.MaxInt64/d {
		return math.MaxInt64
	}
	return n * d
}

// addSat returns a + d for d >= 0, saturated at math.MaxInt64.
func addSat(a, d int64) int64 {
	if a > math.MaxInt64-d {
		return math.MaxInt64
	}
	return a + d
}

// subSat returns a − d for d >= 0, saturated at math.MinInt64.
func subSat(a, d int64) int64 {
	if a < math.MinInt64+d {
		return math.MinInt64
	}
	return a - d
}
