// Alternate: GCRA, which stores when the bucket will be full again (as an offset from the remembered time) instead of a balance.

// Package tokenbucket implements a token bucket rate limiter in the style of
// the generic cell rate algorithm (GCRA): instead of a balance it remembers
// how long after the remembered time the bucket will be full again, and
// derives the balance from that. A limit of 0 has no such moment, so a
// frozen balance is kept for it.
package tokenbucket

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// Limit is a rate in tokens per second.
type Limit float64

// Inf allows every request.
const Inf = Limit(math.MaxFloat64)

// Every returns the Limit of one token per interval (Inf when interval <= 0).
func Every(interval time.Duration) Limit {
	if interval <= 0 {
		return Inf
	}
	return 1 / Limit(interval.Seconds())
}

var (
	ErrInvalidLimit = errors.New("tokenbucket: limit must be a non-negative number")
	ErrInvalidBurst = errors.New("tokenbucket: burst must not be negative")
	ErrExceedsBurst = errors.New("tokenbucket: n exceeds burst")
)

// Limiter is a token bucket. The zero value behaves like New(0, 0).
type Limiter struct {
	mu    sync.Mutex
	limit Limit
	burst int
	last  time.Time
	// fullIn is how many seconds after last the bucket is full again
	// (0 < limit < Inf only). It exceeds burst/limit while waits hold
	// reservations.
	fullIn float64
	// frozen is the balance while the limit is 0.
	frozen float64
	// top is the newest reservation not given back.
	top *reservation
}

// reservation is a node of the stack of reservations not given back.
type reservation struct{ below *reservation }

// New returns a full limiter of rate r and burst b.
func New(r Limit, b int) (*Limiter, error) {
	if math.IsNaN(float64(r)) || r < 0 {
		return nil, ErrInvalidLimit
	}
	if b < 0 {
		return nil, ErrInvalidBurst
	}
	if math.IsInf(float64(r), 1) {
		r = Inf
	}
	l := &Limiter{limit: r, burst: b}
	l.store(float64(b))
	return l, nil
}

func (l *Limiter) Limit() Limit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

func (l *Limiter) Burst() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.burst
}

// effective returns max(l.last, t).
func (l *Limiter) effective(t time.Time) time.Time {
	if t.Before(l.last) {
		return l.last
	}
	return t
}

// elapsed returns to − from in seconds, for to >= from.
func elapsed(from, to time.Time) float64 {
	if d := to.Sub(from); d < time.Duration(math.MaxInt64) {
		return float64(d) / 1e9
	}
	return (float64(to.Unix()) - float64(from.Unix())) + float64(to.Nanosecond()-from.Nanosecond())/1e9
}

// remaining returns how many seconds after te the bucket is full again.
func (l *Limiter) remaining(te time.Time) float64 {
	return max(0, l.fullIn-elapsed(l.last, te))
}

// balance returns the balance at te >= l.last.
func (l *Limiter) balance(te time.Time) float64 {
	switch l.limit {
	case Inf:
		return float64(l.burst)
	case 0:
		return l.frozen
	}
	rem := l.remaining(te)
	if rem == 0 {
		return float64(l.burst)
	}
	return float64(l.burst) - float64(l.limit)*rem
}

// store makes b the balance at l.last under the current configuration.
func (l *Limiter) store(b float64) {
	switch l.limit {
	case Inf:
	case 0:
		l.frozen = b
	default:
		l.fullIn = (float64(l.burst) - b) / float64(l.limit)
	}
}

// spend takes n tokens at te >= l.last.
func (l *Limiter) spend(te time.Time, n int) {
	switch l.limit {
	case Inf:
	case 0:
		l.frozen -= float64(n)
	default:
		l.fullIn = l.remaining(te) + float64(n)/float64(l.limit)
	}
	l.last = te
}

func (l *Limiter) Allow() bool { return l.AllowN(time.Now(), 1) }

func (l *Limiter) AllowN(t time.Time, n int) bool {
	if n <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit == Inf {
		return true
	}
	if n > l.burst {
		return false
	}
	te := l.effective(t)
	if l.balance(te) < float64(n) {
		return false
	}
	l.spend(te, n)
	return true
}

func (l *Limiter) Tokens() float64 { return l.TokensAt(time.Now()) }

func (l *Limiter) TokensAt(t time.Time) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.balance(l.effective(t))
}

func (l *Limiter) SetLimit(r Limit) error { return l.SetLimitAt(time.Now(), r) }

func (l *Limiter) SetLimitAt(t time.Time, r Limit) error {
	if math.IsNaN(float64(r)) || r < 0 {
		return ErrInvalidLimit
	}
	if math.IsInf(float64(r), 1) {
		r = Inf
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	te := l.effective(t)
	b := l.balance(te)
	l.limit, l.last = r, te
	l.store(b)
	return nil
}

func (l *Limiter) SetBurst(b int) error { return l.SetBurstAt(time.Now(), b) }

func (l *Limiter) SetBurstAt(t time.Time, b int) error {
	if b < 0 {
		return ErrInvalidBurst
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	te := l.effective(t)
	bal := min(l.balance(te), float64(b))
	l.burst, l.last = b, te
	l.store(bal)
	return nil
}

func (l *Limiter) Wait(ctx context.Context) error { return l.WaitN(ctx, 1) }

func (l *Limiter) WaitN(ctx context.Context, n int) error {
	now := time.Now()
	l.mu.Lock()
	if l.limit != Inf && n > l.burst {
		l.mu.Unlock()
		return ErrExceedsBurst
	}
	if err := ctx.Err(); err != nil {
		l.mu.Unlock()
		return err
	}
	if n <= 0 || l.limit == Inf {
		l.mu.Unlock()
		return nil
	}
	te := l.effective(now)
	if l.balance(te) >= float64(n) {
		l.spend(te, n)
		l.mu.Unlock()
		return nil
	}
	// The balance reaches n when the bucket is (burst-n)/r short of full.
	never := true
	var due time.Time
	if l.limit > 0 {
		wait := l.remaining(te) - (float64(l.burst)-float64(n))/float64(l.limit)
		if ns := math.Round(wait * 1e9); ns < math.MaxInt64 {
			never, due = false, te.Add(time.Duration(ns))
		}
	}
	deadline, hasDeadline := ctx.Deadline()
	if never || (hasDeadline && !deadline.After(due)) {
		l.mu.Unlock()
		if hasDeadline {
			return context.DeadlineExceeded
		}
		<-ctx.Done()
		return ctx.Err()
	}
	l.spend(te, n)
	me := &reservation{below: l.top}
	l.top = me
	l.mu.Unlock()

	timer := time.NewTimer(due.Sub(now))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.top == me {
		l.top = me.below
		te := l.effective(time.Now())
		b := min(l.balance(te)+float64(n), float64(l.burst))
		l.last = te
		l.store(b)
	}
	return ctx.Err()
}
