// Package retry is the reference solution of the retry kata: Do runs an
// operation until it succeeds, with capped exponential backoff and jitter
// that only shortens a wait, error classes, server hints, a fail-fast rule
// at the caller's deadline and a retry budget shared by many calls (gRPC's
// retry throttling, kept exactly in thousandths of a token).
package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

var (
	// ErrInvalidPolicy is matched by the error of Validate, and of Do with
	// an invalid policy.
	ErrInvalidPolicy = errors.New("retry: invalid policy")
	// ErrInvalidBudget is matched by the error of NewBudget.
	ErrInvalidBudget = errors.New("retry: invalid budget")
	// ErrExhausted is matched when Do stops because the attempts, or the
	// limited retries of a class, are used up.
	ErrExhausted = errors.New("retry: attempts exhausted")
	// ErrThrottled is matched when Do stops because the Budget refused a
	// retry.
	ErrThrottled = errors.New("retry: retry budget exhausted")
)

// Class is what a failed attempt calls for.
type Class int

const (
	// ClassRetry is retried with exponential backoff, up to MaxAttempts
	// (a timeout, say).
	ClassRetry Class = iota
	// ClassLimited is retried like ClassRetry, and at most LimitedRetries
	// times per call (a refused connection).
	ClassLimited
	// ClassFail is not retried (a validation error).
	ClassFail
)

// Policy says how Do retries. The zero Policy is invalid; start from
// DefaultPolicy.
type Policy struct {
	MaxAttempts    int                   // attempts in all, the first included
	BaseDelay      time.Duration         // ceiling of the first backoff wait
	MaxDelay       time.Duration         // ceiling of every backoff wait
	Multiplier     float64               // growth of the ceiling per backoff wait
	Jitter         float64               // share of the ceiling randomness may remove: 0 none, 1 full jitter
	Rand           func() float64        // values in [0, 1); nil: math/rand/v2.Float64
	AttemptTimeout time.Duration         // > 0: each attempt's own timeout; 0: none
	LimitedRetries int                   // retries allowed after ClassLimited failures, per call
	Classify       func(err error) Class // nil: every error is ClassRetry
	Budget         *Budget               // retry throttle shared across calls; nil: none
}

// DefaultPolicy returns 4 attempts, waits with ceilings 100 ms, 200 ms,
// 400 ms (capped at 1 s) and full jitter, a 500 ms timeout per attempt and
// 2 retries after ClassLimited failures.
func DefaultPolicy() Policy {
	return Policy{
		MaxAttempts:    4,
		BaseDelay:      100 * time.Millisecond,
		MaxDelay:       time.Second,
		Multiplier:     2,
		Jitter:         1,
		AttemptTimeout: 500 * time.Millisecond,
		LimitedRetries: 2,
	}
}

// Validate returns nil if p is valid, else an error matching
// ErrInvalidPolicy that names the first field at fault.
func (p Policy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("%w: MaxAttempts is %d, want at least 1", ErrInvalidPolicy, p.MaxAttempts)
	case p.BaseDelay <= 0:
		return fmt.Errorf("%w: BaseDelay is %v, want more than 0", ErrInvalidPolicy, p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("%w: MaxDelay %v is less than BaseDelay %v", ErrInvalidPolicy, p.MaxDelay, p.BaseDelay)
	case !(p.Multiplier >= 1) || math.IsInf(p.Multiplier, 1):
		return fmt.Errorf("%w: Multiplier is %v, want a finite value of at least 1", ErrInvalidPolicy, p.Multiplier)
	case !(p.Jitter >= 0 && p.Jitter <= 1):
		return fmt.Errorf("%w: Jitter is %v, want 0 to 1", ErrInvalidPolicy, p.Jitter)
	case p.AttemptTimeout < 0:
		return fmt.Errorf("%w: AttemptTimeout is %v, want 0 (none) or more", ErrInvalidPolicy, p.AttemptTimeout)
	case p.LimitedRetries < 0:
		return fmt.Errorf("%w: LimitedRetries is %d, want 0 or more", ErrInvalidPolicy, p.LimitedRetries)
	case p.Budget != nil && p.Budget.max == 0:
		return fmt.Errorf("%w: Budget did not come from NewBudget", ErrInvalidPolicy)
	}
	return nil
}

// Backoff returns the n-th backoff wait (n from 0) for the random value u
// in [0, 1). It panics on an invalid policy, a negative n or u outside
// [0, 1).
func (p Policy) Backoff(n int, u float64) time.Duration {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("retry: Backoff(%d, %v) of an invalid policy: %v", n, u, err))
	}
	if n < 0 {
		panic(fmt.Sprintf("retry: Backoff(%d, %v): n is negative", n, u))
	}
	if !(u >= 0 && u < 1) {
		panic(fmt.Sprintf("retry: Backoff(%d, %v): u is not in [0, 1)", n, u))
	}
	return p.backoff(n, u)
}

// backoff is Backoff for a valid policy and valid arguments. The ceiling
// is compared as a float64 and converted only when it is below MaxDelay,
// so the conversion never overflows; math.Pow makes it O(1) for any n.
// The jitter then removes a share of the ceiling, which is at most the
// ceiling itself (u < 1), so the result stays in [0, ceiling].
func (p Policy) backoff(n int, u float64) time.Duration {
	c := p.MaxDelay
	if prod := float64(p.BaseDelay) * math.Pow(p.Multiplier, float64(n)); prod < float64(p.MaxDelay) {
		c = time.Duration(prod)
	}
	return c - time.Duration(float64(c)*p.Jitter*u)
}

// Permanent marks err as not worth retrying: Do returns it at once,
// unchanged. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// RetryAfter carries a server's hint with err: retry after exactly d, or,
// for a negative d, do not retry. RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err, d}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

type retryAfterError struct {
	err error
	d   time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// stopError is what Do returns when it gives up for a reason of its own:
// it matches both the reason and the last attempt's error.
type stopError struct {
	reason   error
	last     error
	attempts int
}

func (e *stopError) Error() string {
	return fmt.Sprintf("%v after %d attempt(s); last error: %v", e.reason, e.attempts, e.last)
}

func (e *stopError) Unwrap() []error { return []error{e.reason, e.last} }

// inspect walks err's tree in the order errors.As does and reports whether
// it holds a Permanent mark, and the first RetryAfter hint in it. It does
// not allocate, unlike errors.As with a pointer target.
func inspect(err error) (perm bool, hint *retryAfterError) {
	for err != nil {
		switch e := err.(type) {
		case *permanentError:
			return true, nil
		case *retryAfterError:
			if hint == nil {
				hint = e
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				p, h := inspect(e)
				if p {
					return true, nil
				}
				if hint == nil {
					hint = h
				}
			}
			return false, hint
		default:
			return false, hint
		}
	}
	return false, hint
}

// gone returns the error of a caller that is gone (ctx done, or its
// deadline reached at now), or nil. now is read only if ctx has a deadline
// and now is zero.
func gone(ctx context.Context, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		if now.IsZero() {
			now = time.Now()
		}
		if !now.Before(dl) {
			return context.DeadlineExceeded
		}
	}
	return nil
}

// Do calls op until it succeeds or a rule says stop, and returns op's value
// or the zero T and an error. See the README for the rules, in order.
func Do[T any](ctx context.Context, p Policy, op func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	if op == nil {
		panic("retry: Do with a nil op")
	}
	if err := p.Validate(); err != nil {
		return zero, err
	}
	if err := gone(ctx, time.Time{}); err != nil {
		return zero, err
	}
	k := 0       // backoff waits since the start or the last hinted wait
	limited := 0 // retries made after ClassLimited failures
	for attempt := 1; ; attempt++ {
		v, err := run(ctx, p.AttemptTimeout, op)
		if err == nil {
			if p.Budget != nil {
				p.Budget.credit()
			}
			return v, nil
		}
		var now time.Time
		dl, hasDeadline := ctx.Deadline()
		if hasDeadline {
			now = time.Now()
		}
		if cerr := gone(ctx, now); cerr != nil {
			return zero, &stopError{cerr, err, attempt}
		}

		perm, hint := inspect(err)
		if perm {
			return zero, err
		}
		class := ClassRetry
		if p.Classify != nil {
			class = p.Classify(err)
		}
		if class != ClassRetry && class != ClassLimited {
			return zero, err
		}
		allowed := true
		if p.Budget != nil {
			allowed = p.Budget.charge()
		}
		if hint != nil && hint.d < 0 {
			return zero, err
		}
		if attempt >= p.MaxAttempts || (class == ClassLimited && limited >= p.LimitedRetries) {
			return zero, &stopError{ErrExhausted, err, attempt}
		}
		if !allowed {
			return zero, &stopError{ErrThrottled, err, attempt}
		}

		var wait time.Duration
		if hint != nil {
			wait, k = hint.d, 0
		} else {
			u := 0.0
			if p.Jitter > 0 {
				if p.Rand != nil {
					u = p.Rand()
				} else {
					u = rand.Float64()
				}
				if !(u >= 0 && u < 1) {
					panic(fmt.Sprintf("retry: Policy.Rand returned %v, want a value in [0, 1)", u))
				}
			}
			wait = p.backoff(k, u)
			k++
		}
		if hasDeadline && wait >= dl.Sub(now) {
			return zero, &stopError{context.DeadlineExceeded, err, attempt}
		}
		if class == ClassLimited {
			limited++
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return zero, &stopError{ctx.Err(), err, attempt}
			}
		}
	}
}

// run makes one attempt, under its own timeout if d > 0.
func run[T any](ctx context.Context, d time.Duration, op func(ctx context.Context) (T, error)) (T, error) {
	if d <= 0 {
		return op(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return op(actx)
}

// Budget is gRPC's retry throttle: a failure costs one token, a success
// earns tokenRatio, and a retry is allowed only while more than half of
// maxTokens are left. Tokens are kept exactly, in thousandths. Use
// NewBudget; the zero Budget is invalid.
type Budget struct {
	mu     sync.Mutex
	tokens int64 // thousandths of a token
	max    int64 // thousandths; 0 for a Budget that did not come from NewBudget
	ratio  int64 // thousandths earned per success
}

// NewBudget returns a full budget of maxTokens (1 to 1000) that earns
// tokenRatio (0.001 to 1, rounded to thousandths) per success.
func NewBudget(maxTokens int, tokenRatio float64) (*Budget, error) {
	if maxTokens < 1 || maxTokens > 1000 {
		return nil, fmt.Errorf("%w: maxTokens is %d, want 1 to 1000", ErrInvalidBudget, maxTokens)
	}
	if !(tokenRatio >= 0.001 && tokenRatio <= 1) {
		return nil, fmt.Errorf("%w: tokenRatio is %v, want 0.001 to 1", ErrInvalidBudget, tokenRatio)
	}
	m := int64(maxTokens) * 1000
	return &Budget{tokens: m, max: m, ratio: int64(math.Round(tokenRatio * 1000))}, nil
}

// Tokens returns the tokens left.
func (b *Budget) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return float64(b.tokens) / 1000
}

// charge takes one token (not below 0) and reports whether more than half
// of the maximum is left, as one step.
func (b *Budget) charge() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = max(b.tokens-1000, 0)
	return b.tokens > b.max/2
}

// credit adds the ratio, up to the maximum.
func (b *Budget) credit() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.tokens+b.ratio, b.max)
}
