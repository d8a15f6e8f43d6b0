// Mutant: WaitN takes tokens at once only when the balance is more than n, so a balance of exactly n waits until the remembered time (later than now after an AllowN with a later t).
// Rule: 7, 16d

// Package tokenbucket implements a token bucket rate limiter.
//
// A bucket holds up to burst tokens and refills continuously at r tokens per
// second. A request for n tokens is granted when the bucket holds at least n,
// and spends them. So a quiet client may fire burst requests at once, and a
// busy one settles at r requests per second.
//
// The bucket needs no ticker and no goroutine. It remembers two numbers: the
// balance (how many tokens it held) and the remembered time (when it last
// changed). The balance at any later time t is computed on demand:
//
//	balance(t) = min(burst, balance + r × (t − remembered))
//
// Every method that changes the bucket first settles it at t with this
// formula, then applies its change and remembers t. A time earlier than the
// remembered one counts as the remembered one, so a clock that steps back
// never mints tokens. Tokens are float64: at 8 per second, 62.5 ms earns half
// a token, and that half is kept.
//
// AllowN(t, n) is the non-blocking form: it answers at once and spends only
// when it grants. WaitN(ctx, n) blocks instead: it reserves the n tokens at
// once, which may drive the balance negative, and sleeps until the moment
// the balance would have reached n. Reserving first is what makes waiters
// fair (they are served in call order) and lets WaitN give up immediately when
// the context's deadline comes first. The sleep happens outside the lock, so
// other callers never wait behind a sleeper.
//
// Special configurations: a limit of Inf grants everything and spends
// nothing; a limit of 0 never refills, so only the initial burst can be
// spent; a burst of 0 with a finite limit grants nothing.
//
// All methods are safe for concurrent use. The zero Limiter is a usable
// limiter that behaves like New(0, 0): it grants only requests for no tokens.
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

// Inf allows every request. It is math.MaxFloat64, not math.Inf(1):
// 0 × +Inf is NaN, which would poison the balance. New, SetLimit and
// SetLimitAt store math.Inf(1) as Inf.
const Inf = Limit(math.MaxFloat64)

// Every returns the Limit of one token per interval: 1 / interval.Seconds().
// It returns Inf when interval <= 0. For example Every(200*time.Millisecond)
// is 5.
func Every(interval time.Duration) Limit {
	if interval <= 0 {
		return Inf
	}
	return 1 / Limit(interval.Seconds())
}

var (
	// ErrInvalidLimit is returned by New, SetLimit and SetLimitAt for a
	// limit that is NaN or negative.
	ErrInvalidLimit = errors.New("tokenbucket: limit must be a non-negative number")
	// ErrInvalidBurst is returned by New, SetBurst and SetBurstAt for a
	// negative burst.
	ErrInvalidBurst = errors.New("tokenbucket: burst must not be negative")
	// ErrExceedsBurst is returned by Wait and WaitN when the limit is finite
	// and n is larger than the burst: such a request can never be granted.
	ErrExceedsBurst = errors.New("tokenbucket: n exceeds burst")
)

// Limiter is a token bucket. Create one with New. The zero value behaves
// like New(0, 0). A Limiter must not be copied after first use.
type Limiter struct {
	mu     sync.Mutex
	limit  Limit
	burst  int
	tokens float64   // balance at last; negative while waits hold reservations
	last   time.Time // remembered time; the zero Time stands for "none"

	// depth counts reservations that are not given back. A reservation is
	// given back on cancellation only while it is the newest one still
	// counted, that is while depth equals the depth it was made at.
	depth uint64
}

// New returns a limiter that allows r tokens per second with bursts of up
// to burst tokens. The limiter starts full: it holds burst tokens until its
// first state change.
//
// r == 0 (never refills) and burst == 0 (grants nothing unless r is Inf) are
// valid. r == math.Inf(1) is stored as Inf. New returns a nil limiter and an
// error matching ErrInvalidLimit when r is NaN or negative, or one matching
// ErrInvalidBurst when burst is negative.
func New(r Limit, burst int) (*Limiter, error) {
	r, err := checkLimit(r)
	if err != nil {
		return nil, err
	}
	if burst < 0 {
		return nil, ErrInvalidBurst
	}
	return &Limiter{limit: r, burst: burst, tokens: float64(burst)}, nil
}

// checkLimit validates r and maps +Inf to Inf.
func checkLimit(r Limit) (Limit, error) {
	if math.IsNaN(float64(r)) || r < 0 {
		return 0, ErrInvalidLimit
	}
	if math.IsInf(float64(r), 1) {
		return Inf, nil
	}
	return r, nil
}

// Limit returns the current limit.
func (l *Limiter) Limit() Limit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// Burst returns the current burst.
func (l *Limiter) Burst() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.burst
}

// Allow reports whether one token is available now, and spends it if so.
// It is AllowN(time.Now(), 1).
func (l *Limiter) Allow() bool {
	return l.AllowN(time.Now(), 1)
}

// AllowN reports whether n tokens are available at time t, and spends them
// if so. It never blocks.
//
// n <= 0 is always allowed and changes nothing. With limit Inf every n is
// allowed and nothing is spent. With a finite limit, n > Burst() is never
// allowed, even on a full bucket. A refused request changes nothing at all:
// it spends no tokens and does not move the remembered time. A t earlier
// than the remembered time counts as the remembered time.
func (l *Limiter) AllowN(t time.Time, n int) bool {
	if n <= 0 {
		return true
	}
	l.mu.Lock()
	if l.limit == Inf {
		l.mu.Unlock()
		return true
	}
	if n > l.burst {
		l.mu.Unlock()
		return false
	}
	tokens, at := l.settle(t)
	if tokens < float64(n) {
		l.mu.Unlock()
		return false
	}
	l.tokens, l.last = tokens-float64(n), at
	l.mu.Unlock()
	return true
}

// Tokens returns the balance now. It is TokensAt(time.Now()).
func (l *Limiter) Tokens() float64 {
	return l.TokensAt(time.Now())
}

// TokensAt returns the balance at time t: at most Burst(), fractional in
// general, and negative while pending waits hold more tokens than the bucket
// has earned. With limit Inf it returns float64(Burst()). It changes
// nothing; a t earlier than the remembered time counts as the remembered
// time.
func (l *Limiter) TokensAt(t time.Time) float64 {
	l.mu.Lock()
	tokens, _ := l.settle(t)
	l.mu.Unlock()
	return tokens
}

// SetLimit changes the limit now. It is SetLimitAt(time.Now(), r).
func (l *Limiter) SetLimit(r Limit) error {
	return l.SetLimitAt(time.Now(), r)
}

// SetLimitAt settles the balance at t under the old limit, then changes the
// limit to r. It validates r like New and, on error, returns it and changes
// nothing. Leaving Inf for a finite limit sets the balance to Burst(),
// whatever pending waits had reserved. Pending waits keep their due times.
func (l *Limiter) SetLimitAt(t time.Time, r Limit) error {
	r, err := checkLimit(r)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.tokens, l.last = l.settle(t)
	l.limit = r
	l.mu.Unlock()
	return nil
}

// SetBurst changes the burst now. It is SetBurstAt(time.Now(), b).
func (l *Limiter) SetBurst(b int) error {
	return l.SetBurstAt(time.Now(), b)
}

// SetBurstAt settles the balance at t under the old burst, then changes the
// burst to b. A larger burst adds no tokens; a smaller one caps the balance.
// A negative b returns an error matching ErrInvalidBurst and changes
// nothing. Pending waits keep their due times.
func (l *Limiter) SetBurstAt(t time.Time, b int) error {
	if b < 0 {
		return ErrInvalidBurst
	}
	l.mu.Lock()
	l.tokens, l.last = l.settle(t)
	l.burst = b
	l.tokens = min(l.tokens, float64(b))
	l.mu.Unlock()
	return nil
}

// Wait is WaitN(ctx, 1).
func (l *Limiter) Wait(ctx context.Context) error {
	return l.WaitN(ctx, 1)
}

// WaitN blocks until n tokens are available and spends them. It decides at
// once, in this order:
//
//   - with a finite limit, n > Burst() returns an error matching
//     ErrExceedsBurst;
//   - a ctx that is already done returns ctx.Err();
//   - n <= 0, or limit Inf, returns nil;
//   - if n tokens are available now, WaitN spends them and returns nil;
//   - otherwise the due time is the earliest instant at which the balance
//     reaches n. If ctx has a deadline that is not strictly after the due
//     time, WaitN returns an error matching context.DeadlineExceeded. A due
//     time that never comes (limit 0, or further away than a time.Duration
//     can express) counts as later than any deadline.
//
// None of these cases spends anything except the fourth. In the remaining
// case WaitN reserves the n tokens at once (the balance goes negative, so
// later callers see them as spent and queue behind it) and returns nil at
// the due time. If ctx is done first, WaitN returns ctx.Err() at that
// instant and gives the n tokens back (capped at Burst()) provided every
// reservation made after it has been given back; otherwise it gives nothing
// back and the later waits keep their due times.
//
// A due time that never comes, with no deadline on ctx, blocks until ctx is
// done and returns ctx.Err() without spending anything.
func (l *Limiter) WaitN(ctx context.Context, n int) error {
	ctxErr := ctx.Err()
	deadline, hasDeadline := ctx.Deadline()
	now := time.Now()

	l.mu.Lock()
	if l.limit != Inf && n > l.burst {
		l.mu.Unlock()
		return ErrExceedsBurst
	}
	if ctxErr != nil {
		l.mu.Unlock()
		return ctxErr
	}
	if n <= 0 || l.limit == Inf {
		l.mu.Unlock()
		return nil
	}
	tokens, at := l.settle(now)
	if tokens > float64(n) {
		l.tokens, l.last = tokens-float64(n), at
		l.mu.Unlock()
		return nil
	}
	delay, ok := l.delay(float64(n) - tokens)
	due := at.Add(delay)
	if !ok || (hasDeadline && !due.Before(deadline)) {
		l.mu.Unlock()
		if !ok && !hasDeadline {
			<-ctx.Done() // never served, and no deadline to refuse against
			return ctx.Err()
		}
		return context.DeadlineExceeded
	}
	l.tokens, l.last = tokens-float64(n), at
	l.depth++
	mine := l.depth
	l.mu.Unlock()

	timer := time.NewTimer(due.Sub(now))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		if l.depth == mine {
			l.depth--
			tokens, at := l.settle(time.Now())
			l.tokens, l.last = min(tokens+float64(n), float64(l.burst)), at
		}
		l.mu.Unlock()
		return ctx.Err()
	}
}

// settle returns the balance at t and the time to remember with it,
// max(remembered, t). It does not change l; the caller holds l.mu.
func (l *Limiter) settle(t time.Time) (float64, time.Time) {
	if l.limit == Inf {
		return float64(l.burst), later(l.last, t)
	}
	if !t.After(l.last) {
		return l.tokens, l.last // never above burst: every write caps
	}
	// Finite × finite may overflow to +Inf, which the cap turns back into
	// burst; it is never NaN (with limit 0 it adds 0).
	tokens := l.tokens + float64(l.limit)*seconds(t.Sub(l.last), l.last, t)
	return min(tokens, float64(l.burst)), t
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// seconds returns to − from in seconds, given d = to.Sub(from) >= 0, which
// saturates at about 292 years.
func seconds(d time.Duration, from, to time.Time) float64 {
	if d < math.MaxInt64 {
		return d.Seconds()
	}
	return float64(to.Unix()) - float64(from.Unix()) + float64(to.Nanosecond()-from.Nanosecond())/1e9
}

// delay returns how long the bucket needs to earn missing > 0 tokens,
// rounded up to the nanosecond, and false when that never happens (limit 0)
// or is too long for a time.Duration. The caller holds l.mu.
func (l *Limiter) delay(missing float64) (time.Duration, bool) {
	if l.limit == 0 {
		return 0, false
	}
	ns := math.Ceil(missing / float64(l.limit) * 1e9)
	if !(ns < math.MaxInt64) { // also catches +Inf
		return 0, false
	}
	return time.Duration(ns), true
}
