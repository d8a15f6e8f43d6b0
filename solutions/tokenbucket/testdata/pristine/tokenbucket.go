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
	panic("not implemented")
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
	// Add your fields here.
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
	panic("not implemented")
}

// Limit returns the current limit.
func (l *Limiter) Limit() Limit {
	panic("not implemented")
}

// Burst returns the current burst.
func (l *Limiter) Burst() int {
	panic("not implemented")
}

// Allow reports whether one token is available now, and spends it if so.
// It is AllowN(time.Now(), 1).
func (l *Limiter) Allow() bool {
	panic("not implemented")
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
	panic("not implemented")
}

// Tokens returns the balance now. It is TokensAt(time.Now()).
func (l *Limiter) Tokens() float64 {
	panic("not implemented")
}

// TokensAt returns the balance at time t: at most Burst(), fractional in
// general, and negative while pending waits hold more tokens than the bucket
// has earned. With limit Inf it returns float64(Burst()). It changes
// nothing; a t earlier than the remembered time counts as the remembered
// time.
func (l *Limiter) TokensAt(t time.Time) float64 {
	panic("not implemented")
}

// SetLimit changes the limit now. It is SetLimitAt(time.Now(), r).
func (l *Limiter) SetLimit(r Limit) error {
	panic("not implemented")
}

// SetLimitAt settles the balance at t under the old limit, then changes the
// limit to r. It validates r like New and, on error, returns it and changes
// nothing. Leaving Inf for a finite limit sets the balance to Burst(),
// whatever pending waits had reserved. Pending waits keep their due times.
func (l *Limiter) SetLimitAt(t time.Time, r Limit) error {
	panic("not implemented")
}

// SetBurst changes the burst now. It is SetBurstAt(time.Now(), b).
func (l *Limiter) SetBurst(b int) error {
	panic("not implemented")
}

// SetBurstAt settles the balance at t under the old burst, then changes the
// burst to b. A larger burst adds no tokens; a smaller one caps the balance.
// A negative b returns an error matching ErrInvalidBurst and changes
// nothing. Pending waits keep their due times.
func (l *Limiter) SetBurstAt(t time.Time, b int) error {
	panic("not implemented")
}

// Wait is WaitN(ctx, 1).
func (l *Limiter) Wait(ctx context.Context) error {
	panic("not implemented")
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
	panic("not implemented")
}
