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
	// yours: unexported fields
}

// Per sets the period that rate refers to: New(rate, Per(d)) allows rate
// permissions per d, so the interval between permissions is d / rate,
// truncated to whole nanoseconds. The default is time.Second. A d <= 0 makes
// New fail with ErrInvalidRate.
func Per(d time.Duration) Option {
	panic("not implemented")
}

// WithSlack lets up to n permissions be banked while the limiter is idle:
// after a pause of at least n intervals, n + 1 calls are granted at once,
// then calls are spaced by the interval again. Slack is counted in
// intervals, so it follows Per. The default is 0: no catch-up. A negative n
// makes New fail with ErrInvalidOption.
func WithSlack(n int) Option {
	panic("not implemented")
}

// WithMaxQueue bounds the number of callers that may wait at once: a
// TakeContext that would have to wait while n callers are already waiting
// fails with ErrQueueFull. n == 0 is valid and means that no TakeContext
// may wait. Take is never refused, but counts as a waiting caller while it
// blocks. The default is no bound. A negative n makes New fail with
// ErrInvalidOption.
func WithMaxQueue(n int) Option {
	panic("not implemented")
}

// Limiter paces permissions: at most one per interval. Use New; the zero
// value is not usable. A Limiter must not be copied after first use.
type Limiter struct {
	// yours: unexported fields
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
	panic("not implemented")
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
	panic("not implemented")
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
	panic("not implemented")
}
