// Package retry is the retry kata: read katas/retry/README.md and implement
// the API below. Every body panics "not implemented" until you do.
//
// Do runs an operation until it succeeds, waiting between attempts with
// capped exponential backoff and jitter, sorting errors into classes,
// honouring server hints, failing fast at the caller's deadline, and
// charging failures to a retry budget that many calls share.
package retry

import (
	"context"
	"errors"
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

// DefaultPolicy returns {MaxAttempts 4, BaseDelay 100ms, MaxDelay 1s,
// Multiplier 2, Jitter 1, AttemptTimeout 500ms, LimitedRetries 2} with nil
// Rand, Classify and Budget (rule 2).
func DefaultPolicy() Policy {
	panic("not implemented")
}

// Validate returns nil if p is valid, else an error matching
// ErrInvalidPolicy (rule 1). It never panics.
func (p Policy) Validate() error {
	panic("not implemented")
}

// Backoff returns the n-th backoff wait (n from 0) for the random value u
// in [0, 1) (rule 3). It panics on an invalid policy, a negative n or u
// outside [0, 1) (rule 4).
func (p Policy) Backoff(n int, u float64) time.Duration {
	panic("not implemented")
}

// Do calls op until it succeeds or a rule says stop (rules 5 to 17), and
// returns op's value and nil, or the zero T and an error.
func Do[T any](ctx context.Context, p Policy, op func(ctx context.Context) (T, error)) (T, error) {
	panic("not implemented")
}

// Permanent marks err as not worth retrying: Do returns it at once,
// unchanged (rules 9 and 18). Permanent(nil) is nil.
func Permanent(err error) error {
	panic("not implemented")
}

// RetryAfter carries a server's hint with err: the next attempt after
// exactly d, or, for a negative d, no retry (rules 11, 15 and 18).
// RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	panic("not implemented")
}

// Budget is a retry throttle shared by any number of calls (rules 20 and
// 21). Use NewBudget; the zero Budget is invalid.
type Budget struct {
	// yours
}

// NewBudget returns a full budget of maxTokens tokens that earns
// tokenRatio tokens per successful call (rule 20).
func NewBudget(maxTokens int, tokenRatio float64) (*Budget, error) {
	panic("not implemented")
}

// Tokens returns the tokens left (rule 20).
func (b *Budget) Tokens() float64 {
	panic("not implemented")
}
