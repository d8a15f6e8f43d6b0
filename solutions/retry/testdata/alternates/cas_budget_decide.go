// Alternate: a lock-free budget (compare-and-swap on an atomic count of thousandths), a pure decide step that returns what to do after a failure, marks and hints found with errors.As, joined errors built with fmt.Errorf's two %w verbs, and waits on a context.WithTimeout instead of a timer.

// Package retry is an alternate solution of the retry kata. It differs
// from the reference in its shape, not its behaviour: the decision after a
// failed attempt is one function that returns an action; the budget is a
// single atomic counter updated by compare-and-swap; Permanent marks and
// RetryAfter hints are found with errors.As; final errors are built with
// fmt.Errorf and two %w verbs; a wait is a child context's timeout.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

var (
	ErrInvalidPolicy = errors.New("retry: invalid policy")
	ErrInvalidBudget = errors.New("retry: invalid budget")
	ErrExhausted     = errors.New("retry: attempts exhausted")
	ErrThrottled     = errors.New("retry: retry budget exhausted")
)

type Class int

const (
	ClassRetry Class = iota
	ClassLimited
	ClassFail
)

type Policy struct {
	MaxAttempts    int
	BaseDelay      time.Duration
	MaxDelay       time.Duration
	Multiplier     float64
	Jitter         float64
	Rand           func() float64
	AttemptTimeout time.Duration
	LimitedRetries int
	Classify       func(err error) Class
	Budget         *Budget
}

func DefaultPolicy() Policy {
	return Policy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2,
		Jitter: 1, AttemptTimeout: 500 * time.Millisecond, LimitedRetries: 2}
}

func (p Policy) Validate() error {
	var bad string
	switch {
	case p.MaxAttempts < 1:
		bad = "MaxAttempts " + fmt.Sprint(p.MaxAttempts)
	case p.BaseDelay <= 0:
		bad = "BaseDelay " + p.BaseDelay.String()
	case p.MaxDelay < p.BaseDelay:
		bad = "MaxDelay below BaseDelay"
	case math.IsNaN(p.Multiplier) || math.IsInf(p.Multiplier, 0) || p.Multiplier < 1:
		bad = "Multiplier " + fmt.Sprint(p.Multiplier)
	case math.IsNaN(p.Jitter) || p.Jitter < 0 || p.Jitter > 1:
		bad = "Jitter " + fmt.Sprint(p.Jitter)
	case p.AttemptTimeout < 0:
		bad = "AttemptTimeout " + p.AttemptTimeout.String()
	case p.LimitedRetries < 0:
		bad = "LimitedRetries " + fmt.Sprint(p.LimitedRetries)
	case p.Budget != nil && p.Budget.limit == 0:
		bad = "a Budget not made by NewBudget"
	default:
		return nil
	}
	return fmt.Errorf("%w (%s)", ErrInvalidPolicy, bad)
}

func (p Policy) Backoff(n int, u float64) time.Duration {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	if n < 0 || math.IsNaN(u) || u < 0 || u >= 1 {
		panic(fmt.Sprintf("retry: Backoff(%d, %v) out of range", n, u))
	}
	return p.wait(n, u)
}

func (p Policy) wait(n int, u float64) time.Duration {
	ceiling := float64(p.BaseDelay) * math.Pow(p.Multiplier, float64(n))
	c := p.MaxDelay
	if !(ceiling >= float64(p.MaxDelay)) && !math.IsNaN(ceiling) {
		c = time.Duration(ceiling)
	}
	cut := float64(c) * p.Jitter
	cut *= u
	return c - time.Duration(cut)
}

type permanent struct{ error }

func (e permanent) Unwrap() error { return e.error }

type hint struct {
	error
	after time.Duration
}

func (e hint) Unwrap() error { return e.error }

func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return hint{err, d}
}

// action is what decide says to do after a failed attempt.
type action int

const (
	giveBack action = iota // return the attempt's error itself
	stop                   // return reason joined with the attempt's error
	again                  // wait, then retry
)

// state is what one Do call remembers between attempts.
type state struct {
	attempt, backoffs, limited int
}

// decide applies the rules after a failed attempt, in order, from the
// moment now: the action, the reason to stop, and the wait.
func (p Policy) decide(ctx context.Context, s *state, now time.Time, err error) (action, error, time.Duration) {
	if ctx.Err() != nil {
		return stop, ctx.Err(), 0
	}
	dl, hasDL := ctx.Deadline()
	if hasDL && !now.Before(dl) {
		return stop, context.DeadlineExceeded, 0
	}
	var pm permanent
	if errors.As(err, &pm) {
		return giveBack, nil, 0
	}
	class := ClassRetry
	if p.Classify != nil {
		class = p.Classify(err)
	}
	if class != ClassRetry && class != ClassLimited {
		return giveBack, nil, 0
	}
	allowed := true
	if p.Budget != nil {
		allowed = p.Budget.take()
	}
	var h hint
	hinted := errors.As(err, &h)
	if hinted && h.after < 0 {
		return giveBack, nil, 0
	}
	if s.attempt == p.MaxAttempts || class == ClassLimited && s.limited == p.LimitedRetries {
		return stop, ErrExhausted, 0
	}
	if !allowed {
		return stop, ErrThrottled, 0
	}
	var w time.Duration
	if hinted {
		w, s.backoffs = h.after, 0
	} else {
		var u float64
		if p.Jitter > 0 {
			r := rand.Float64
			if p.Rand != nil {
				r = p.Rand
			}
			if u = r(); math.IsNaN(u) || u < 0 || u >= 1 {
				panic(fmt.Sprintf("retry: Rand returned %v", u))
			}
		}
		w = p.wait(s.backoffs, u)
		s.backoffs++
	}
	if hasDL && !now.Add(w).Before(dl) {
		return stop, context.DeadlineExceeded, 0
	}
	if class == ClassLimited {
		s.limited++
	}
	return again, nil, w
}

func Do[T any](ctx context.Context, p Policy, op func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	if op == nil {
		panic("retry: nil op")
	}
	if err := p.Validate(); err != nil {
		return zero, err
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return zero, context.DeadlineExceeded
	}
	s := &state{}
	for {
		s.attempt++
		v, err := attempt(ctx, p.AttemptTimeout, op)
		if err == nil {
			if p.Budget != nil {
				p.Budget.give()
			}
			return v, nil
		}
		act, reason, w := p.decide(ctx, s, time.Now(), err)
		switch act {
		case giveBack:
			return zero, err
		case stop:
			return zero, fmt.Errorf("%w: %w", reason, err)
		}
		if w > 0 {
			wctx, cancel := context.WithTimeout(ctx, w)
			<-wctx.Done()
			cancel()
			if cerr := ctx.Err(); cerr != nil {
				return zero, fmt.Errorf("%w: %w", cerr, err)
			}
		}
	}
}

func attempt[T any](ctx context.Context, d time.Duration, op func(context.Context) (T, error)) (T, error) {
	if d == 0 {
		return op(ctx)
	}
	actx, cancel := context.WithDeadline(ctx, time.Now().Add(d))
	defer cancel()
	return op(actx)
}

// Budget keeps thousandths of a token in one atomic counter.
type Budget struct {
	milli        atomic.Int64
	limit, ratio int64
}

func NewBudget(maxTokens int, tokenRatio float64) (*Budget, error) {
	if maxTokens < 1 || maxTokens > 1000 || math.IsNaN(tokenRatio) || tokenRatio < 0.001 || tokenRatio > 1 {
		return nil, fmt.Errorf("%w: NewBudget(%d, %v)", ErrInvalidBudget, maxTokens, tokenRatio)
	}
	b := &Budget{limit: int64(maxTokens) * 1000, ratio: int64(math.Round(tokenRatio * 1000))}
	b.milli.Store(b.limit)
	return b, nil
}

func (b *Budget) Tokens() float64 { return float64(b.milli.Load()) / 1000 }

// take charges one token and reports whether a retry is allowed.
func (b *Budget) take() bool {
	for {
		old := b.milli.Load()
		n := max(old-1000, 0)
		if b.milli.CompareAndSwap(old, n) {
			return 2*n > b.limit
		}
	}
}

// give credits the ratio, up to the limit.
func (b *Budget) give() {
	for {
		old := b.milli.Load()
		n := min(old+b.ratio, b.limit)
		if n == old || b.milli.CompareAndSwap(old, n) {
			return
		}
	}
}
